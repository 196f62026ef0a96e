//! Who may act as whom: the caller read from the event ([`caller`]), the access policy that grants
//! operations on app instances and channels as a bearer ([`policy`]), and one audit line per call
//! ([`audit`]).

pub mod audit;
pub mod caller;
pub mod policy;

pub use audit::{AuditLine, AuditLog, MemoryAudit, TracingAudit};
pub use caller::Caller;
pub use policy::{AccessPolicy, BearerRule, Denied, Grant, PolicyError, Targets};

use serde_json::{Map, Value};

/// The ARNs a request names: every `arn:` string among its members (lists included), the bearer
/// aside; the app instances they belong to; and its `ChannelArn`.
pub fn targets_of(input: &Map<String, Value>) -> (Targets, Vec<String>) {
    let mut arns: Vec<String> = Vec::new();
    for (name, value) in input {
        if name == "ChimeBearer" {
            continue;
        }
        let values: Vec<&Value> = match value {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        for text in values.into_iter().filter_map(Value::as_str) {
            if text.starts_with("arn:") && !arns.iter().any(|a| a == text) {
                arns.push(text.to_owned());
            }
        }
    }
    let mut app_instances: Vec<String> = Vec::new();
    for arn in &arns {
        if let Some(instance) = chime_flow::arn::app_instance_of(arn)
            && !app_instances.iter().any(|i| i == instance)
        {
            app_instances.push(instance.to_owned());
        }
    }
    let channel = input
        .get("ChannelArn")
        .and_then(Value::as_str)
        .map(str::to_owned);
    (
        Targets {
            app_instances,
            channel,
        },
        arns,
    )
}
