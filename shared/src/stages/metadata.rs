//! Writing our data into a message's Metadata without losing the sender's: JSON objects are merged
//! under one namespaced key; anything else (non-JSON, non-object) is kept as is and never overwritten.

use serde_json::{Map, Value};

use crate::limits::METADATA_MAX_BYTES;

/// The key under which every stage of this toolkit writes into JSON metadata.
pub const NAMESPACE: &str = "chimeFlow";

/// Why our data could not be written into the metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeRefused {
    /// The sender's metadata is not a JSON object: it is kept untouched.
    NotJsonObject,
    /// The merged metadata would exceed 1024 bytes.
    TooLarge,
}

/// The sender's metadata, parsed once, ready to take our sections.
#[derive(Debug, Clone)]
pub struct JsonMetadata {
    root: Map<String, Value>,
}

impl JsonMetadata {
    /// Empty or absent metadata counts as `{}`. Refuses anything that is not a JSON object, and an
    /// object whose namespace key holds someone else's non-object value (kept, never overwritten).
    pub fn parse(existing: Option<&str>) -> Result<Self, MergeRefused> {
        let root = match existing.map(str::trim) {
            None | Some("") => Map::new(),
            Some(text) => match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(map)) => map,
                _ => return Err(MergeRefused::NotJsonObject),
            },
        };
        match root.get(NAMESPACE) {
            None | Some(Value::Object(_)) => Ok(Self { root }),
            Some(_) => Err(MergeRefused::NotJsonObject),
        }
    }

    /// The metadata text with `NAMESPACE.section = value`, if it fits in 1024 bytes.
    pub fn with_section(&self, section: &str, value: Value) -> Result<String, MergeRefused> {
        let mut root = self.root.clone();
        if let Value::Object(ns) = root
            .entry(NAMESPACE)
            .or_insert_with(|| Value::Object(Map::new()))
        {
            ns.insert(section.to_owned(), value);
        }
        let text = Value::Object(root).to_string();
        if text.len() > METADATA_MAX_BYTES {
            Err(MergeRefused::TooLarge)
        } else {
            Ok(text)
        }
    }
}

/// Sets `NAMESPACE.section = value` in `existing`, returning the new metadata text.
pub fn merge_section(
    existing: Option<&str>,
    section: &str,
    value: Value,
) -> Result<String, MergeRefused> {
    JsonMetadata::parse(existing)?.with_section(section, value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merges_under_the_namespace_and_keeps_the_rest() {
        let merged = merge_section(
            Some(r#"{"ticket":"OPS-1"}"#),
            "redactions",
            json!({"email": 1}),
        )
        .unwrap();
        let value: Value = serde_json::from_str(&merged).unwrap();
        assert_eq!(value["ticket"], "OPS-1");
        assert_eq!(value["chimeFlow"]["redactions"]["email"], 1);
        assert_eq!(
            merge_section(None, "x", json!(1)).unwrap(),
            r#"{"chimeFlow":{"x":1}}"#
        );
    }

    #[test]
    fn refuses_non_json_and_oversize() {
        assert_eq!(
            merge_section(Some("plain words"), "x", json!(1)),
            Err(MergeRefused::NotJsonObject)
        );
        assert_eq!(
            merge_section(Some("[1]"), "x", json!(1)),
            Err(MergeRefused::NotJsonObject)
        );
        assert_eq!(
            merge_section(Some(r#"{"chimeFlow":5}"#), "x", json!(1)),
            Err(MergeRefused::NotJsonObject)
        );
        assert_eq!(
            merge_section(None, "x", json!("y".repeat(1100))),
            Err(MergeRefused::TooLarge)
        );
    }
}
