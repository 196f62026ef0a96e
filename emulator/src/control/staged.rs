//! Staging a processor event: makes chime-local hold exactly what a sample event (`tests/events/*.json`)
//! describes — its app instance, sender, channel (elastic when the event names a sub-channel) and a
//! PENDING message waiting for the event's own CallbackId — so that `cargo lambda invoke … --data-file`
//! runs a real function whose callback lands here. Staging the same event again puts the message back
//! to PENDING with the event's content, so an event can be replayed after a stage is edited.

use serde_json::{Value, json};

use chime_flow::event::ProcessorEvent;

use crate::server::error::ApiError;
use crate::state::{
    Body, Channel, Elastic, Instance, MESSAGE_TYPES, Membership, Message, Millis, PERSISTENCE,
    Pending, Status, User, instance_of, lock, now, one_of,
};

/// The processor a staged message waits for: the function `cargo lambda invoke` names is not known
/// here, so the pending entry stands for "whichever function answers this CallbackId".
const STAGED_PROCESSOR: &str = "staged-event";

/// What staging created and the state it left, as the control endpoint answers it.
pub fn stage_event(store: &crate::state::Store, event: &Value) -> Result<Value, ApiError> {
    let parsed = ProcessorEvent::from_value(event)
        .map_err(|e| ApiError::bad_request(format!("unusable processor event: {e}")))?;
    let message = &parsed.channel_message;
    let channel_arn = message.channel_arn.as_str();
    let instance_arn = instance_of(channel_arn).ok_or_else(|| {
        ApiError::bad_request(format!(
            "ChannelMessage.ChannelArn: {channel_arn} is not a channel of an app instance"
        ))
    })?;
    let sender = message.sender_arn().ok_or_else(|| {
        ApiError::bad_request("ChannelMessage.Sender.Arn: missing, a staged message needs a sender")
    })?;
    if instance_of(sender) != Some(instance_arn) {
        return Err(ApiError::bad_request(format!(
            "ChannelMessage.Sender.Arn: {sender} is not a user of {instance_arn}"
        )));
    }
    let raw = event.get("ChannelMessage").unwrap_or(&Value::Null);
    let body = Body {
        content: message.text().to_owned(),
        metadata: message.metadata.clone().filter(|m| !m.is_empty()),
        content_type: message.content_type.clone(),
        attributes: raw
            .get("MessageAttributes")
            .filter(|v| v.is_object())
            .cloned(),
        push: raw
            .get("PushNotification")
            .filter(|v| v.is_object())
            .cloned(),
    };
    let at = now();
    let mut created = Vec::new();

    let instance = match store.instance(instance_arn) {
        Ok(instance) => instance,
        Err(_) => {
            store.insert(Instance::new(
                instance_arn,
                last_segment(instance_arn),
                None,
                at,
            ));
            created.push(instance_arn.to_owned());
            store.instance(instance_arn)?
        }
    };
    let mut instance = lock(&instance);
    if !instance.is_identity(sender) {
        let name = message
            .sender
            .as_ref()
            .and_then(|s| s.name.clone())
            .unwrap_or_else(|| last_segment(sender).to_owned());
        instance
            .users
            .insert(sender.to_owned(), User::new(sender, &name, at));
        created.push(sender.to_owned());
    }
    if !instance.channels.contains_key(channel_arn) {
        let mut channel = Channel::new(channel_arn, last_segment(channel_arn), sender, at);
        if message.sub_channel_id.is_some() {
            channel.elastic = Some(Elastic {
                maximum_sub_channels: 100,
                target_per_sub_channel: 1000,
                minimum_percentage: 1,
            });
        }
        instance.channels.insert(channel_arn.to_owned(), channel);
        created.push(channel_arn.to_owned());
    }
    let channel = instance.channel_mut(channel_arn)?;
    let sub_channel = message.sub_channel_id.clone();
    if let Some(sub) = &sub_channel {
        if channel.elastic.is_none() {
            return Err(ApiError::bad_request(format!(
                "ChannelMessage.SubChannelId: {channel_arn} exists and is not elastic"
            )));
        }
        channel.open_sub_channel(sub);
    }
    match channel.members().get(sender) {
        Some(member) if member.sub_channel != sub_channel => {
            return Err(ApiError::bad_request(format!(
                "ChannelMessage.SubChannelId: the sender is a member of sub-channel {}",
                member.sub_channel.as_deref().unwrap_or("-")
            )));
        }
        Some(_) => {}
        None => {
            let member = Membership::new("DEFAULT", sender, sub_channel.clone(), at);
            channel.insert_member(sender, member);
        }
    }

    let created_at = message.created_timestamp.as_ref().map_or(at, millis_of);
    let edited_at = message.last_edited_timestamp.as_ref().map(millis_of);
    let pending = Pending {
        callback_id: parsed.callback_id.clone(),
        processor: 0,
        processors: vec![json!({
            "Name": STAGED_PROCESSOR,
            "ExecutionOrder": 1,
            "FallbackAction": "ABORT",
            "Configuration": {"Lambda": {"ResourceArn": "", "InvocationType": "ASYNC"}},
        })],
        body: body.clone(),
        edited_at,
    };
    let id = &message.message_id;
    match channel.message_mut(id) {
        Some(existing) => {
            if existing.sub_channel != sub_channel || existing.sender != sender {
                return Err(ApiError::bad_request(format!(
                    "ChannelMessage.MessageId: {id} already exists with another sender or sub-channel"
                )));
            }
            existing.used_callbacks.retain(|c| c != &parsed.callback_id);
            existing.status = Status::Pending;
            existing.detail = None;
            existing.pending = Some(Box::new(pending));
        }
        None => {
            channel.push_message(Message {
                sub_channel: sub_channel.clone(),
                persistence: one_of(
                    message.persistence.as_deref().unwrap_or("PERSISTENT"),
                    &PERSISTENCE,
                ),
                kind: one_of(
                    message.message_type.as_deref().unwrap_or("STANDARD"),
                    &MESSAGE_TYPES,
                ),
                target: raw.get("Target").filter(|v| v.is_array()).cloned(),
                status: Status::Pending,
                pending: Some(Box::new(pending)),
                ..Message::new(id.clone(), sender, body, created_at)
            });
        }
    }
    Ok(json!({
        "ChannelArn": channel_arn,
        "MessageId": id,
        "CallbackId": parsed.callback_id,
        "SubChannelId": sub_channel,
        "Sender": sender,
        "Status": Status::Pending.name(),
        "Created": created,
    }))
}

fn last_segment(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// An event's timestamp to the millisecond, exactly (seconds and nanoseconds, no float).
fn millis_of(at: &chime_flow::event::Timestamp) -> Millis {
    Millis::from_nanos(i128::from(at.seconds) * 1_000_000_000 + i128::from(at.nanos))
}
