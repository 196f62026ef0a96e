//! Writing our data into a message's Metadata without losing the sender's: JSON objects are merged
//! under one namespaced key; anything else (non-JSON, non-object) is kept as is and never overwritten.

use serde::ser::{Serialize, SerializeMap, Serializer};
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

    /// The metadata text with `NAMESPACE.section = value`, if it fits in 1024 bytes. Serialised
    /// straight from the borrowed parts: no copy of the sender's metadata, no intermediate `Value`.
    pub fn with_section(
        &self,
        section: &str,
        value: &impl Serialize,
    ) -> Result<String, MergeRefused> {
        let namespace = match self.root.get(NAMESPACE) {
            Some(Value::Object(existing)) => Some(existing),
            _ => None,
        };
        let merged = WithEntry {
            entries: Some(&self.root),
            key: NAMESPACE,
            value: WithEntry {
                entries: namespace,
                key: section,
                value,
            },
        };
        // Serialising maps of strings and numbers cannot fail; should it, nothing is written.
        let text = serde_json::to_string(&merged).map_err(|_| MergeRefused::NotJsonObject)?;
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
    value: &impl Serialize,
) -> Result<String, MergeRefused> {
    JsonMetadata::parse(existing)?.with_section(section, value)
}

/// `entries` with `key` set to `value`, written in key order as serde_json's sorted map writes
/// them, so the text is the same as inserting into the map and serialising it.
struct WithEntry<'a, V> {
    entries: Option<&'a Map<String, Value>>,
    key: &'a str,
    value: V,
}

impl<V: Serialize> Serialize for WithEntry<'_, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        let mut pending = Some(&self.value);
        for (key, value) in self.entries.into_iter().flatten() {
            if key.as_str() >= self.key
                && let Some(ours) = pending.take()
            {
                map.serialize_entry(self.key, ours)?;
                if key == self.key {
                    continue;
                }
            }
            map.serialize_entry(key, value)?;
        }
        if let Some(ours) = pending {
            map.serialize_entry(self.key, ours)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn same_text_as_inserting_into_the_sorted_map() {
        for existing in [
            None,
            Some(""),
            Some(r#"{"a":1,"zz":[true],"chimeFlow":{"enrichment":{"old":1},"other":"kept"}}"#),
            Some(r#"{"b":{"c":"d"},"ZZ":null}"#),
            Some(r#"{"chimeFlow":{"zebra":2,"alpha":1}}"#),
        ] {
            let value = json!({"email": 2, "list": ["x", "é\"q"]});
            let mut expected = match existing.filter(|t| !t.is_empty()) {
                Some(text) => serde_json::from_str::<Value>(text).unwrap(),
                None => json!({}),
            };
            let namespace = expected
                .as_object_mut()
                .unwrap()
                .entry(NAMESPACE)
                .or_insert_with(|| json!({}));
            namespace
                .as_object_mut()
                .unwrap()
                .insert("redactions".into(), value.clone());
            assert_eq!(
                merge_section(existing, "redactions", &value).unwrap(),
                expected.to_string(),
                "{existing:?}"
            );
        }
    }

    #[test]
    fn merges_under_the_namespace_and_keeps_the_rest() {
        let merged = merge_section(
            Some(r#"{"ticket":"OPS-1"}"#),
            "redactions",
            &json!({"email": 1}),
        )
        .unwrap();
        let value: Value = serde_json::from_str(&merged).unwrap();
        assert_eq!(value["ticket"], "OPS-1");
        assert_eq!(value["chimeFlow"]["redactions"]["email"], 1);
        assert_eq!(
            merge_section(None, "x", &json!(1)).unwrap(),
            r#"{"chimeFlow":{"x":1}}"#
        );
    }

    #[test]
    fn refuses_non_json_and_oversize() {
        assert_eq!(
            merge_section(Some("plain words"), "x", &json!(1)),
            Err(MergeRefused::NotJsonObject)
        );
        assert_eq!(
            merge_section(Some("[1]"), "x", &json!(1)),
            Err(MergeRefused::NotJsonObject)
        );
        assert_eq!(
            merge_section(Some(r#"{"chimeFlow":5}"#), "x", &json!(1)),
            Err(MergeRefused::NotJsonObject)
        );
        assert_eq!(
            merge_section(None, "x", &json!("y".repeat(1100))),
            Err(MergeRefused::TooLarge)
        );
    }
}
