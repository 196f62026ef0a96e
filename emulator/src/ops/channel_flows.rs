//! Channel flows as resources: create, describe, update, delete, list, and their association with
//! channels. How a message moves through a flow's processors is `processing`.

use serde_json::{Value, json};

use super::access::Role;
use super::channels::{Need, summary, with_channel};
use super::page::page;
use super::{Input, Reply, tags};
use crate::error::ApiError;
use crate::state::{Flow, Instance, Store, lock, now, random_uuid};

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
