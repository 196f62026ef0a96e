//! Channel flows: CRUD, association with channels, and the message's way through the processors.
//!
//! A STANDARD message (or an edit) sent to a channel with a flow is stored PENDING and handed to the
//! processors in ExecutionOrder, one at a time, each with its own CallbackId. A callback with
//! `DeleteResource` drops the message (DENIED); otherwise its content, metadata and attributes replace
//! the travelling body and the next processor gets it; after the last one the message is SENT. When a
//! processor cannot be invoked, its FallbackAction decides: CONTINUE as if it passed, ABORT fails the
//! message. A callback whose CallbackId was already answered is refused as for a non-pending message.

use serde_json::{Value, json};

use super::access::Role;
use super::channels::{Need, summary, with_channel};
use super::events::{self, MessageChange};
use super::messages::check_size;
use super::page::page;
use super::{Input, Reply, tags, without_nulls};
use crate::error::ApiError;
use crate::flow::Invocation;
use crate::store::{
    Body, Flow, Instance, Pending, Status, Store, iso8601, lock, now, random_hex, random_uuid,
};

/// CallbackIds are 32–64 characters; the service's are long random strings.
const CALLBACK_ID_LEN: usize = 48;

fn processors(input: &Input) -> Result<Vec<Value>, ApiError> {
    let mut list: Vec<Value> = input
        .get("Processors")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    list.sort_by_key(|p| p.get("ExecutionOrder").and_then(Value::as_i64).unwrap_or(0));
    let orders: Vec<i64> = list
        .iter()
        .filter_map(|p| p.get("ExecutionOrder").and_then(Value::as_i64))
        .collect();
    if orders.windows(2).any(|w| w[0] == w[1]) {
        return Err(ApiError::bad_request(
            "Processors: each processor needs its own ExecutionOrder",
        ));
    }
    Ok(list)
}

fn flow_json(flow: &Flow, full: bool) -> Value {
    let mut out = json!({"ChannelFlowArn": flow.arn, "Name": flow.name,
        "Processors": flow.processors});
    if full {
        out["CreatedTimestamp"] = json!(flow.created);
        out["LastUpdatedTimestamp"] = json!(flow.updated);
    }
    out
}

pub fn create_flow(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let instance_arn = input.req("AppInstanceArn")?;
    let instance = store.instance(instance_arn)?;
    let mut instance = lock(&instance);
    let arn = format!("{instance_arn}/channel-flow/{}", random_uuid());
    let at = now();
    instance.flows.insert(
        arn.clone(),
        Flow {
            arn: arn.clone(),
            name: input.req("Name")?.to_owned(),
            processors: processors(input)?,
            created: at,
            updated: at,
        },
    );
    if let Err(error) = tags::apply(&mut instance, &arn, input.get("Tags")) {
        instance.flows.remove(&arn);
        return Err(error);
    }
    Ok(Reply::body(json!({ "ChannelFlowArn": arn })))
}

fn with_flow<T>(
    store: &Store,
    arn: &str,
    f: impl FnOnce(&mut Instance) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let instance = store.instance(arn)?;
    let mut instance = lock(&instance);
    if !instance.flows.contains_key(arn) {
        return Err(ApiError::not_found(format!("channel flow {arn} not found")));
    }
    f(&mut instance)
}

pub fn describe_flow(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let arn = input.req("ChannelFlowArn")?;
    with_flow(store, arn, |instance| {
        let flow = &instance.flows[arn];
        Ok(Reply::body(json!({"ChannelFlow": flow_json(flow, true)})))
    })
}

pub fn update_flow(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let arn = input.req("ChannelFlowArn")?;
    let name = input.req("Name")?.to_owned();
    let list = processors(input)?;
    with_flow(store, arn, |instance| {
        if let Some(flow) = instance.flows.get_mut(arn) {
            flow.name = name;
            flow.processors = list;
            flow.updated = now();
        }
        Ok(Reply::body(json!({ "ChannelFlowArn": arn })))
    })
}

pub fn delete_flow(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let arn = input.req("ChannelFlowArn")?;
    with_flow(store, arn, |instance| {
        let used = instance
            .channels
            .values()
            .filter(|c| c.flow.as_deref() == Some(arn))
            .count();
        if used > 0 {
            return Err(ApiError::conflict(format!(
                "channel flow {arn} is associated with {used} channel(s); disassociate it first"
            )));
        }
        instance.flows.remove(arn);
        tags::forget(instance, arn);
        Ok(Reply::empty())
    })
}

pub fn list_flows(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let instance_arn = input.req("AppInstanceArn")?;
    let instance = store.instance(instance_arn)?;
    let items = lock(&instance)
        .flows
        .values()
        .map(|f| (f.arn.clone(), flow_json(f, false)))
        .collect();
    let (items, token) = page(items, input)?;
    Ok(Reply::body(
        json!({"ChannelFlows": items, "NextToken": token}),
    ))
}

pub fn associate(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    with_channel(
        store,
        input,
        Need::AtLeast(Role::Moderator, "associate a channel flow"),
        |instance, arn, _, _| {
            let flow = input.req("ChannelFlowArn")?;
            let channel = instance.channel(arn)?;
            if !instance.flows.contains_key(flow) {
                return Err(ApiError::not_found(format!(
                    "channel flow {flow} not found"
                )));
            }
            if let Some(current) = &channel.flow {
                return Err(ApiError::conflict(format!(
                    "the channel already has the flow {current}"
                )));
            }
            instance.channel_mut(arn)?.flow = Some(flow.to_owned());
            Ok(Reply::empty())
        },
    )
}

pub fn disassociate(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    with_channel(
        store,
        input,
        Need::AtLeast(Role::Moderator, "disassociate a channel flow"),
        |instance, arn, _, _| {
            let flow = input.req("ChannelFlowArn")?;
            let channel = instance.channel(arn)?;
            if channel.flow.as_deref() != Some(flow) {
                return Err(ApiError::not_found(format!(
                    "channel flow {flow} is not associated with this channel"
                )));
            }
            instance.channel_mut(arn)?.flow = None;
            Ok(Reply::empty())
        },
    )
}

pub fn list_associated(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let flow = input.req("ChannelFlowArn")?;
    with_flow(store, flow, |instance| {
        let items = instance
            .channels
            .values()
            .filter(|c| c.flow.as_deref() == Some(flow))
            .map(|c| {
                let mut s = summary(c);
                if let Some(map) = s.as_object_mut() {
                    map.remove("LastMessageTimestamp");
                }
                (c.arn.clone(), s)
            })
            .collect();
        let (items, token) = page(items, input)?;
        Ok(Reply::body(json!({"Channels": items, "NextToken": token})))
    })
}

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
    message.pending = Some(Box::new(Pending {
        callback_id: random_hex(CALLBACK_ID_LEN),
        processor: 0,
        processors,
        body: edit.unwrap_or_else(|| message.body.clone()),
        edited_at,
    }));
    message.status = Status::Pending;
    message.detail = None;
    Ok(invocation(instance, channel_arn, message_id)
        .into_iter()
        .collect())
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
        pending.callback_id = random_hex(CALLBACK_ID_LEN);
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
            check_size(message.kind, &content)
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
    let was_edit = is_edit(&instance, channel_arn, &message_id);
    let invocations = advance(
        &mut instance,
        channel_arn,
        &message_id,
        callback_id,
        verdict,
    )?;
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
    let change = match (was_edit, message.status, &message.detail) {
        (true, Status::Sent, Some(_)) => MessageChange::EditFailed,
        (true, _, _) => MessageChange::Updated,
        (false, _, _) => MessageChange::Created,
    };
    events::message(store, instance, channel_arn, message_id, change);
}
