//! What the console reads, as JSON: the app instances with their users, bots, flows and channels;
//! a channel's members; a channel's messages newest first, a page at a time; one message with its
//! journey. Read straight from the state under each instance's lock, briefly: the console writes
//! only through the service's operations and control endpoints.

use serde_json::{Value, json};

use crate::state::journey::{Journey, Step};
use crate::state::{Channel, Instance, Message, Status, Store, lock};

/// At most this many users, bots or channels of one instance are listed (seeded populations run to
/// millions); the counts are always whole.
pub const LISTED: usize = 500;
/// A page of messages, and the most a reader may ask for.
pub const PAGE: usize = 50;
pub const MAX_PAGE: usize = 500;

/// Every app instance: its users, bots, admins, flows and channels (elastic ones with their
/// sub-channels' member counts).
pub fn overview(store: &Store) -> Value {
    let instances: Vec<Value> = store
        .all()
        .iter()
        .map(|instance| instance_json(&lock(instance)))
        .collect();
    json!({ "Instances": instances, "ClockAheadSeconds": store.clock_ahead_ms() / 1000 })
}

/// The first [`LISTED`] users or bots, by ARN and name.
fn listed<'a, T: 'a>(
    items: impl Iterator<Item = &'a T>,
    arn_and_name: impl Fn(&'a T) -> (&'a str, &'a str),
) -> Vec<Value> {
    items
        .take(LISTED)
        .map(|item| {
            let (arn, name) = arn_and_name(item);
            json!({"Arn": arn, "Name": name})
        })
        .collect()
}

fn instance_json(instance: &Instance) -> Value {
    let users = listed(instance.users.values(), |u| (&u.arn, &u.name));
    let bots = listed(instance.bots.values(), |b| (&b.arn, &b.name));
    let flows: Vec<Value> = instance
        .flows
        .values()
        .map(|f| {
            let processors: Vec<String> = f
                .processors
                .iter()
                .map(crate::ops::processing::processor_name)
                .collect();
            json!({"Arn": f.arn, "Name": f.name, "Processors": processors})
        })
        .collect();
    let channels: Vec<Value> = instance
        .channels
        .values()
        .take(LISTED)
        .map(|c| channel_json(instance, c))
        .collect();
    json!({
        "Arn": instance.arn, "Name": instance.name,
        "Users": users, "UserCount": instance.users.len(),
        "Bots": bots, "Admins": instance.admins.keys().collect::<Vec<_>>(),
        "Flows": flows, "Channels": channels, "ChannelCount": instance.channels.len(),
    })
}

fn channel_json(instance: &Instance, channel: &Channel) -> Value {
    let elastic = channel.elastic.as_ref().map(|_| {
        let subs: Vec<Value> = channel
            .sub_channel_counts()
            .iter()
            .map(|(id, members)| json!({"SubChannelId": id, "Members": members}))
            .collect();
        json!({ "SubChannels": subs })
    });
    let flow = channel.flow.as_ref().map(|arn| {
        let name = instance.flows.get(arn).map(|f| f.name.as_str());
        json!({"Arn": arn, "Name": name})
    });
    json!({
        "Arn": channel.arn, "Name": channel.name, "Mode": channel.mode,
        "Privacy": channel.privacy, "Members": channel.members().len(),
        "Messages": channel.message_count(), "Flow": flow, "Elastic": elastic,
    })
}

/// A channel's members (the first `limit`), with their sub-channel, and how many it has.
pub fn members(store: &Store, channel_arn: &str, limit: usize) -> Result<Value, String> {
    with_channel(store, channel_arn, |instance, channel| {
        let members: Vec<Value> = channel
            .members()
            .iter()
            .take(limit)
            .map(|(arn, m)| {
                json!({"Arn": arn, "Name": instance.display_name(arn), "Type": m.kind,
                "SubChannelId": m.sub_channel})
            })
            .collect();
        let moderators: Vec<&String> = channel.moderators.keys().collect();
        Ok(json!({"Members": members, "Count": channel.members().len(), "Moderators": moderators}))
    })
}

/// `read` on a channel, under its instance's lock.
fn with_channel<R>(
    store: &Store,
    channel_arn: &str,
    read: impl FnOnce(&Instance, &Channel) -> Result<R, String>,
) -> Result<R, String> {
    let instance = store.instance(channel_arn).map_err(|e| e.message)?;
    let instance = lock(&instance);
    let channel = instance
        .channels
        .get(channel_arn)
        .ok_or_else(|| format!("channel {channel_arn} not found"))?;
    read(&instance, channel)
}

/// A page of a channel's messages, newest first, starting below position `before` (the newest
/// when absent): every message the channel holds, denied, failed and pending ones included.
pub fn messages(
    store: &Store,
    channel_arn: &str,
    before: Option<usize>,
    limit: usize,
) -> Result<Value, String> {
    with_channel(store, channel_arn, |instance, channel| {
        let total = channel.message_count();
        let end = before.unwrap_or(total).min(total);
        let start = end.saturating_sub(limit);
        let page: Vec<Value> = (start..end)
            .rev()
            .filter_map(|position| {
                let message = channel.message_at(position)?;
                let journey = store.journal.journey(&message.id);
                Some(summary(
                    instance,
                    channel_arn,
                    position,
                    message,
                    journey.as_ref(),
                ))
            })
            .collect();
        Ok(json!({
            "ChannelArn": channel_arn, "Messages": page, "Total": total,
            "Next": (start > 0).then_some(start),
        }))
    })
}

/// One message as the console lists it, with its flow's verdict when it has a journey. A denied
/// message's text is left out: it is shown only in its journey, marked as such.
pub fn summary(
    instance: &Instance,
    channel_arn: &str,
    position: usize,
    m: &Message,
    journey: Option<&Journey>,
) -> Value {
    let hidden = m.status == Status::Denied || m.redacted || m.deleted;
    let verdict = journey.map(verdict);
    json!({
        "ChannelArn": channel_arn, "Position": position, "MessageId": m.id,
        "Sender": {"Arn": m.sender, "Name": instance.display_name(&m.sender)},
        "Status": m.status.name(), "Detail": m.detail,
        "Content": (!hidden).then_some(&m.body.content),
        "CreatedMillis": m.created.0, "EditedMillis": m.last_edited.map(|t| t.0),
        "Redacted": m.redacted, "Deleted": m.deleted, "Type": m.kind,
        "Persistence": m.persistence, "SubChannelId": m.sub_channel,
        "InFlow": journey.is_some(), "Verdict": verdict,
    })
}

/// A journey in brief: the rule that denied it, what redaction masked, the attributes added, and
/// how many callbacks were refused on the way.
fn verdict(journey: &Journey) -> Value {
    let mut rule = None;
    let mut redacted = std::collections::BTreeMap::new();
    let mut added = Vec::new();
    let mut refused = 0;
    for step in &journey.steps {
        match &step.step {
            Step::Handled {
                rule_id,
                redacted: kinds,
                ..
            } => {
                rule = rule.or(rule_id.clone());
                for (kind, count) in kinds {
                    *redacted.entry(kind.clone()).or_insert(0) += count;
                }
            }
            Step::Decided {
                attributes_added, ..
            } => added.extend(attributes_added.iter().cloned()),
            Step::Callback { status, .. } if *status != 200 => refused += 1,
            _ => {}
        }
    }
    json!({"RuleId": rule, "Redacted": redacted, "AttributesAdded": added,
        "RefusedCallbacks": refused})
}

/// One message in full (metadata, attributes, target) with its journey and the journey's timings.
pub fn message(store: &Store, channel_arn: &str, id: &str) -> Result<Value, String> {
    with_channel(store, channel_arn, |instance, channel| {
        let position = channel
            .position_of(id)
            .ok_or_else(|| format!("message {id} not found in {channel_arn}"))?;
        let m = channel
            .message_at(position)
            .ok_or_else(|| format!("message {id} is no longer kept"))?;
        // One copy of the journey serves the summary, the timings and the steps.
        let journey = store.journal.journey(id);
        let mut detail = summary(instance, channel_arn, position, m, journey.as_ref());
        detail["Metadata"] = json!(m.body.metadata);
        detail["ContentType"] = json!(m.body.content_type);
        detail["MessageAttributes"] = m.body.attributes.clone().unwrap_or(Value::Null);
        detail["Target"] = m.target.clone().unwrap_or(Value::Null);
        detail["Timings"] = json!(journey.as_ref().map(Journey::timings));
        detail["Journey"] = json!(journey);
        Ok(detail)
    })
}

/// The summaries of changed messages of one channel (or of every channel), for the live feed.
pub fn changed(store: &Store, changes: &[(std::sync::Arc<str>, String)]) -> Vec<Value> {
    let mut out = Vec::new();
    for (channel_arn, id) in changes {
        let Ok(instance) = store.instance(channel_arn) else {
            continue;
        };
        let instance = lock(&instance);
        let Some(channel) = instance.channels.get(&**channel_arn) else {
            continue;
        };
        if let Some(position) = channel.position_of(id)
            && let Some(m) = channel.message_at(position)
        {
            let journey = store.journal.journey(id);
            out.push(summary(
                &instance,
                channel_arn,
                position,
                m,
                journey.as_ref(),
            ));
        }
    }
    out
}
