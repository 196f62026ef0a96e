//! Channel messages: send, read, list, edit, redact, delete. On a channel with a flow, STANDARD
//! messages and their edits go PENDING and through the processors (see `flows`).

use serde_json::{Value, json};

use super::access::Role;
use super::channels::{Need, with_channel};
use super::page::{encode, page_size, resume_after};
use super::processing::start_flow;
use super::{Input, Reply, identity};
use crate::error::ApiError;
use crate::state::changes::{self, MessageChange};
use crate::state::{
    Body, Channel, Instance, MESSAGE_TYPES, Message, Millis, PERSISTENCE, Status, Store, now,
    one_of, random_hex,
};

/// The sub-channel the bearer acts in. Members of an elastic channel act in their own sub-channel
/// (a different SubChannelId is refused); moderators and admins name one, which `required` demands.
fn acting_sub_channel(
    channel: &Channel,
    bearer: &str,
    given: Option<&str>,
    required: bool,
) -> Result<Option<String>, ApiError> {
    if channel.elastic.is_none() {
        return match given {
            Some(_) => Err(ApiError::bad_request(
                "SubChannelId: only elastic channels have sub-channels",
            )),
            None => Ok(None),
        };
    }
    if let Some(own) = channel
        .members()
        .get(bearer)
        .and_then(|m| m.sub_channel.clone())
    {
        return match given {
            Some(id) if id != own => Err(ApiError::forbidden(format!(
                "{bearer} belongs to sub-channel {own}, not {id}"
            ))),
            _ => Ok(Some(own)),
        };
    }
    match given {
        Some(id) if channel.has_sub_channel(id) => Ok(Some(id.to_owned())),
        Some(id) => Err(ApiError::not_found(format!("sub-channel {id} not found"))),
        None if required => Err(ApiError::bad_request(
            "SubChannelId: required to act in an elastic channel as a moderator or admin",
        )),
        None => Ok(None),
    }
}

fn status_json(message: &Message) -> Value {
    json!({"Value": message.status.name(), "Detail": message.detail})
}

/// A message as GetChannelMessage answers it; ListChannelMessages leaves out the members its
/// summary shape does not have (ChannelArn, Persistence, SubChannelId).
fn message_json(instance: &Instance, channel_arn: &str, m: &Message, full: bool) -> Value {
    let mut json = json!({
        "ChannelArn": channel_arn, "MessageId": m.id,
        // A redacted message answers without content (the service returns null).
        "Content": (!m.redacted).then_some(&m.body.content),
        "Metadata": m.body.metadata, "ContentType": m.body.content_type,
        "MessageAttributes": m.body.attributes, "Type": m.kind, "Persistence": m.persistence,
        "CreatedTimestamp": m.created, "LastUpdatedTimestamp": m.updated,
        "LastEditedTimestamp": m.last_edited, "Redacted": m.redacted,
        "Sender": identity(&m.sender, &instance.display_name(&m.sender)),
        "Status": status_json(m), "SubChannelId": m.sub_channel, "Target": m.target,
    });
    if !full && let Some(fields) = json.as_object_mut() {
        for member in ["ChannelArn", "Persistence", "SubChannelId"] {
            fields.remove(member);
        }
    }
    json
}

pub fn send(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    with_channel(
        store,
        input,
        Need::AtLeast(Role::Member, "send messages"),
        |instance, arn, bearer, _| {
            let channel = instance.channel(arn)?;
            let sub = acting_sub_channel(channel, bearer, input.str("SubChannelId"), true)?;
            let kind = one_of(input.req("Type")?, &MESSAGE_TYPES);
            let content = input.req("Content")?.to_owned();
            Message::check_size(kind, &content)?;
            let at = now();
            let body = Body {
                content,
                metadata: input.str("Metadata").map(str::to_owned),
                content_type: input.str("ContentType").map(str::to_owned),
                attributes: input.get("MessageAttributes").cloned(),
                push: input.get("PushNotification").cloned(),
            };
            let message = Message {
                sub_channel: sub.clone(),
                persistence: one_of(input.req("Persistence")?, &PERSISTENCE),
                kind,
                target: input.get("Target").cloned(),
                ..Message::new(random_hex(32), bearer, body, at)
            };
            let id = message.id.clone();
            let channel = instance.channel_mut(arn)?;
            channel.push_message(message);
            let invocations = start_flow(store, instance, arn, &id, None)?;
            let channel = instance.channel_mut(arn)?;
            let message = channel
                .message_mut(&id)
                .ok_or_else(|| ApiError::not_found(format!("message {id} not found")))?;
            let status = status_json(message);
            if message.status == Status::Sent {
                channel.last_message = Some(at);
            }
            changes::message(store, instance, arn, &id, MessageChange::Created);
            Ok(Reply {
                body: Some(json!({"ChannelArn": arn, "MessageId": id, "Status": status,
                "SubChannelId": sub})),
                invocations,
            })
        },
    )
}

/// The message as the bearer may see it: in their sub-channel, stored and not dropped, not targeted
/// at someone else; a PENDING message only to its sender.
fn readable<'c>(
    channel: &'c Channel,
    bearer: &str,
    id: &str,
    sub: Option<&str>,
) -> Result<&'c Message, ApiError> {
    channel
        .message(id)
        .filter(|m| m.visible())
        .filter(|m| sub.is_none() || m.sub_channel.as_deref() == sub)
        .filter(|m| m.shown() || m.sender == bearer)
        .filter(|m| m.is_for(bearer))
        .ok_or_else(|| ApiError::not_found(format!("message {id} not found")))
}

pub fn get(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    with_channel(
        store,
        input,
        Need::Reader("read messages"),
        |instance, arn, bearer, _| {
            let channel = instance.channel(arn)?;
            let sub = acting_sub_channel(channel, bearer, input.str("SubChannelId"), false)?;
            let message = readable(channel, bearer, input.req("MessageId")?, sub.as_deref())?;
            Ok(Reply::body(
                json!({"ChannelMessage": message_json(instance, arn, message, true)}),
            ))
        },
    )
}

pub fn status(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    with_channel(
        store,
        input,
        Need::AtLeast(Role::Member, "read message status"),
        |instance, arn, bearer, role| {
            let id = input.req("MessageId")?;
            let channel = instance.channel(arn)?;
            let message = channel
                .message(id)
                .filter(|m| !m.deleted)
                .filter(|m| {
                    input.str("SubChannelId").is_none()
                        || m.sub_channel.as_deref() == input.str("SubChannelId")
                })
                .ok_or_else(|| ApiError::not_found(format!("message {id} not found")))?;
            if message.sender != bearer && role < Role::Moderator {
                return Err(ApiError::forbidden(
                    "only the sender, a moderator or an AppInstanceAdmin may read a message's status",
                ));
            }
            Ok(Reply::body(json!({ "Status": status_json(message) })))
        },
    )
}

pub fn list(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    with_channel(
        store,
        input,
        Need::Reader("list messages"),
        |instance, arn, bearer, _| {
            let channel = instance.channel(arn)?;
            let sub = acting_sub_channel(channel, bearer, input.str("SubChannelId"), true)?;
            let window = Window {
                not_before: input.instant("NotBefore"),
                not_after: input.instant("NotAfter"),
                descending: input.str("SortOrder") != Some("ASCENDING"),
            };
            let (positions, token, _) = window.page(
                channel,
                sub.as_deref(),
                page_size(input),
                resume_after(input)?.as_deref(),
                |m| m.visible() && m.shown() && m.is_for(bearer),
            )?;
            let items: Vec<Value> = positions
                .into_iter()
                .filter_map(|p| channel.message_at(p))
                .map(|m| message_json(instance, arn, m, false))
                .collect();
            Ok(Reply::body(json!({"ChannelArn": arn, "SubChannelId": sub,
            "ChannelMessages": items, "NextToken": token})))
        },
    )
}

/// ListChannelMessages' time window and order. Messages are kept in send order, which is time
/// order, so a page costs a binary search and a walk over the page (and what it skips) — never the
/// whole history. Tokens are the last key returned, `millis position` (inverted when descending), as
/// every other list's.
struct Window {
    not_before: Option<Millis>,
    not_after: Option<Millis>,
    descending: bool,
}

impl Window {
    fn key(&self, created: Millis, position: usize) -> String {
        let (millis, position) = (created.0 as u64, position as u64);
        if self.descending {
            format!("{:020}{:020}", u64::MAX - millis, u64::MAX - position)
        } else {
            format!("{millis:020}{position:020}")
        }
    }

    /// The position a key names.
    fn position_of(&self, key: &str) -> Result<usize, ApiError> {
        let position: u64 = key
            .get(20..40)
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| ApiError::bad_request("NextToken: not a token this list returned"))?;
        Ok(if self.descending {
            u64::MAX - position
        } else {
            position
        } as usize)
    }

    /// The positions of one page and the token for the next.
    fn page(
        &self,
        channel: &Channel,
        sub: Option<&str>,
        size: usize,
        after: Option<&str>,
        keep: impl Fn(&Message) -> bool,
    ) -> Result<(Vec<usize>, Option<String>, usize), ApiError> {
        // The messages in scope as positions: all of a regular channel's, or one sub-channel's.
        let positions = sub.map(|s| channel.sub_channel_positions(s));
        let count = positions.map_or(channel.message_count(), <[usize]>::len);
        let at = |i: usize| positions.map_or(i, |p| p[i]);
        let created = |i: usize| channel.message_at(at(i)).map_or(Millis(0), |m| m.created);
        let first_not_before = |t: Millis| partition(count, |i| created(i) < t);
        let lo = self.not_before.map_or(0, first_not_before);
        let hi = self
            .not_after
            .map_or(count, |t| partition(count, |i| created(i) <= t));
        let (mut lo, mut hi) = (lo, hi.max(lo));
        if let Some(key) = after {
            let last = self.position_of(key)?;
            if self.descending {
                hi = hi.min(partition(count, |i| at(i) < last));
            } else {
                lo = lo.max(partition(count, |i| at(i) <= last));
            }
        }
        let mut found = Vec::with_capacity(size);
        let (mut more, mut examined) = (false, 0);
        let mut visit = |i: usize| {
            examined += 1;
            let Some(message) = channel.message_at(at(i)) else {
                return true;
            };
            if !keep(message) {
                return true;
            }
            if found.len() == size {
                more = true;
                return false;
            }
            found.push(at(i));
            true
        };
        if self.descending {
            for i in (lo..hi).rev() {
                if !visit(i) {
                    break;
                }
            }
        } else {
            for i in lo..hi {
                if !visit(i) {
                    break;
                }
            }
        }
        let token = match (more, found.last()) {
            (true, Some(&last)) => {
                let created = channel.message_at(last).map_or(Millis(0), |m| m.created);
                Some(encode(&self.key(created, last)))
            }
            _ => None,
        };
        Ok((found, token, examined))
    }
}

/// The first index in `0..count` for which `before` is false (`before` must hold for a prefix).
fn partition(count: usize, before: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, count);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if before(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// The bearer's message by id, for edits: own, visible, not redacted.
fn own_message<'c>(
    channel: &'c mut Channel,
    bearer: &str,
    id: &str,
    sub: Option<&str>,
) -> Result<&'c mut Message, ApiError> {
    let message = channel
        .message_entry(id)
        .filter(|m| m.visible())
        .filter(|m| sub.is_none() || m.sub_channel.as_deref() == sub)
        .ok_or_else(|| ApiError::not_found(format!("message {id} not found")))?;
    if message.sender != bearer {
        return Err(ApiError::forbidden("only the sender may edit a message"));
    }
    if message.redacted {
        return Err(ApiError::bad_request("a redacted message cannot be edited"));
    }
    if message.status == Status::Pending {
        return Err(ApiError::conflict(
            "the message is still being processed by its channel flow",
        ));
    }
    Ok(message)
}

pub fn update(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    with_channel(store, input, Need::Own, |instance, arn, bearer, _| {
        let id = input.req("MessageId")?.to_owned();
        let channel = instance.channel(arn)?;
        let sub = acting_sub_channel(channel, bearer, input.str("SubChannelId"), true)?;
        let has_flow = channel.flow.is_some();
        let channel = instance.channel_mut(arn)?;
        let message = own_message(channel, bearer, &id, sub.as_deref())?;
        let content = input.req("Content")?.to_owned();
        Message::check_size(message.kind, &content)?;
        let edit = Body {
            content,
            metadata: input.str("Metadata").map(str::to_owned),
            content_type: input
                .str("ContentType")
                .map(str::to_owned)
                .or_else(|| message.body.content_type.clone()),
            attributes: message.body.attributes.clone(),
            push: None,
        };
        let invocations = if has_flow && message.kind == "STANDARD" {
            start_flow(store, instance, arn, &id, Some(edit))?
        } else {
            let at = now();
            message.body = edit;
            message.last_edited = Some(at);
            message.updated = at;
            Vec::new()
        };
        changes::message(store, instance, arn, &id, MessageChange::Updated);
        let channel = instance.channel_mut(arn)?;
        let message = channel
            .message_mut(&id)
            .ok_or_else(|| ApiError::not_found(format!("message {id} not found")))?;
        Ok(Reply {
            body: Some(json!({"ChannelArn": arn, "MessageId": id,
                "Status": status_json(message), "SubChannelId": sub})),
            invocations,
        })
    })
}

pub fn redact(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    with_channel(store, input, Need::Own, |instance, arn, bearer, role| {
        let id = input.req("MessageId")?;
        let channel = instance.channel(arn)?;
        let sub = acting_sub_channel(channel, bearer, input.str("SubChannelId"), true)?;
        let channel = instance.channel_mut(arn)?;
        let message = channel
            .message_entry(id)
            .filter(|m| m.visible())
            .filter(|m| m.sub_channel == sub)
            .ok_or_else(|| ApiError::not_found(format!("message {id} not found")))?;
        if message.sender != bearer && role < Role::Moderator {
            return Err(ApiError::forbidden(
                "only the sender, a moderator or an AppInstanceAdmin may redact a message",
            ));
        }
        message.body = Body {
            content: String::new(),
            metadata: None,
            content_type: None,
            attributes: None,
            push: None,
        };
        message.redacted = true;
        message.updated = now();
        changes::message(store, instance, arn, id, MessageChange::Redacted);
        Ok(Reply::body(
            json!({"ChannelArn": arn, "MessageId": id, "SubChannelId": sub}),
        ))
    })
}

pub fn delete(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    with_channel(
        store,
        input,
        Need::AtLeast(Role::Moderator, "delete messages"),
        |instance, arn, _, _| {
            let id = input.req("MessageId")?;
            let sub = input.str("SubChannelId");
            let channel = instance.channel_mut(arn)?;
            let message = channel
                .message_mut(id)
                .filter(|m| sub.is_none() || m.sub_channel.as_deref() == sub)
                .ok_or_else(|| ApiError::not_found(format!("message {id} not found")))?;
            message.deleted = true;
            changes::message(store, instance, arn, id, MessageChange::Deleted);
            Ok(Reply::empty())
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;

    fn message(i: usize, created: i64, sub: Option<&str>) -> Message {
        Message {
            sub_channel: sub.map(str::to_owned),
            // Every seventh message deleted: skipped, never returned.
            deleted: i % 7 == 3,
            ..Message::new(
                format!("m{i}"),
                "arn:u",
                Body::text(format!("{i}")),
                Millis(created),
            )
        }
    }

    /// What a page must hold: the old way, every message filtered, keyed and sorted.
    fn reference(channel: &Channel, sub: Option<&str>, w: &Window) -> Vec<usize> {
        let mut keyed: Vec<(String, usize)> = (0..channel.message_count())
            .filter_map(|p| channel.message_at(p).map(|m| (p, m)))
            .filter(|(_, m)| m.visible() && m.sub_channel.as_deref() == sub)
            .filter(|(_, m)| w.not_before.is_none_or(|t| m.created >= t))
            .filter(|(_, m)| w.not_after.is_none_or(|t| m.created <= t))
            .map(|(p, m)| (w.key(m.created, p), p))
            .collect();
        keyed.sort();
        keyed.into_iter().map(|(_, p)| p).collect()
    }

    #[test]
    fn pages_match_a_full_sort_and_cost_a_page_not_the_history() {
        let mut channel = Channel::new("arn:c", "c", "arn:u", Millis(0));
        let mut elastic = Channel::new("arn:e", "e", "arn:u", Millis(0));
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        let mut at = 1_000;
        for i in 0..100_000 {
            // Several messages per millisecond at times, and a clock that steps back now and then
            // (push_message keeps the order).
            at += next(3) as i64;
            let created = if next(50) == 0 { at - 5 } else { at };
            channel.push_message(message(i, created, None));
            let sub = ["1", "2", "3"][next(3) as usize];
            elastic.push_message(message(i, created, Some(sub)));
        }
        for round in 0..200 {
            let (chan, sub) = if round % 2 == 0 {
                (&channel, None)
            } else {
                (&elastic, Some("2"))
            };
            let (before, after_time) = (next(100_000) as i64, next(120_000) as i64);
            let w = Window {
                not_before: (next(2) == 0).then_some(Millis(1_000 + before)),
                not_after: (next(2) == 0).then_some(Millis(1_000 + after_time)),
                descending: next(2) == 0,
            };
            let want = reference(chan, sub, &w);
            let size = 1 + next(50) as usize;
            let mut got = Vec::new();
            let mut after: Option<String> = None;
            for _ in 0..3 {
                let (page, token, examined) = w
                    .page(chan, sub, size, after.as_deref(), |m| m.visible())
                    .unwrap();
                // A page examines what it returns, what it skips (deleted: one in seven) and one more.
                assert!(
                    examined <= 2 * size + 8,
                    "examined {examined} for a page of {size}"
                );
                got.extend(page);
                match token {
                    Some(token) => after = Some(decode_token(&token)),
                    None => break,
                }
            }
            assert_eq!(got, want[..got.len()], "round {round}");
            if got.len() < want.len() {
                assert!(after.is_some(), "a token while more remain");
            }
        }
        let mut map = Map::new();
        map.insert("NextToken".into(), "zz".into());
        assert!(resume_after(&Input(map)).is_err());
    }

    fn decode_token(token: &str) -> String {
        let bytes: Vec<u8> = (0..token.len())
            .step_by(2)
            .filter_map(|i| u8::from_str_radix(&token[i..i + 2], 16).ok())
            .collect();
        String::from_utf8(bytes).unwrap_or_default()
    }
}
