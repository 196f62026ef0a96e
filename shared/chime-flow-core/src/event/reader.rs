//! Walks a JSON object field by field, so that every refusal names its JSON path and the rule broken
//! instead of surfacing serde's message. `null` counts as absent: tolerant by design.

use serde_json::{Map, Value};

use super::EventError;

/// A JSON object and the path that leads to it (`""` at the top, `"ChannelMessage"` below).
pub(super) struct ObjectReader<'a> {
    path: String,
    map: &'a Map<String, Value>,
}

pub(super) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

impl<'a> ObjectReader<'a> {
    /// The top-level payload, which must be an object.
    pub(super) fn root(value: &'a Value) -> Result<Self, EventError> {
        match value {
            Value::Object(map) => Ok(Self {
                path: String::new(),
                map,
            }),
            other => Err(EventError::invalid(
                "(payload)",
                format!("expected an object, found {}", kind_of(other)),
            )),
        }
    }

    pub(super) fn path_of(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// The field's value, `None` when absent or `null`.
    pub(super) fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn wrong_type(&self, key: &str, expected: &str, found: &Value) -> EventError {
        EventError::invalid(
            self.path_of(key),
            format!("expected {expected}, found {}", kind_of(found)),
        )
    }

    pub(super) fn optional_str(&self, key: &str) -> Result<Option<&'a str>, EventError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.wrong_type(key, "a string", other)),
        }
    }

    pub(super) fn required_str(&self, key: &str) -> Result<&'a str, EventError> {
        self.optional_str(key)?
            .ok_or_else(|| EventError::invalid(self.path_of(key), "missing"))
    }

    pub(super) fn optional_object(
        &self,
        key: &str,
    ) -> Result<Option<ObjectReader<'a>>, EventError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(ObjectReader {
                path: self.path_of(key),
                map,
            })),
            Some(other) => Err(self.wrong_type(key, "an object", other)),
        }
    }

    pub(super) fn required_object(&self, key: &str) -> Result<ObjectReader<'a>, EventError> {
        self.optional_object(key)?
            .ok_or_else(|| EventError::invalid(self.path_of(key), "missing"))
    }

    pub(super) fn optional_array(&self, key: &str) -> Result<Option<&'a Vec<Value>>, EventError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(items)) => Ok(Some(items)),
            Some(other) => Err(self.wrong_type(key, "an array", other)),
        }
    }

    /// Every entry of the object, each with its own reader path.
    pub(super) fn entries(&self) -> impl Iterator<Item = (&'a String, &'a Value)> {
        self.map.iter()
    }

    /// A reader for an object nested at `path` (array elements, map values).
    pub(super) fn nested(path: String, value: &'a Value) -> Result<ObjectReader<'a>, EventError> {
        match value {
            Value::Object(map) => Ok(ObjectReader { path, map }),
            other => Err(EventError::invalid(
                path,
                format!("expected an object, found {}", kind_of(other)),
            )),
        }
    }
}
