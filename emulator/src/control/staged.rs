//! Staging a processor event: makes chime-local hold exactly what a sample event (`tests/events/*.json`)
//! describes — its app instance, sender, channel (elastic when the event names a sub-channel) and a
//! PENDING message waiting for the event's own CallbackId — so that `cargo lambda invoke … --data-file`
//! runs a real function whose callback lands here. Staging the same event again puts the message back
//! to PENDING with the event's content, so an event can be replayed after a stage is edited.

use std::sync::{Arc, Mutex};

use chime_flow::event::{ChannelMessage, ProcessorEvent};
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::state::{
    Body, Channel, Elastic, Instance, MESSAGE_TYPES, Membership, Message, Millis, PERSISTENCE,
    Pending, Status, Store, User, instance_of, lock, now, one_of,
};

/// The processor a staged message waits for: the function `cargo lambda invoke` names is not known
/// here, so the pending entry stands for "whichever function answers this CallbackId".
const STAGED_PROCESSOR: &str = "staged-event";

/// What staging created and the state it left, as the control endpoint answers it.
pub fn stage_event(store: &Store, event: &Value) -> Result<Value, ApiError> {
    let parsed = ProcessorEvent::from_value(event)
        .map_err(|e| ApiError::bad_request(format!("unusable processor event: {e}")))?;
    let message = &parsed.channel_message;
    // The service's own limits: a staged message is one the service could have held.
    crate::state::Message::check_size("STANDARD", message.content.as_deref().unwrap_or_default())?;
    if let Some(metadata) = &message.metadata
        && metadata.len() > chime_flow::limits::METADATA_MAX_BYTES
    {
        return Err(ApiError::bad_request(format!(
            "Metadata: {} bytes, at most {}",
            metadata.len(),
            chime_flow::limits::METADATA_MAX_BYTES
        )));
    }
    let (instance_arn, sender) = arns_of(message)?;
    let channel_arn = message.channel_arn.as_str();
    let raw = event.get("ChannelMessage").unwrap_or(&Value::Null);
    let at = now();
    let mut created = Vec::new();
    let instance = instance_for(store, instance_arn, at, &mut created)?;
    let mut instance = lock(&instance);
    ensure_sender_and_channel(&mut instance, message, sender, at, &mut created);
    let channel = instance.channel_mut(channel_arn)?;
    let sub_channel = message.sub_channel_id.clone();
    place_sender(channel, sender, sub_channel.as_deref(), at)?;
    hold_message(channel, &parsed, raw, sender, (at, store.clock()))?;
    let text = message.content.as_deref().unwrap_or_default();
    let ids = (channel_arn, message.message_id.as_str());
    store.journal.entered(ids, text, Vec::new(), (false, true));
    store.journal.awaiting(ids.1, &parsed.callback_id);
    Ok(json!({
        "ChannelArn": channel_arn,
        "MessageId": message.message_id,
        "CallbackId": parsed.callback_id,
        "SubChannelId": sub_channel,
        "Sender": sender,
        "Status": Status::Pending.name(),
        "Created": created,
    }))
}

/// The event's app instance and sender, which must belong to it.
fn arns_of(message: &ChannelMessage) -> Result<(&str, &str), ApiError> {
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
    Ok((instance_arn, sender))
}

/// The app instance, made when chime-local does not hold it yet.
fn instance_for(
    store: &Store,
    instance_arn: &str,
    at: Millis,
    created: &mut Vec<String>,
) -> Result<Arc<Mutex<Instance>>, ApiError> {
    if let Ok(instance) = store.instance(instance_arn) {
        return Ok(instance);
    }
    store.insert(Instance::new(
        instance_arn,
        last_segment(instance_arn),
        None,
        at,
    ));
    created.push(instance_arn.to_owned());
    store.instance(instance_arn)
}

/// The sender as a user and the channel (elastic when the event names a sub-channel), made when
/// missing.
fn ensure_sender_and_channel(
    instance: &mut Instance,
    message: &ChannelMessage,
    sender: &str,
    at: Millis,
    created: &mut Vec<String>,
) {
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
    let channel_arn = message.channel_arn.as_str();
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
}

/// The sender as a member, in the event's sub-channel (a member of another one is refused).
fn place_sender(
    channel: &mut Channel,
    sender: &str,
    sub_channel: Option<&str>,
    at: Millis,
) -> Result<(), ApiError> {
    if let Some(sub) = sub_channel {
        if channel.elastic.is_none() {
            return Err(ApiError::bad_request(format!(
                "ChannelMessage.SubChannelId: {} exists and is not elastic",
                channel.arn
            )));
        }
        channel.open_sub_channel(sub);
    }
    match channel.members().get(sender) {
        Some(member) if member.sub_channel.as_deref() != sub_channel => {
            Err(ApiError::bad_request(format!(
                "ChannelMessage.SubChannelId: the sender is a member of sub-channel {}",
                member.sub_channel.as_deref().unwrap_or("-")
            )))
        }
        Some(_) => Ok(()),
        None => {
            let member = Membership::new("DEFAULT", sender, sub_channel.map(str::to_owned), at);
            channel.insert_member(sender, member);
            Ok(())
        }
    }
}

/// The event's message, PENDING and waiting for the event's own CallbackId: made, or put back to
/// PENDING with the event's content when it exists already.
fn hold_message(
    channel: &mut Channel,
    parsed: &ProcessorEvent,
    raw: &Value,
    sender: &str,
    (at, entered): (Millis, Millis),
) -> Result<(), ApiError> {
    let message = &parsed.channel_message;
    let body = staged_body(message, raw);
    let sub_channel = message.sub_channel_id.clone();
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
        edited_at: message.last_edited_timestamp.as_ref().map(millis_of),
        entered,
    };
    let id = &message.message_id;
    if let Some(existing) = channel.message_mut(id) {
        if existing.sub_channel != sub_channel || existing.sender != sender {
            return Err(ApiError::bad_request(format!(
                "ChannelMessage.MessageId: {id} already exists with another sender or sub-channel"
            )));
        }
        existing.used_callbacks.retain(|c| c != &parsed.callback_id);
        existing.status = Status::Pending;
        existing.detail = None;
        existing.pending = Some(Box::new(pending));
        return Ok(());
    }
    let created_at = message.created_timestamp.as_ref().map_or(at, millis_of);
    channel.push_message(Message {
        sub_channel,
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
    Ok(())
}

/// What the message says, from the event (attributes and push configuration as given).
fn staged_body(message: &ChannelMessage, raw: &Value) -> Body {
    Body {
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
    }
}

fn last_segment(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// An event's timestamp to the millisecond, exactly (seconds and nanoseconds, no float).
fn millis_of(at: &chime_flow::event::Timestamp) -> Millis {
    Millis::from_nanos(i128::from(at.seconds) * 1_000_000_000 + i128::from(at.nanos))
}
