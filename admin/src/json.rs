//! Between the service's JSON (members named as the model names them) and the SDK's types: the
//! generated code sets every member with [`member`] and writes every output member with [`put`]; the
//! impls here cover the primitives, lists, maps and timestamps, the generated ones the structures and
//! enums.

use std::collections::HashMap;

use aws_smithy_types::DateTime;
use serde_json::{Map, Value};

/// An input value the SDK's types cannot take, named by its JSON path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {problem}")]
pub struct FieldError {
    pub path: String,
    pub problem: String,
}

impl FieldError {
    pub fn new(path: &str, problem: impl Into<String>) -> Self {
        Self {
            path: path.trim_start_matches('.').to_owned(),
            problem: problem.into(),
        }
    }
}

pub trait FromJson: Sized {
    fn from_json(value: &Value, path: &str) -> Result<Self, FieldError>;
}

pub trait ToJson {
    fn to_json(&self) -> Value;
}

/// Member `name` of the object `value` (at `path`), converted; `None` when absent or null.
pub fn member<T: FromJson>(value: &Value, name: &str, path: &str) -> Result<Option<T>, FieldError> {
    match value.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => T::from_json(v, &format!("{path}.{name}")).map(Some),
    }
}

/// Writes member `name` unless it is absent (the service omits absent members, never `null`).
pub fn put<T: ToJson>(out: &mut Map<String, Value>, name: &str, value: &T) {
    let json = value.to_json();
    if !json.is_null() {
        out.insert(name.to_owned(), json);
    }
}

impl FromJson for String {
    fn from_json(value: &Value, path: &str) -> Result<Self, FieldError> {
        value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| FieldError::new(path, "must be a string"))
    }
}

impl FromJson for i32 {
    fn from_json(value: &Value, path: &str) -> Result<Self, FieldError> {
        value
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .ok_or_else(|| FieldError::new(path, "must be a 32-bit integer"))
    }
}

impl FromJson for i64 {
    fn from_json(value: &Value, path: &str) -> Result<Self, FieldError> {
        value
            .as_i64()
            .ok_or_else(|| FieldError::new(path, "must be an integer"))
    }
}

impl FromJson for bool {
    fn from_json(value: &Value, path: &str) -> Result<Self, FieldError> {
        value
            .as_bool()
            .ok_or_else(|| FieldError::new(path, "must be true or false"))
    }
}

/// Above this an integer is taken as epoch nanoseconds (what the model binder makes of a query
/// time), below it as epoch seconds.
const NANOS_FROM: i64 = 100_000_000_000_000;

impl FromJson for DateTime {
    /// Epoch seconds (a number), epoch nanoseconds (a bound query time), or ISO-8601 text.
    fn from_json(value: &Value, path: &str) -> Result<Self, FieldError> {
        let nanos = match value {
            // Read as decimal text, not through a float, so `.678` stays `.678`.
            Value::Number(n) => match n.as_i64() {
                Some(i) if i.abs() >= NANOS_FROM => Some(i128::from(i)),
                _ => chime_api::binding::parse_timestamp(&n.to_string()).map(i128::from),
            },
            Value::String(text) => chime_api::binding::parse_timestamp(text).map(i128::from),
            _ => None,
        };
        nanos
            .and_then(|n| {
                let seconds = i64::try_from(n.div_euclid(1_000_000_000)).ok()?;
                let sub = u32::try_from(n.rem_euclid(1_000_000_000)).ok()?;
                Some(DateTime::from_secs_and_nanos(seconds, sub))
            })
            .ok_or_else(|| FieldError::new(path, "must be a time: epoch seconds or ISO-8601"))
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(value: &Value, path: &str) -> Result<Self, FieldError> {
        let items = value
            .as_array()
            .ok_or_else(|| FieldError::new(path, "must be a list"))?;
        items
            .iter()
            .enumerate()
            .map(|(i, item)| T::from_json(item, &format!("{path}[{i}]")))
            .collect()
    }
}

impl<T: FromJson> FromJson for HashMap<String, T> {
    fn from_json(value: &Value, path: &str) -> Result<Self, FieldError> {
        let entries = value
            .as_object()
            .ok_or_else(|| FieldError::new(path, "must be an object"))?;
        entries
            .iter()
            .map(|(k, v)| Ok((k.clone(), T::from_json(v, &format!("{path}.{k}"))?)))
            .collect()
    }
}

impl ToJson for String {
    fn to_json(&self) -> Value {
        Value::String(self.clone())
    }
}

impl ToJson for i32 {
    fn to_json(&self) -> Value {
        Value::from(*self)
    }
}

impl ToJson for i64 {
    fn to_json(&self) -> Value {
        Value::from(*self)
    }
}

impl ToJson for bool {
    fn to_json(&self) -> Value {
        Value::Bool(*self)
    }
}

impl ToJson for DateTime {
    /// Epoch seconds with the fraction, as the service's JSON carries times.
    fn to_json(&self) -> Value {
        let seconds = self.secs() as f64 + f64::from(self.subsec_nanos()) / 1e9;
        Value::from((seconds * 1000.0).round() / 1000.0)
    }
}

impl<T: ToJson> ToJson for Option<T> {
    fn to_json(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToJson::to_json)
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn to_json(&self) -> Value {
        Value::Array(self.iter().map(ToJson::to_json).collect())
    }
}

impl<T: ToJson> ToJson for HashMap<String, T> {
    fn to_json(&self) -> Value {
        Value::Object(self.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn times_from_every_form_the_api_carries() {
        let at =
            |v: Value| DateTime::from_json(&v, "NotBefore").map(|t| (t.secs(), t.subsec_nanos()));
        assert_eq!(
            at(json!(1_732_612_345.678)),
            Ok((1_732_612_345, 678_000_000))
        );
        assert_eq!(
            at(json!(1_732_612_345_678_000_000_i64)),
            Ok((1_732_612_345, 678_000_000))
        );
        assert_eq!(
            at(json!("2024-11-26T09:12:25.678Z")),
            Ok((1_732_612_345, 678_000_000))
        );
        assert_eq!(
            at(json!("yesterday")).unwrap_err().to_string(),
            "NotBefore: must be a time: epoch seconds or ISO-8601"
        );
        let back = DateTime::from_secs_and_nanos(1_732_612_345, 678_000_000).to_json();
        assert_eq!(back, json!(1_732_612_345.678));
    }

    #[test]
    fn members_name_their_path_and_absent_ones_are_left_out() {
        let input = json!({"Names": ["a", 2], "Max": 3});
        let names: Result<Option<Vec<String>>, _> = member(&input, "Names", "");
        assert_eq!(names.unwrap_err().to_string(), "Names[1]: must be a string");
        assert_eq!(member::<i32>(&input, "Max", ""), Ok(Some(3)));
        assert_eq!(member::<i32>(&input, "Min", ""), Ok(None));
        let mut out = Map::new();
        put(&mut out, "Absent", &None::<String>);
        put(&mut out, "Present", &Some("x".to_owned()));
        assert_eq!(Value::Object(out), json!({"Present": "x"}));
    }
}
