//! What a stage decides about a message, and how edits apply to it.

use std::collections::BTreeMap;

use crate::event::ChannelMessage;

/// Changes to a message. `None` leaves a field as it was; attributes listed here are set (replacing a
/// previous value of the same name), the others are kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Edits {
    /// The new content.
    pub content: Option<String>,
    /// The new metadata.
    pub metadata: Option<String>,
    /// The new content type.
    pub content_type: Option<String>,
    /// Attributes to set, by name.
    pub attributes: BTreeMap<String, Vec<String>>,
    /// What a redaction masked, by kind (`email` → 2): a report for metrics, not a change to the
    /// message (`is_empty` and `apply_to` ignore it). Wherever the stage records the counts for
    /// readers (an attribute of any name, metadata, or both), they travel here too.
    pub redacted: BTreeMap<&'static str, u64>,
}

impl Edits {
    /// No change at all (the redaction counts aside).
    pub fn is_empty(&self) -> bool {
        self.content.is_none()
            && self.metadata.is_none()
            && self.content_type.is_none()
            && self.attributes.is_empty()
    }

    /// These edits with the content replaced.
    pub fn with_content(mut self, content: impl Into<String>) -> Self {
        self.content = Some(content.into());
        self
    }

    /// These edits with the metadata replaced.
    pub fn with_metadata(mut self, metadata: impl Into<String>) -> Self {
        self.metadata = Some(metadata.into());
        self
    }

    /// These edits with one more attribute set.
    pub fn with_attribute(mut self, name: impl Into<String>, values: Vec<String>) -> Self {
        self.attributes.insert(name.into(), values);
        self
    }

    /// Applies these edits to `message`.
    pub fn apply_to(&self, message: &mut ChannelMessage) {
        if let Some(content) = &self.content {
            message.content = Some(content.clone());
        }
        if let Some(metadata) = &self.metadata {
            message.metadata = Some(metadata.clone());
        }
        if let Some(content_type) = &self.content_type {
            message.content_type = Some(content_type.clone());
        }
        for (name, values) in &self.attributes {
            message
                .message_attributes
                .insert(name.clone(), values.clone());
        }
    }

    /// Folds later edits over these (later wins field by field), as a pipeline does.
    pub fn merge(&mut self, later: Edits) {
        if later.content.is_some() {
            self.content = later.content;
        }
        if later.metadata.is_some() {
            self.metadata = later.metadata;
        }
        if later.content_type.is_some() {
            self.content_type = later.content_type;
        }
        self.attributes.extend(later.attributes);
        for (kind, count) in later.redacted {
            *self.redacted.entry(kind).or_insert(0) += count;
        }
    }
}

/// A stage's verdict on one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Keep the message as it is.
    Pass,
    /// Keep the message with these changes.
    Update(Edits),
    /// Drop the message (`DeleteResource: true`). The rule id goes to the logs; never the matched text.
    Deny {
        /// Which rule denied it (`moderation/profanity:en-12`).
        rule_id: String,
    },
}

impl Decision {
    /// A deny by `rule_id`.
    pub fn deny(rule_id: impl Into<String>) -> Self {
        Self::Deny {
            rule_id: rule_id.into(),
        }
    }

    /// `Update` with no actual change collapses to `Pass`.
    pub fn update(edits: Edits) -> Self {
        if edits.is_empty() {
            Self::Pass
        } else {
            Self::Update(edits)
        }
    }

    /// A short label for logs: `pass`, `update` or `deny`.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Update(_) => "update",
            Self::Deny { .. } => "deny",
        }
    }

    /// A deny's rule id.
    pub fn rule_id(&self) -> Option<&str> {
        match self {
            Self::Deny { rule_id } => Some(rule_id),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_update_is_pass_and_merge_prefers_later() {
        assert_eq!(Decision::update(Edits::default()), Decision::Pass);
        let mut first = Edits::default()
            .with_content("a")
            .with_attribute("x", vec!["1".into()]);
        first.merge(
            Edits::default()
                .with_content("b")
                .with_attribute("y", vec!["2".into()]),
        );
        assert_eq!(first.content.as_deref(), Some("b"));
        assert_eq!(first.attributes.len(), 2);
        // Redaction counts are a report: they add up, and alone they change nothing.
        let counted = |n| Edits {
            redacted: BTreeMap::from([("email", n)]),
            ..Edits::default()
        };
        let mut counts = counted(1);
        counts.merge(counted(2));
        assert_eq!(counts.redacted["email"], 3);
        assert!(counts.is_empty());
    }
}
