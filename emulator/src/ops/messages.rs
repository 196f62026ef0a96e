//! Channel messages: send, read, list, edit, redact, delete. On a channel with a flow, STANDARD
//! messages and their edits go PENDING and through the processors (see `flows`).

use serde_json::{Value, json};

use super::access::Role;
use super::channels::{Need, with_channel};
use super::flows::start_flow;
use super::page::page;
use super::{Input, Reply, identity};
use crate::error::ApiError;
use crate::store::{Body, Channel, Instance, Message, Status, Store, now, random_hex};

const STANDARD_MAX_BYTES: usize = 4096;
const CONTROL_MAX_BYTES: usize = 30;

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
        .members
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
        Some(id) if channel.sub_channels.iter().any(|s| s == id) => Ok(Some(id.to_owned())),
        Some(id) => Err(ApiError::not_found(format!("sub-channel {id} not found"))),
        None if required => Err(ApiError::bad_request(
            "SubChannelId: required to act in an elastic channel as a moderator or admin",
        )),
        None => Ok(None),
    }
}

pub(super) fn check_size(kind: &str, content: &str) -> Result<(), ApiError> {
    let max = if kind == "CONTROL" {
        CONTROL_MAX_BYTES
    } else {
        STANDARD_MAX_BYTES
    };
    if content.len() > max {
        return Err(ApiError::bad_request(format!(
            "Content: {} bytes, a {kind} message holds at most {max}",
            content.len()
        )));
    }
    Ok(())
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
            let kind = input.req("Type")?.to_owned();
            let content = input.req("Content")?.to_owned();
            check_size(&kind, &content)?;
            let at = now();
            let message = Message {
                id: random_hex(32),
                sub_channel: sub.clone(),
                body: Body {
                    content,
                    metadata: input.str("Metadata").map(str::to_owned),
                    content_type: input.str("ContentType").map(str::to_owned),
                    attributes: input.get("MessageAttributes").cloned(),
                    push: input.get("PushNotification").cloned(),
                },
                sender: bearer.to_owned(),
                persistence: input.req("Persistence")?.to_owned(),
                kind,
                target: input.get("Target").cloned(),
                created: at,
                updated: at,
                last_edited: None,
                redacted: false,
                deleted: false,
                status: Status::Sent,
                detail: None,
                pending: None,
                used_callbacks: Vec::new(),
            };
            let id = message.id.clone();
            let channel = instance.channel_mut(arn)?;
            channel.push_message(message);
            let invocations = start_flow(instance, arn, &id, None)?;
            let channel = instance.channel_mut(arn)?;
            let message = channel
                .message_mut(&id)
                .ok_or_else(|| ApiError::not_found(format!("message {id} not found")))?;
            let status = status_json(message);
            if message.status == Status::Sent {
                channel.last_message = Some(at);
            }
            Ok(Reply {
                body: Some(json!({"ChannelArn": arn, "MessageId": id, "Status": status,
                "SubChannelId": sub})),
                invocations,
            })
        },
    )
}

/// Whether `bearer` may see a message at all: a targeted message (`Target`) is for its sender and
/// its targets only — not other members, moderators or admins.
fn for_reader(message: &Message, bearer: &str) -> bool {
    let targets = message.target.as_ref().and_then(Value::as_array);
    match targets {
        Some(targets) if !targets.is_empty() => {
            message.sender == bearer
                || targets
                    .iter()
                    .any(|t| t.get("MemberArn").and_then(Value::as_str) == Some(bearer))
        }
        _ => true,
    }
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
        .filter(|m| for_reader(m, bearer))
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
            let not_before = input.instant("NotBefore");
            let not_after = input.instant("NotAfter");
            let descending = input.str("SortOrder") != Some("ASCENDING");
            // Keyed by creation time, then by position (messages of the same millisecond keep their order).
            let mut items: Vec<(String, Value)> = channel
                .messages()
                .iter()
                .enumerate()
                .filter(|(_, m)| m.visible() && m.shown() && for_reader(m, bearer))
                .filter(|(_, m)| m.sub_channel == sub)
                .filter(|(_, m)| not_before.is_none_or(|t| m.created >= t))
                .filter(|(_, m)| not_after.is_none_or(|t| m.created <= t))
                .map(|(position, m)| {
                    let (millis, position) = (m.created.0 as u64, position as u64);
                    let (millis, position) = if descending {
                        (u64::MAX - millis, u64::MAX - position)
                    } else {
                        (millis, position)
                    };
                    let key = format!("{millis:020}{position:020}");
                    (key, message_json(instance, arn, m, false))
                })
                .collect();
            items.sort_by(|a, b| a.0.cmp(&b.0));
            let (items, token) = page(items, input)?;
            Ok(Reply::body(json!({"ChannelArn": arn, "SubChannelId": sub,
            "ChannelMessages": items, "NextToken": token})))
        },
    )
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
        check_size(&message.kind, &content)?;
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
            start_flow(instance, arn, &id, Some(edit))?
        } else {
            let at = now();
            message.body = edit;
            message.last_edited = Some(at);
            message.updated = at;
            Vec::new()
        };
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
            Ok(Reply::empty())
        },
    )
}
