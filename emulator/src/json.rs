//! JSON as the service writes it, for answers, events and processor payloads alike.

use serde_json::{Value, json};

/// Absent members are left out rather than sent as `null` (answers and processor events alike).
pub fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

/// `{"Arn", "Name"}` as the service describes an identity.
pub fn identity(arn: &str, name: &str) -> Value {
    json!({"Arn": arn, "Name": name})
}
