//! Tags on the taggable resources of both services — app instances, their users, channels and
//! channel flows: given on create, or with TagResource / UntagResource / ListTagsForResource (one
//! operation name in each service, one semantics). A deleted resource's tags go with it.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{Input, Reply};
use crate::error::ApiError;
use crate::state::{Instance, Store, lock};

/// The service's limit per resource.
const MAX_TAGS: usize = 50;

/// Whether `arn` names an existing taggable resource of the instance.
fn exists(instance: &Instance, arn: &str) -> bool {
    arn == instance.arn
        || instance.is_identity(arn)
        || instance.channels.contains_key(arn)
        || instance.flows.contains_key(arn)
}

/// Adds (or overwrites) the `Tags` list of a create or TagResource on `arn`: keys unique in the
/// list, none reserved (`aws:`), at most 50 on the resource afterwards. Nothing is changed on error.
pub fn apply(instance: &mut Instance, arn: &str, tags: Option<&Value>) -> Result<(), ApiError> {
    let Some(tags) = tags.and_then(Value::as_array) else {
        return Ok(());
    };
    let mut given = BTreeMap::new();
    for (index, tag) in tags.iter().enumerate() {
        let key = tag.get("Key").and_then(Value::as_str).unwrap_or_default();
        let value = tag.get("Value").and_then(Value::as_str).unwrap_or_default();
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(ApiError::bad_request(format!(
                "Tags[{index}].Key: the aws: prefix is reserved"
            )));
        }
        if given.insert(key.to_owned(), value.to_owned()).is_some() {
            return Err(ApiError::bad_request(format!(
                "Tags[{index}].Key: {key:?} is given twice"
            )));
        }
    }
    let current = instance.tags.get(arn);
    let total = current.map_or(0, |c| c.len())
        + given
            .keys()
            .filter(|k| current.is_none_or(|c| !c.contains_key(*k)))
            .count();
    if total > MAX_TAGS {
        return Err(ApiError::resource_limit(format!(
            "{arn} would have {total} tags; a resource holds at most {MAX_TAGS}"
        )));
    }
    instance
        .tags
        .entry(arn.to_owned())
        .or_default()
        .extend(given);
    Ok(())
}

/// Drops a deleted resource's tags.
pub fn forget(instance: &mut Instance, arn: &str) {
    instance.tags.remove(arn);
}

fn resource<'i>(instance: &'i Instance, input: &'i Input) -> Result<&'i str, ApiError> {
    let arn = input.req("ResourceARN")?;
    if !exists(instance, arn) {
        return Err(ApiError::not_found(format!("resource {arn} not found")));
    }
    Ok(arn)
}

pub fn tag_resource(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let instance = store.instance(input.req("ResourceARN")?)?;
    let mut instance = lock(&instance);
    let arn = resource(&instance, input)?.to_owned();
    apply(&mut instance, &arn, input.get("Tags"))?;
    Ok(Reply::empty())
}

pub fn untag_resource(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let instance = store.instance(input.req("ResourceARN")?)?;
    let mut instance = lock(&instance);
    let arn = resource(&instance, input)?.to_owned();
    let keys = input.get("TagKeys").and_then(Value::as_array);
    if let Some(tags) = instance.tags.get_mut(&arn) {
        for key in keys.into_iter().flatten().filter_map(Value::as_str) {
            tags.remove(key);
        }
    }
    Ok(Reply::empty())
}

pub fn list_tags(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let instance = store.instance(input.req("ResourceARN")?)?;
    let instance = lock(&instance);
    let arn = resource(&instance, input)?;
    let tags: Vec<Value> = instance
        .tags
        .get(arn)
        .into_iter()
        .flatten()
        .map(|(key, value)| json!({"Key": key, "Value": value}))
        .collect();
    Ok(Reply::body(json!({ "Tags": tags })))
}
