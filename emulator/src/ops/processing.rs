//! The state machine that moves a message through its flow's processors.
//!
//! A STANDARD message (or an edit) sent to a channel with a flow is stored PENDING and handed to the
//! processors in ExecutionOrder, one at a time, each with its own CallbackId. A callback with
//! `DeleteResource` drops the message (DENIED); otherwise its content, metadata and attributes replace
//! the travelling body and the next processor gets it; after the last one the message is SENT. When a
//! processor cannot be invoked, its FallbackAction decides: CONTINUE as if it passed, ABORT fails the
//! message. A callback whose CallbackId was already answered is refused as for a non-pending message.

use chime_flow::limits::CALLBACK_ID_LEN;
use serde_json::{Value, json};

use super::Invocation;
use super::{Input, Reply, without_nulls};
use crate::error::ApiError;
use crate::state::changes::{self, MessageChange};
use crate::state::journey::Step;
use crate::state::{
    Body, Instance, Message, Pending, Status, Store, iso8601, lock, now, random_hex,
};

/// The length of the CallbackIds chime-local makes: the middle of the model's bounds (the
/// service's are long random strings).
const CALLBACK_ID_CHARS: usize = (CALLBACK_ID_LEN.0 + CALLBACK_ID_LEN.1) / 2;

/// How long after a message enters its flow its processors may call back: then the service refuses
/// the callback with Forbidden (and the message stays PENDING).
pub const CALLBACK_WINDOW_MS: i64 = 48 * 3_600_000;

/// The processor event for a message and the body travelling through its flow.
fn processor_event(
    instance: &Instance,
    channel_arn: &str,
    message_id: &str,
    callback_id: &str,
) -> Option<Value> {
    let channel = instance.channels.get(channel_arn)?;
    let m = channel.message(message_id)?;
    let body = m.pending.as_ref().map_or(&m.body, |p| &p.body);
    let edited = m
        .pending
        .as_ref()
        .and_then(|p| p.edited_at)
        .or(m.last_edited);
    Some(without_nulls(json!({
        "EventType": "CHANNEL_MESSAGE_EVENT",
        "CallbackId": callback_id,
        "ChannelMessage": {
            "MessageId": m.id, "ChannelArn": channel_arn, "Content": body.content,
            "Metadata": body.metadata, "ContentType": body.content_type,
            "MessageAttributes": body.attributes, "PushNotification": body.push,
            "Sender": {"Arn": m.sender, "Name": instance.display_name(&m.sender)},
            "Persistence": m.persistence, "Type": m.kind,
            "CreatedTimestamp": iso8601(m.created),
            "LastEditedTimestamp": edited.map(iso8601),
            "SubChannelId": m.sub_channel, "Target": m.target,
        }
    })))
}

/// Puts a message (or, with `edit`, an edit of it) into the channel's flow when it has one and the
/// message is STANDARD; returns the first processor's invocation.
pub fn start_flow(
    store: &Store,
    instance: &mut Instance,
    channel_arn: &str,
    message_id: &str,
    edit: Option<Body>,
) -> Result<Vec<Invocation>, ApiError> {
    let channel = instance.channel(channel_arn)?;
    let Some(flow_arn) = channel.flow.clone() else {
        return Ok(Vec::new());
    };
    let processors = instance
        .flows
        .get(&flow_arn)
        .map(|f| f.processors.clone())
        .unwrap_or_default();
    let channel = instance.channel_mut(channel_arn)?;
    let Some(message) = channel.message_mut(message_id) else {
        return Ok(Vec::new());
    };
    if message.kind != "STANDARD" || processors.is_empty() {
        return Ok(Vec::new());
    }
    let edited_at = edit.is_some().then(now);
    let names = processors.iter().map(processor_name).collect();
    let text = edit.as_ref().map_or(&message.body.content, |e| &e.content);
    store.journal.entered(
        (channel_arn, message_id),
        text,
        names,
        (edit.is_some(), false),
    );
    message.pending = Some(Box::new(Pending {
        callback_id: random_hex(CALLBACK_ID_CHARS),
        processor: 0,
        processors,
        body: edit.unwrap_or_else(|| message.body.clone()),
        edited_at,
        entered: store.clock(),
    }));
    message.status = Status::Pending;
    message.detail = None;
    Ok(invocation(instance, channel_arn, message_id)
        .into_iter()
        .collect())
}

/// A processor's name, as its flow lists it.
pub fn processor_name(processor: &Value) -> String {
    processor
        .get("Name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The invocation of the message's current processor.
fn invocation(instance: &Instance, channel_arn: &str, message_id: &str) -> Option<Invocation> {
    let channel = instance.channels.get(channel_arn)?;
    let message = channel.message(message_id)?;
    let pending = message.pending.as_ref()?;
    let processor = pending.processors.get(pending.processor)?;
    let text = |path: &[&str]| {
        path.iter()
            .try_fold(processor, |v, k| v.get(*k))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    Some(Invocation {
        channel_arn: channel_arn.to_owned(),
        message_id: message_id.to_owned(),
        callback_id: pending.callback_id.clone(),
        processor_name: text(&["Name"]),
        function_arn: text(&["Configuration", "Lambda", "ResourceArn"]),
        fallback: text(&["FallbackAction"]),
        payload: processor_event(instance, channel_arn, message_id, &pending.callback_id)?,
    })
}

/// What a processor's answer does to the pending message.
enum Verdict {
    Deny,
    Keep(Option<Body>),
    Abort(String),
}

/// Applies a verdict for the processor holding `callback_id`, then hands the message on or settles it.
fn advance(
    instance: &mut Instance,
    channel_arn: &str,
    message_id: &str,
    callback_id: &str,
    verdict: Verdict,
) -> Result<Vec<Invocation>, ApiError> {
    let channel = instance.channel_mut(channel_arn)?;
    let message = channel
        .message_mut(message_id)
        .ok_or_else(|| ApiError::not_found(format!("message {message_id} not found")))?;
    let Some(mut pending) = message.pending.take() else {
        return Err(non_pending(message_id));
    };
    if pending.callback_id != callback_id {
        message.pending = Some(pending);
        return Err(ApiError::bad_request(format!(
            "CallbackId {callback_id} is not the one pending for message {message_id}"
        )));
    }
    message.used_callbacks.push(callback_id.to_owned());
    let at = now();
    match verdict {
        Verdict::Deny => {
            message.status = Status::Denied;
            return Ok(Vec::new());
        }
        Verdict::Abort(detail) if pending.edited_at.is_some() => {
            // The edit is dropped; the message keeps what it said before.
            message.status = Status::Sent;
            message.detail = Some(detail);
            return Ok(Vec::new());
        }
        Verdict::Abort(detail) => {
            message.status = Status::Failed;
            message.detail = Some(detail);
            return Ok(Vec::new());
        }
        Verdict::Keep(body) => {
            if let Some(body) = body {
                pending.body = body;
            }
        }
    }
    if pending.processor + 1 < pending.processors.len() {
        pending.processor += 1;
        pending.callback_id = random_hex(CALLBACK_ID_CHARS);
        message.pending = Some(pending);
        return Ok(invocation(instance, channel_arn, message_id)
            .into_iter()
            .collect());
    }
    message.body = pending.body;
    message.status = Status::Sent;
    message.updated = at;
    if let Some(edited) = pending.edited_at {
        message.last_edited = Some(edited);
    }
    channel.last_message = Some(at);
    Ok(Vec::new())
}

fn non_pending(message_id: &str) -> ApiError {
    ApiError::bad_request(format!(
        "cannot process a callback for the non-pending message {message_id}: its flow already completed"
    ))
}

pub fn callback(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let channel_arn = input.req("ChannelArn")?;
    let callback_id = input.req("CallbackId")?;
    let sent = input.get("ChannelMessage").cloned().unwrap_or(Value::Null);
    let field = |name: &str| sent.get(name).and_then(Value::as_str).map(str::to_owned);
    let message_id = field("MessageId").ok_or_else(|| {
        ApiError::bad_request("ChannelMessage.MessageId: missing, it is required")
    })?;
    let instance = store.instance(channel_arn)?;
    let mut instance = lock(&instance);
    let channel = instance.channel(channel_arn)?;
    let message = channel
        .message(&message_id)
        .filter(|m| !m.deleted)
        .ok_or_else(|| ApiError::not_found(format!("message {message_id} not found")))?;
    if message.used_callbacks.iter().any(|c| c == callback_id) {
        return Err(non_pending(&message_id));
    }
    if let Some(pending) = &message.pending
        && store.clock().0 - pending.entered.0 > CALLBACK_WINDOW_MS
    {
        return Err(ApiError::forbidden(format!(
            "the callback window of message {message_id} has closed: it entered its flow more \
             than 48 hours ago"
        )));
    }
    if channel.elastic.is_some() && field("SubChannelId") != message.sub_channel {
        return Err(ApiError::bad_request(format!(
            "ChannelMessage.SubChannelId: the message lives in sub-channel {}",
            message.sub_channel.as_deref().unwrap_or("-")
        )));
    }
    let verdict = if input.get("DeleteResource").and_then(Value::as_bool) == Some(true) {
        Verdict::Deny
    } else {
        let current = message
            .pending
            .as_ref()
            .map_or_else(|| message.body.clone(), |p| p.body.clone());
        if let Some(content) = field("Content") {
            // A processor may rewrite, not outgrow, what a message can hold.
            Message::check_size(message.kind, &content)
                .map_err(|e| ApiError::bad_request(format!("ChannelMessage.{}", e.message)))?;
        }
        Verdict::Keep(Some(Body {
            content: field("Content").unwrap_or(current.content),
            metadata: field("Metadata").or(current.metadata),
            content_type: field("ContentType").or(current.content_type),
            attributes: sent
                .get("MessageAttributes")
                .cloned()
                .or(current.attributes),
            push: sent.get("PushNotification").cloned().or(current.push),
        }))
    };
    let decided = decided_step(message, &verdict, &sent);
    let was_edit = is_edit(&instance, channel_arn, &message_id);
    let invocations = advance(
        &mut instance,
        channel_arn,
        &message_id,
        callback_id,
        verdict,
    )?;
    let accepted = Step::Callback {
        callback_id: callback_id.to_owned(),
        status: 200,
        code: None,
        injected: false,
    };
    store.journal.step(&message_id, accepted);
    store.journal.step(&message_id, decided);
    announce_settled(store, &instance, channel_arn, &message_id, was_edit);
    Ok(Reply {
        body: Some(json!({"ChannelArn": channel_arn, "CallbackId": callback_id})),
        invocations,
    })
}

/// A processor could not be invoked: its FallbackAction decides. Returns the next invocation, if any.
pub fn apply_invocation_failure(
    store: &Store,
    failed: &Invocation,
    reason: &str,
) -> Vec<Invocation> {
    let Ok(instance) = store.instance(&failed.channel_arn) else {
        return Vec::new();
    };
    let mut instance = lock(&instance);
    let verdict = if failed.fallback == "CONTINUE" {
        Verdict::Keep(None)
    } else {
        // Status details hold at most 256 characters.
        let detail = format!(
            "processor {} could not be invoked: {reason}",
            failed.processor_name
        );
        Verdict::Abort(detail.chars().take(256).collect())
    };
    let was_edit = is_edit(&instance, &failed.channel_arn, &failed.message_id);
    let next = advance(
        &mut instance,
        &failed.channel_arn,
        &failed.message_id,
        &failed.callback_id,
        verdict,
    )
    .unwrap_or_default();
    announce_settled(
        store,
        &instance,
        &failed.channel_arn,
        &failed.message_id,
        was_edit,
    );
    next
}

/// What an accepted callback decided, read from the callback itself: the journey's record of
/// any processor, in-process or not.
fn decided_step(message: &Message, verdict: &Verdict, sent: &Value) -> Step {
    let pending = message.pending.as_deref();
    let processor = pending
        .and_then(|p| p.processors.get(p.processor))
        .map(processor_name)
        .unwrap_or_default();
    let Verdict::Keep(Some(after)) = verdict else {
        return Step::Decided {
            processor,
            decision: "deny",
            changed: Vec::new(),
            attributes_added: Vec::new(),
        };
    };
    let before = pending.map_or(&message.body, |p| &p.body);
    let mut changed = Vec::new();
    for (field, differs) in [
        ("Content", after.content != before.content),
        ("Metadata", after.metadata != before.metadata),
        ("ContentType", after.content_type != before.content_type),
        ("MessageAttributes", after.attributes != before.attributes),
    ] {
        if differs && sent.get(field).is_some() {
            changed.push(field);
        }
    }
    let had = |name: &str| before.attributes.as_ref().and_then(|a| a.get(name));
    let attributes_added = after
        .attributes
        .as_ref()
        .and_then(Value::as_object)
        .map(|attributes| {
            attributes
                .iter()
                .filter(|(name, value)| had(name) != Some(*value))
                .map(|(name, _)| name.clone())
                .collect()
        })
        .unwrap_or_default();
    Step::Decided {
        processor,
        decision: if changed.is_empty() { "pass" } else { "update" },
        changed,
        attributes_added,
    }
}

/// Whether the message's flow is processing an edit (rather than the message itself).
fn is_edit(instance: &Instance, channel_arn: &str, message_id: &str) -> bool {
    instance
        .channels
        .get(channel_arn)
        .and_then(|c| c.message(message_id))
        .and_then(|m| m.pending.as_ref())
        .is_some_and(|p| p.edited_at.is_some())
}

/// Once a message's flow is done, tells the connected users what became of it: the processed
/// message reaches the members, a denial or failure reaches its sender.
fn announce_settled(
    store: &Store,
    instance: &Instance,
    channel_arn: &str,
    message_id: &str,
    was_edit: bool,
) {
    let Some(message) = instance
        .channels
        .get(channel_arn)
        .and_then(|c| c.message(message_id))
    else {
        return;
    };
    if message.pending.is_some() {
        return;
    }
    store.journal.step(
        message_id,
        Step::Settled {
            status: message.status.name(),
            detail: message.detail.clone(),
        },
    );
    let change = match (was_edit, message.status, &message.detail) {
        (true, Status::Sent, Some(_)) => MessageChange::EditFailed,
        (true, _, _) => MessageChange::Updated,
        (false, _, _) => MessageChange::Created,
    };
    changes::message(store, instance, channel_arn, message_id, change);
}
