//! A decision turned into exactly one `ChannelFlowCallback` request, with the service's limits checked
//! before anything is sent.

use crate::arn::ChimeArn;
use crate::decision::Decision;
use crate::event::{Attributes, CallbackTarget, ChannelMessage, PushNotification};
use crate::limits::{
    ATTRIBUTE_KEY_LEN, ATTRIBUTE_VALUE_LEN, CONTENT_MAX_BYTES, CONTENT_TYPE_MAX_BYTES,
    METADATA_MAX_BYTES, PUSH_BODY_LEN, PUSH_TITLE_LEN,
};

/// A value that the service would reject, found before sending. Names the field, never its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ChannelMessage.{field}: {problem}")]
pub struct LimitError {
    /// The field at fault (`Content`, `Metadata`, `MessageAttributes.k`…).
    pub field: String,
    /// The rule it breaks, never its value.
    pub problem: String,
}

/// `ChannelMessageCallback`: what the message becomes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallbackMessage {
    /// The message being processed.
    pub message_id: String,
    /// The content Chime keeps (`None`: leave it as it is).
    pub content: Option<String>,
    /// The metadata Chime keeps.
    pub metadata: Option<String>,
    /// The content type Chime keeps.
    pub content_type: Option<String>,
    /// The message attributes Chime keeps.
    pub attributes: Attributes,
    /// The SubChannel of an elastic channel the message was sent to.
    pub sub_channel_id: Option<String>,
    /// The push notification, passed back unchanged.
    pub push_notification: Option<PushNotification>,
}

/// One `ChannelFlowCallback` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackRequest {
    /// The channel (the URI label of `POST /channels/{ChannelArn}`).
    pub channel_arn: ChimeArn,
    /// The event's `CallbackId`: identifies this processing of this message.
    pub callback_id: String,
    /// `DeleteResource`: `true` denies the message (it is deleted, never delivered).
    pub delete_resource: bool,
    /// `ChannelMessage`: what the message becomes.
    pub message: CallbackMessage,
}

impl CallbackRequest {
    /// Maps a decision on `original` to its callback. Pass and update carry the full resulting content,
    /// metadata, content type and attributes (the original where unchanged), so that the outcome does not
    /// depend on whether Chime keeps or clears omitted fields. Deny carries only the ids.
    pub fn for_decision(
        original: &ChannelMessage,
        callback_id: &str,
        decision: &Decision,
    ) -> Result<Self, LimitError> {
        let target = CallbackTarget {
            callback_id: callback_id.to_owned(),
            channel_arn: original.channel_arn.clone(),
            message_id: original.message_id.clone(),
            sub_channel_id: original.sub_channel_id.clone(),
        };
        let result = match decision {
            Decision::Deny { .. } => return Ok(Self::deny(&target)),
            Decision::Pass => original.clone(),
            Decision::Update(edits) => {
                let mut edited = original.clone();
                edits.apply_to(&mut edited);
                edited
            }
        };
        // The model requires content to be non-empty: an event that came without text is answered
        // without it (Chime keeps what it has). A stage that empties the content is refused below.
        let content_edited = matches!(decision, Decision::Update(edits) if edits.content.is_some());
        let content = result.content.filter(|c| content_edited || !c.is_empty());
        let request = Self {
            channel_arn: target.channel_arn,
            callback_id: target.callback_id,
            delete_resource: false,
            message: CallbackMessage {
                message_id: target.message_id,
                content,
                metadata: result.metadata,
                content_type: result.content_type,
                attributes: result.message_attributes,
                sub_channel_id: target.sub_channel_id,
                push_notification: result.push_notification,
            },
        };
        request.message.check_limits()?;
        Ok(request)
    }

    /// A deny: `DeleteResource: true` and the ids only.
    pub fn deny(target: &CallbackTarget) -> Self {
        Self {
            delete_resource: true,
            ..Self::ids_only(target)
        }
    }

    /// A pass of a message whose body could not be read: ids only, so Chime keeps what it has.
    pub fn pass_unread(target: &CallbackTarget) -> Self {
        Self::ids_only(target)
    }

    fn ids_only(target: &CallbackTarget) -> Self {
        Self {
            channel_arn: target.channel_arn.clone(),
            callback_id: target.callback_id.clone(),
            delete_resource: false,
            message: CallbackMessage {
                message_id: target.message_id.clone(),
                sub_channel_id: target.sub_channel_id.clone(),
                ..CallbackMessage::default()
            },
        }
    }
}

impl CallbackRequest {
    /// The operation's input as the REST-JSON protocol carries it (the URI label `ChannelArn` as a
    /// member): what an in-process caller hands to chime-local in place of the SDK's request. The
    /// one JSON writing of a callback: [`CallbackRequest::to_wire_json`] is this, on the wire.
    pub fn wire_input(&self) -> serde_json::Map<String, serde_json::Value> {
        use serde_json::{Value, json};
        let message = &self.message;
        let mut channel_message = serde_json::Map::new();
        channel_message.insert("MessageId".into(), json!(message.message_id));
        let optional = [
            ("Content", &message.content),
            ("Metadata", &message.metadata),
            ("ContentType", &message.content_type),
            ("SubChannelId", &message.sub_channel_id),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                channel_message.insert(name.into(), json!(value));
            }
        }
        if !message.attributes.is_empty() {
            let attributes: serde_json::Map<String, Value> = message
                .attributes
                .iter()
                .map(|(name, values)| (name.clone(), json!({"StringValues": values})))
                .collect();
            channel_message.insert("MessageAttributes".into(), Value::Object(attributes));
        }
        if let Some(push) = &message.push_notification {
            channel_message.insert("PushNotification".into(), json!(push));
        }
        let mut input = serde_json::Map::new();
        input.insert("ChannelArn".into(), json!(self.channel_arn.as_str()));
        input.insert("CallbackId".into(), json!(self.callback_id));
        input.insert("DeleteResource".into(), json!(self.delete_resource));
        input.insert("ChannelMessage".into(), Value::Object(channel_message));
        input
    }

    /// The HTTP request line and JSON body as restJson1 puts them on the wire (what the SDK sends):
    /// [`CallbackRequest::wire_input`] with `ChannelArn` moved into the path. For dry runs and
    /// docs; contains message content, so never log it.
    pub fn to_wire_json(&self) -> serde_json::Value {
        let body: serde_json::Map<_, _> = (self.wire_input().into_iter())
            .filter(|(member, _)| member != "ChannelArn")
            .collect();
        serde_json::json!({
            "method": "POST",
            "path": format!("/channels/{}?operation=channel-flow-callback", percent_encode(self.channel_arn.as_str())),
            "body": body,
        })
    }
}

impl CallbackMessage {
    /// Checks every field against the model's constraints and the content quota.
    pub fn check_limits(&self) -> Result<(), LimitError> {
        if let Some(content) = &self.content {
            check_bytes("Content", content, (1, CONTENT_MAX_BYTES))?;
        }
        if let Some(metadata) = &self.metadata {
            check_bytes("Metadata", metadata, (0, METADATA_MAX_BYTES))?;
        }
        if let Some(content_type) = &self.content_type {
            check_bytes("ContentType", content_type, (0, CONTENT_TYPE_MAX_BYTES))?;
        }
        // The key is user data too: name it by position, not by text.
        for (position, (key, values)) in self.attributes.iter().enumerate() {
            check_bytes(
                &format!("MessageAttributes[key #{position}]"),
                key,
                ATTRIBUTE_KEY_LEN,
            )?;
            for (index, value) in values.iter().enumerate() {
                check_bytes(
                    &format!("MessageAttributes[key #{position}].StringValues[{index}]"),
                    value,
                    ATTRIBUTE_VALUE_LEN,
                )?;
            }
        }
        if let Some(push) = &self.push_notification {
            if let Some(title) = &push.title {
                check_bytes("PushNotification.Title", title, PUSH_TITLE_LEN)?;
            }
            if let Some(body) = &push.body {
                check_bytes("PushNotification.Body", body, PUSH_BODY_LEN)?;
            }
        }
        Ok(())
    }
}

fn check_bytes(field: &str, value: &str, (min, max): (usize, usize)) -> Result<(), LimitError> {
    let len = value.len();
    if len < min || len > max {
        let rule = if min == 0 {
            format!("at most {max}")
        } else {
            format!("{min}–{max}")
        };
        return Err(LimitError {
            field: field.to_owned(),
            problem: format!("{len} bytes, must be {rule}"),
        });
    }
    Ok(())
}

/// Percent-encodes a path label as restJson1 does (everything but unreserved characters).
pub fn percent_encode(label: &str) -> String {
    let mut out = String::with_capacity(label.len() * 3);
    for byte in label.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::Edits;
    use crate::event::ProcessorEvent;
    use serde_json::json;

    fn event() -> ProcessorEvent {
        ProcessorEvent::from_value(&json!({
            "CallbackId": "0123456789abcdef0123456789abcdef",
            "ChannelMessage": {
                "MessageId": "m-1",
                "ChannelArn": "arn:aws:chime:us-east-1:123456789012:app-instance/a/channel/c",
                "SubChannelId": "sub-1",
                "Content": "hello",
                "Metadata": "{\"a\":1}",
                "MessageAttributes": {"lang": {"StringValues": ["en"]}}
            }
        }))
        .unwrap()
    }

    #[test]
    fn pass_carries_everything_original() {
        let e = event();
        let request =
            CallbackRequest::for_decision(&e.channel_message, &e.callback_id, &Decision::Pass)
                .unwrap();
        assert!(!request.delete_resource);
        assert_eq!(request.message.content.as_deref(), Some("hello"));
        assert_eq!(request.message.metadata.as_deref(), Some("{\"a\":1}"));
        assert_eq!(request.message.sub_channel_id.as_deref(), Some("sub-1"));
        assert_eq!(request.message.attributes["lang"], vec!["en".to_owned()]);
    }

    #[test]
    fn update_merges_attributes_and_keeps_unchanged_fields() {
        let e = event();
        let edits = Edits::default()
            .with_content("HELLO")
            .with_attribute("seen", vec!["1".into()]);
        let request = CallbackRequest::for_decision(
            &e.channel_message,
            &e.callback_id,
            &Decision::Update(edits),
        )
        .unwrap();
        assert_eq!(request.message.content.as_deref(), Some("HELLO"));
        assert_eq!(request.message.metadata.as_deref(), Some("{\"a\":1}"));
        assert_eq!(request.message.attributes.len(), 2);
    }

    #[test]
    fn empty_original_content_is_omitted_not_sent_empty() {
        let mut e = event();
        e.channel_message.content = Some(String::new());
        for decision in [
            Decision::Pass,
            Decision::Update(Edits::default().with_metadata("{}")),
        ] {
            let request =
                CallbackRequest::for_decision(&e.channel_message, &e.callback_id, &decision)
                    .unwrap();
            assert_eq!(request.message.content, None);
        }
    }

    #[test]
    fn deny_carries_ids_only() {
        let e = event();
        let request = CallbackRequest::for_decision(
            &e.channel_message,
            &e.callback_id,
            &Decision::deny("r1"),
        )
        .unwrap();
        assert!(request.delete_resource);
        assert_eq!(request.message.content, None);
        assert_eq!(request.message.sub_channel_id.as_deref(), Some("sub-1"));
        assert_eq!(request.callback_id, e.callback_id);
    }

    #[test]
    fn limits_are_checked_before_sending() {
        let e = event();
        let cases = [
            (
                Edits::default().with_metadata("x".repeat(1025)),
                "ChannelMessage.Metadata: 1025 bytes, must be at most 1024",
            ),
            (
                Edits::default().with_content(""),
                "ChannelMessage.Content: 0 bytes, must be 1–4096",
            ),
            (
                Edits::default().with_content("é".repeat(2049)),
                "ChannelMessage.Content: 4098 bytes, must be 1–4096",
            ),
            (
                Edits::default().with_attribute("k".repeat(65), vec!["v".into()]),
                "ChannelMessage.MessageAttributes[key #0]: 65 bytes, must be 1–64",
            ),
            (
                Edits::default().with_attribute("z", vec!["v".repeat(513)]),
                "ChannelMessage.MessageAttributes[key #1].StringValues[0]: 513 bytes, must be 1–512",
            ),
            (
                Edits {
                    content_type: Some("t".repeat(46)),
                    ..Edits::default()
                },
                "ChannelMessage.ContentType: 46 bytes, must be at most 45",
            ),
        ];
        for (edits, expected) in cases {
            let err = CallbackRequest::for_decision(
                &e.channel_message,
                &e.callback_id,
                &Decision::Update(edits),
            )
            .unwrap_err();
            assert_eq!(err.to_string(), expected);
        }
    }
}
