//! SearchChannels: channels by their members. The model has one key, `MEMBERS`, and two operators:
//! `EQUALS` (the channel's members are exactly these) and `INCLUDES` (they include all of these);
//! several fields must all hold. A user or bot bearer searches the channels it belongs to, an
//! AppInstanceAdmin (or an IAM caller without a bearer) searches them all.

use std::collections::BTreeSet;

use serde_json::Value;

use super::channels::summary;
use super::page::page;
use super::{Input, Reply, access};
use crate::error::ApiError;
use crate::state::{Channel, Store, instance_of, lock};

enum Field {
    Equals(BTreeSet<String>),
    Includes(BTreeSet<String>),
}

impl Field {
    fn holds(&self, channel: &Channel) -> bool {
        let members = channel.members();
        match self {
            Field::Equals(arns) => {
                members.len() == arns.len() && arns.iter().all(|a| members.contains_key(a))
            }
            Field::Includes(arns) => arns.iter().all(|a| members.contains_key(a)),
        }
    }
}

fn fields(input: &Input) -> Result<Vec<Field>, ApiError> {
    let given = input.get("Fields").and_then(Value::as_array);
    given
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(index, field)| {
            let values: BTreeSet<String> = field
                .get("Values")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
            match field.get("Operator").and_then(Value::as_str) {
                Some("EQUALS") => Ok(Field::Equals(values)),
                Some("INCLUDES") => Ok(Field::Includes(values)),
                other => Err(ApiError::bad_request(format!(
                    "Fields[{index}].Operator: {} is not EQUALS or INCLUDES",
                    other.unwrap_or("missing")
                ))),
            }
        })
        .collect()
}

/// The app instance searched: the bearer's, else the one every searched member belongs to.
fn instance_arn(input: &Input, fields: &[Field]) -> Result<String, ApiError> {
    if let Some(bearer) = input.str("ChimeBearer") {
        return instance_of(bearer).map(str::to_owned).ok_or_else(|| {
            ApiError::bad_request(format!(
                "ChimeBearer: {bearer} is not an app instance user or bot ARN"
            ))
        });
    }
    let mut found: Option<&str> = None;
    for field in fields {
        let (Field::Equals(arns) | Field::Includes(arns)) = field;
        for arn in arns {
            let of = instance_of(arn).ok_or_else(|| {
                ApiError::bad_request(format!("Fields.Values: {arn} is not a member ARN"))
            })?;
            match found {
                Some(first) if first != of => {
                    return Err(ApiError::bad_request(format!(
                        "Fields.Values: {arn} is in another app instance than {first}"
                    )));
                }
                _ => found = Some(of),
            }
        }
    }
    found
        .map(str::to_owned)
        .ok_or_else(|| ApiError::bad_request("Fields: no member ARN to search for"))
}

pub fn search_channels(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let fields = fields(input)?;
    let arn = instance_arn(input, &fields)?;
    let instance = store.instance(&arn)?;
    let instance = lock(&instance);
    // Only its own channels for a user or bot that is not an admin.
    let own = match input.str("ChimeBearer") {
        Some(_) => {
            let bearer = access::bearer(&instance, input)?;
            (!instance.admins.contains_key(bearer)).then_some(bearer)
        }
        None => None,
    };
    let items = instance
        .channels
        .values()
        .filter(|c| own.is_none_or(|who| c.members().contains_key(who)))
        .filter(|c| fields.iter().all(|f| f.holds(c)))
        .map(|c| (c.arn.clone(), summary(c)))
        .collect();
    let (items, token) = page(items, input)?;
    Ok(Reply::body(
        serde_json::json!({"Channels": items, "NextToken": token}),
    ))
}
