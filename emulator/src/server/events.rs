//! Messaging WebSocket events, as the developer guide describes them: a JSON frame with `Headers`
//! (`x-amz-chime-event-type`, `x-amz-chime-message-type`, for messages also
//! `x-amz-chime-persistence-type`) and `Payload`, the resource as a JSON string with ISO-8601 times.
//! The sessions implement the state's `Publish` port: operations announce while holding their app
//! instance's lock; the audience is chosen among the users connected right now, so an event costs
//! what the online users cost, not the channel's size.

use std::sync::Arc;

use serde_json::{Value, json};

use super::sessions::Sessions;
use crate::json::{identity, without_nulls};
use crate::state::changes::{Change, MessageChange, Publish};
use crate::state::{Channel, Instance, Membership, Message, Status, iso8601};

impl Publish for Sessions {
    fn publish(&self, instance: &Instance, change: Change<'_>) {
        if !self.any() {
            return;
        }
        match change {
            Change::Message {
                channel_arn,
                id,
                change,
            } => message(self, instance, channel_arn, id, change),
            Change::Membership {
                channel_arn,
                member,
                removed,
            } => membership(self, instance, channel_arn, member, removed),
            Change::Members { channel_arn, added } => {
                batch_membership(self, instance, channel_arn, added)
            }
            Change::Channel { channel_arn, kind } => channel(self, instance, channel_arn, kind),
        }
    }
}

/// One rendered frame.
pub fn frame(
    kind: &str,
    message_type: &str,
    persistence: Option<&str>,
    payload: &Value,
) -> Arc<str> {
    let mut headers =
        json!({"x-amz-chime-event-type": kind, "x-amz-chime-message-type": message_type});
    if let Some(persistence) = persistence {
        headers["x-amz-chime-persistence-type"] = json!(persistence);
    }
    Arc::from(json!({"Headers": headers, "Payload": payload.to_string()}).to_string())
}

/// A message as event payloads carry it. For a message in its flow, the text travelling through
/// the flow (the sender's own, which only the sender is shown).
pub fn message_payload(instance: &Instance, channel_arn: &str, m: &Message) -> Value {
    let body = m.pending.as_ref().map_or(&m.body, |p| &p.body);
    without_nulls(json!({
        "ChannelArn": channel_arn, "MessageId": m.id,
        "Content": (!m.redacted).then_some(&body.content),
        "Metadata": body.metadata, "ContentType": body.content_type,
        "MessageAttributes": body.attributes, "Type": m.kind, "Persistence": m.persistence,
        "CreatedTimestamp": iso8601(m.created), "LastUpdatedTimestamp": iso8601(m.updated),
        "LastEditedTimestamp": m.last_edited.map(iso8601), "Redacted": m.redacted,
        "Sender": identity(&m.sender, &instance.display_name(&m.sender)),
        "Status": {"Value": m.status.name(), "Detail": m.detail},
        "SubChannelId": m.sub_channel, "Target": m.target,
    }))
}

/// Whether `user` is among those a message is for: members of its channel (of its sub-channel, in
/// an elastic one) and its sender; for a targeted message, only the sender and its targets.
fn reaches(channel: &Channel, m: &Message, user: &str) -> bool {
    if user == m.sender {
        return true;
    }
    let member = channel.members().get(user).is_some_and(|membership| {
        m.sub_channel.is_none() || membership.sub_channel == m.sub_channel
    });
    member && m.is_for(user)
}

/// Publishes the event for a change to message `id`. Its state decides the event: in a flow it is
/// `PENDING_…` to the sender only, denied or failed `DENIED_…`/`FAILED_…` to the sender only, and
/// otherwise the change itself to everyone it reaches.
fn message(
    sessions: &Sessions,
    instance: &Instance,
    channel_arn: &str,
    id: &str,
    change: MessageChange,
) {
    let Some(channel) = instance.channels.get(channel_arn) else {
        return;
    };
    let Some(m) = channel.message(id) else {
        return;
    };
    let verb = match change {
        MessageChange::Created => "CREATE",
        MessageChange::Updated | MessageChange::EditFailed => "UPDATE",
        MessageChange::Redacted => "REDACT",
        MessageChange::Deleted => "DELETE",
    };
    let (prefix, sender_only) = match (change, m.status, &m.pending) {
        (MessageChange::EditFailed, _, _) => ("FAILED_", true),
        (_, _, Some(_)) => ("PENDING_", true),
        (_, Status::Denied, _) => ("DENIED_", true),
        (_, Status::Failed, _) => ("FAILED_", true),
        _ => ("", false),
    };
    let audience: Vec<String> = sessions
        .connected_in(&instance.arn)
        .into_iter()
        .filter(|user| {
            if sender_only {
                *user == m.sender
            } else {
                reaches(channel, m, user)
            }
        })
        .collect();
    if audience.is_empty() {
        return;
    }
    let kind = format!("{prefix}{verb}_CHANNEL_MESSAGE");
    let payload = message_payload(instance, channel_arn, m);
    sessions.deliver(
        &audience,
        &frame(&kind, m.kind, Some(m.persistence), &payload),
    );
}

/// The connected members of a channel (of `sub_channel` only, when given), plus `also`.
fn channel_audience(
    sessions: &Sessions,
    instance: &Instance,
    channel: &Channel,
    sub_channel: Option<&str>,
    also: Option<&str>,
) -> Vec<String> {
    sessions
        .connected_in(&instance.arn)
        .into_iter()
        .filter(|user| {
            Some(user.as_str()) == also
                || channel.members().get(user).is_some_and(|m| {
                    sub_channel.is_none() || m.sub_channel.as_deref() == sub_channel
                })
        })
        .collect()
}

fn membership_payload(
    instance: &Instance,
    channel_arn: &str,
    member: &str,
    m: &Membership,
) -> Value {
    without_nulls(json!({
        "ChannelArn": channel_arn, "Type": m.kind, "SubChannelId": m.sub_channel,
        "Member": identity(member, &instance.display_name(member)),
        "InvitedBy": identity(&m.invited_by, &instance.display_name(&m.invited_by)),
        "CreatedTimestamp": iso8601(m.created), "LastUpdatedTimestamp": iso8601(m.updated),
    }))
}

/// `CREATE_CHANNEL_MEMBERSHIP` (after it joined) or `DELETE_CHANNEL_MEMBERSHIP` (with the removed
/// membership, after it left): to the channel's connected members — of the same sub-channel in an
/// elastic channel — and to the member itself.
fn membership(
    sessions: &Sessions,
    instance: &Instance,
    channel_arn: &str,
    member: &str,
    removed: Option<&Membership>,
) {
    let Some(channel) = instance.channels.get(channel_arn) else {
        return;
    };
    let (kind, m) = match removed {
        Some(m) => ("DELETE_CHANNEL_MEMBERSHIP", m),
        None => match channel.members().get(member) {
            Some(m) => ("CREATE_CHANNEL_MEMBERSHIP", m),
            None => return,
        },
    };
    let audience = channel_audience(
        sessions,
        instance,
        channel,
        m.sub_channel.as_deref(),
        Some(member),
    );
    if audience.is_empty() {
        return;
    }
    let payload = membership_payload(instance, channel_arn, member, m);
    sessions.deliver(&audience, &frame(kind, "SYSTEM", None, &payload));
}

/// `BATCH_CREATE_CHANNEL_MEMBERSHIP` for the members a batch added to a regular channel (an elastic
/// channel announces each member on its own, as the service does).
fn batch_membership(sessions: &Sessions, instance: &Instance, channel_arn: &str, added: &[String]) {
    if added.is_empty() {
        return;
    }
    let Some(channel) = instance.channels.get(channel_arn) else {
        return;
    };
    if channel.elastic.is_some() {
        for member in added {
            membership(sessions, instance, channel_arn, member, None);
        }
        return;
    }
    let Some(first) = added.first().and_then(|a| channel.members().get(a)) else {
        return;
    };
    let audience = channel_audience(sessions, instance, channel, None, None);
    if audience.is_empty() {
        return;
    }
    let members: Vec<Value> = added
        .iter()
        .map(|arn| identity(arn, &instance.display_name(arn)))
        .collect();
    let payload = json!({"ChannelArn": channel_arn, "Type": first.kind,
        "InvitedBy": identity(&first.invited_by, &instance.display_name(&first.invited_by)),
        "Members": members});
    sessions.deliver(
        &audience,
        &frame("BATCH_CREATE_CHANNEL_MEMBERSHIP", "SYSTEM", None, &payload),
    );
}

/// A channel as its events carry it.
pub fn channel_payload(instance: &Instance, channel: &Channel) -> Value {
    without_nulls(json!({
        "ChannelArn": channel.arn, "Name": channel.name, "Mode": channel.mode,
        "Privacy": channel.privacy, "Metadata": channel.metadata,
        "CreatedBy": identity(&channel.created_by, &instance.display_name(&channel.created_by)),
        "CreatedTimestamp": iso8601(channel.created),
        "LastUpdatedTimestamp": iso8601(channel.updated),
        "LastMessageTimestamp": channel.last_message.map(iso8601),
        "ChannelFlowArn": channel.flow,
    }))
}

/// `UPDATE_CHANNEL` or `DELETE_CHANNEL` (call it before the channel is removed) to its members.
fn channel(sessions: &Sessions, instance: &Instance, channel_arn: &str, kind: &str) {
    let Some(channel) = instance.channels.get(channel_arn) else {
        return;
    };
    let audience = channel_audience(sessions, instance, channel, None, None);
    if audience.is_empty() {
        return;
    }
    let payload = channel_payload(instance, channel);
    sessions.deliver(&audience, &frame(kind, "SYSTEM", None, &payload));
}
