//! `ClientRequestToken`: the SDKs send one with every create and resend the same one when they retry,
//! so a retried request must return the first request's answer instead of doing it again; the same
//! token with different input is refused, as the service does.

use std::collections::{HashMap, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Mutex;

use axum::http::StatusCode;
use serde_json::{Map, Value};

use crate::error::ApiError;

/// How many answered tokens are remembered (oldest forgotten first): far more than any retry window.
const CAPACITY: usize = 100_000;

/// (operation, caller, token): tokens are the caller's own, per operation.
type Key = (String, String, String);

/// Inputs are remembered by a hash of their canonical form, not a copy: a token rides on every
/// SendChannelMessage, and 100,000 remembered 4 KB messages would be 400 MB.
enum Entry {
    /// The first request with this token is still being handled.
    InFlight { input: u64 },
    Done {
        input: u64,
        status: StatusCode,
        body: Option<Value>,
    },
}

/// What to do with a request carrying a token.
pub enum Seen {
    /// First time: handle it, then [`Tokens::finish`] it.
    New(Ticket),
    /// A retry of an answered request: this is the answer.
    Replay(StatusCode, Option<Value>),
}

/// A claimed token, to be finished with the answer (or released on error).
pub struct Ticket {
    key: Key,
}

#[derive(Default)]
pub struct Tokens {
    inner: Mutex<(HashMap<Key, Entry>, VecDeque<Key>)>,
}

/// The input as compared between retries: a hash of every member but the token itself, keys in order.
fn canonical(input: &Map<String, Value>) -> u64 {
    let mut members: Vec<(&String, &Value)> = input
        .iter()
        .filter(|(k, _)| k.as_str() != "ClientRequestToken")
        .collect();
    members.sort_by(|a, b| a.0.cmp(b.0));
    let mut hasher = DefaultHasher::new();
    serde_json::to_string(&members)
        .unwrap_or_default()
        .hash(&mut hasher);
    hasher.finish()
}

impl Tokens {
    /// Claims the token of a request, or answers it from memory. `None` when the input has no token.
    pub fn check(
        &self,
        operation: &str,
        caller: &str,
        input: &Map<String, Value>,
    ) -> Result<Option<Seen>, ApiError> {
        let Some(token) = input.get("ClientRequestToken").and_then(Value::as_str) else {
            return Ok(None);
        };
        let key = (operation.to_owned(), caller.to_owned(), token.to_owned());
        let this = canonical(input);
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (entries, order) = &mut *guard;
        match entries.get(&key) {
            Some(Entry::Done {
                input,
                status,
                body,
            }) if *input == this => Ok(Some(Seen::Replay(*status, body.clone()))),
            Some(Entry::InFlight { input }) if *input == this => Err(ApiError::conflict(format!(
                "a request with ClientRequestToken {token} is still being handled; retry"
            ))),
            Some(_) => Err(ApiError::conflict(format!(
                "ClientRequestToken {token} was already used for {operation} with different input"
            ))),
            None => {
                entries.insert(key.clone(), Entry::InFlight { input: this });
                order.push_back(key.clone());
                while order.len() > CAPACITY {
                    if let Some(old) = order.pop_front() {
                        entries.remove(&old);
                    }
                }
                Ok(Some(Seen::New(Ticket { key })))
            }
        }
    }

    /// Records the answer of a claimed token (a failed request releases it: a retry runs again).
    pub fn finish(&self, ticket: Ticket, answer: Option<(StatusCode, Option<Value>)>) {
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (entries, _) = &mut *guard;
        match answer {
            Some((status, body)) => {
                if let Some(Entry::InFlight { input }) = entries.remove(&ticket.key) {
                    entries.insert(
                        ticket.key,
                        Entry::Done {
                            input,
                            status,
                            body,
                        },
                    );
                }
            }
            None => {
                entries.remove(&ticket.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input(name: &str, token: &str) -> Map<String, Value> {
        let Value::Object(map) = json!({"Name": name, "ClientRequestToken": token}) else {
            unreachable!()
        };
        map
    }

    #[test]
    fn retries_replay_and_mismatches_are_refused() {
        let tokens = Tokens::default();
        let Ok(Some(Seen::New(ticket))) = tokens.check("CreateChannel", "u", &input("a", "t1"))
        else {
            panic!("first use")
        };
        assert!(
            tokens
                .check("CreateChannel", "u", &input("a", "t1"))
                .is_err(),
            "in flight"
        );
        tokens.finish(
            ticket,
            Some((StatusCode::CREATED, Some(json!({"ChannelArn": "x"})))),
        );
        match tokens.check("CreateChannel", "u", &input("a", "t1")) {
            Ok(Some(Seen::Replay(status, Some(body)))) => {
                assert_eq!(status, StatusCode::CREATED);
                assert_eq!(body["ChannelArn"], "x");
            }
            _ => panic!("a retry replays"),
        }
        let mismatch = tokens
            .check("CreateChannel", "u", &input("b", "t1"))
            .err()
            .unwrap();
        assert!(
            mismatch.message.contains("different input"),
            "{}",
            mismatch.message
        );
        assert!(matches!(
            tokens.check("CreateChannel", "other", &input("b", "t1")),
            Ok(Some(Seen::New(_)))
        ));
        let Ok(Some(Seen::New(failed))) =
            tokens.check("SendChannelMessage", "u", &input("a", "t2"))
        else {
            panic!()
        };
        tokens.finish(failed, None);
        assert!(matches!(
            tokens.check("SendChannelMessage", "u", &input("a", "t2")),
            Ok(Some(Seen::New(_)))
        ));
        assert!(tokens.check("X", "u", &Map::new()).unwrap().is_none());
    }
}
