//! The queue half of onboarding, with no dependency on the API layer: the message a batch travels
//! in (its JSON is an interface — another producer may feed the queue), the dead letter, splitting a
//! bulk request into batches, the `Queue` port, and an in-memory queue for tests and benchmarks.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// BatchCreateChannelMembership takes at most this many members per call.
pub const BATCH_LIMIT: usize = 100;

/// One queue message: up to 100 members for one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MemberBatch {
    pub channel_arn: String,
    pub member_arns: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_channel_id: Option<String>,
    /// Deliveries so far (0 for a new batch).
    #[serde(default)]
    pub attempt: u32,
    /// The Chime bearer the members are added as: the one the bulk request was granted (absent: the
    /// worker's service user).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chime_bearer: Option<String>,
}

/// A member that can never be added, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeadLetter {
    pub channel_arn: String,
    pub member_arn: String,
    pub error_code: String,
    pub reason: String,
    pub attempts: u32,
}

/// Splits a bulk request into queue messages of at most 100 members (duplicates removed, order kept).
pub fn split(
    channel_arn: &str,
    members: &[String],
    kind: Option<&str>,
    sub_channel: Option<&str>,
) -> Vec<MemberBatch> {
    let mut seen = std::collections::HashSet::new();
    let unique: Vec<String> = members
        .iter()
        .filter(|m| seen.insert(m.as_str()))
        .cloned()
        .collect();
    unique
        .chunks(BATCH_LIMIT)
        .map(|chunk| MemberBatch {
            channel_arn: channel_arn.to_owned(),
            member_arns: chunk.to_vec(),
            r#type: kind.map(str::to_owned),
            sub_channel_id: sub_channel.map(str::to_owned),
            attempt: 0,
            chime_bearer: None,
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("queue: {0}")]
pub struct QueueError(pub String);

pub type QueueFuture<'a> = Pin<Box<dyn Future<Output = Result<(), QueueError>> + Send + 'a>>;

/// Where batches wait and dead letters go.
pub trait Queue: Send + Sync {
    /// Puts batches on the queue, to be delivered after `delay`.
    fn enqueue(&self, batches: Vec<MemberBatch>, delay: Duration) -> QueueFuture<'_>;
    /// Parks members that can never be added.
    fn dead_letter(&self, letters: Vec<DeadLetter>) -> QueueFuture<'_>;
}

/// An in-memory queue with delays: what tests and benchmarks run the worker path on.
#[derive(Debug, Default)]
pub struct MemoryQueue {
    waiting: Mutex<VecDeque<(Instant, MemberBatch)>>,
    pub dead: Mutex<Vec<DeadLetter>>,
}

impl MemoryQueue {
    /// The next batch that is due, or how long until one is (`None` when empty).
    pub fn take(&self) -> Option<Result<MemberBatch, Duration>> {
        let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let due = waiting.iter().position(|(at, _)| *at <= now);
        match due {
            Some(index) => waiting.remove(index).map(|(_, batch)| Ok(batch)),
            None => waiting
                .iter()
                .map(|(at, _)| at.saturating_duration_since(now))
                .min()
                .map(Err),
        }
    }
}

impl Queue for MemoryQueue {
    fn enqueue(&self, batches: Vec<MemberBatch>, delay: Duration) -> QueueFuture<'_> {
        let at = Instant::now() + delay;
        let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        waiting.extend(batches.into_iter().map(|b| (at, b)));
        Box::pin(async { Ok(()) })
    }

    fn dead_letter(&self, letters: Vec<DeadLetter>) -> QueueFuture<'_> {
        self.dead
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(letters);
        Box::pin(async { Ok(()) })
    }
}

/// Parses a queue message body.
pub fn parse_batch(body: &str) -> Result<MemberBatch, String> {
    serde_json::from_str::<MemberBatch>(body).map_err(|e| format!("not a member batch: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulk_requests_split_into_batches_of_a_hundred_without_duplicates() {
        let members: Vec<String> = (0..250).map(|i| format!("arn:m{}", i % 240)).collect();
        let batches = split("arn:c", &members, Some("DEFAULT"), None);
        let sizes: Vec<usize> = batches.iter().map(|b| b.member_arns.len()).collect();
        assert_eq!(sizes, [100, 100, 40]);
        let body = serde_json::to_string(&batches[2]).unwrap_or_default();
        assert_eq!(parse_batch(&body), Ok(batches[2].clone()));
        assert!(body.contains("\"ChannelArn\":\"arn:c\"") && body.contains("\"Type\":\"DEFAULT\""));
    }

    /// The message format the README documents, as another producer would write it.
    #[test]
    fn a_batch_written_by_another_producer_parses() {
        let body = r#"{"ChannelArn": "arn:aws:chime:us-east-1:1:app-instance/i/channel/c",
            "MemberArns": ["arn:aws:chime:us-east-1:1:app-instance/i/user/u"],
            "Type": "HIDDEN", "SubChannelId": "3", "Attempt": 2}"#;
        let batch = parse_batch(body).expect("a batch");
        assert_eq!(batch.attempt, 2);
        assert_eq!(batch.sub_channel_id.as_deref(), Some("3"));
        let minimal = r#"{"ChannelArn": "c", "MemberArns": []}"#;
        assert_eq!(parse_batch(minimal).map(|b| b.attempt), Ok(0));
        assert!(
            parse_batch(r#"{"MemberArns": []}"#)
                .unwrap_err()
                .contains("missing field `ChannelArn`")
        );
    }

    /// admin/README.md's table of the message's members is the type's: checked, not retyped.
    #[test]
    fn the_readme_documents_every_member_of_the_message() {
        let readme = include_str!("../../README.md");
        let table = readme
            .split("**The queue message**")
            .nth(1)
            .and_then(|rest| {
                rest.split("\n\n")
                    .find(|block| block.starts_with("| member"))
            })
            .expect("the README's queue message table");
        let documented: Vec<&str> = table
            .lines()
            .skip(2)
            .filter_map(|row| row.split('`').nth(1))
            .collect();
        let full = MemberBatch {
            channel_arn: "c".into(),
            member_arns: vec![],
            r#type: Some("DEFAULT".into()),
            sub_channel_id: Some("1".into()),
            attempt: 1,
            chime_bearer: Some("arn:u".into()),
        };
        let written = serde_json::to_value(&full).unwrap_or_default();
        let mut members: Vec<&str> = written
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let mut documented_sorted = documented.clone();
        members.sort_unstable();
        documented_sorted.sort_unstable();
        assert_eq!(documented_sorted, members);
    }
}
