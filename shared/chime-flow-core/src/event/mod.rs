//! The event Chime sends to a processor Lambda, parsed tolerantly.
//!
//! Only what a callback needs is mandatory: `CallbackId`, `ChannelMessage.MessageId` and
//! `ChannelMessage.ChannelArn`. Unknown fields are ignored, `null` means absent, timestamps may be epoch
//! numbers or ISO-8601 strings. Every refusal names the JSON path and the rule broken.

mod reader;
mod timestamp;

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::arn::{ChimeArn, check_id, check_len};
use crate::limits::CALLBACK_ID_LEN;
use reader::{ObjectReader, kind_of};
pub use timestamp::Timestamp;

/// Message attributes: name → string values (`{"k": {"StringValues": [...]}}` on the wire), ordered so
/// that output is deterministic.
pub type Attributes = BTreeMap<String, Vec<String>>;

/// Why a payload cannot be used, naming the JSON path and the rule broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// The bytes are not JSON; says where parsing stopped.
    #[error("payload is not JSON: {0}")]
    NotJson(String),
    /// JSON, but a field is missing or wrong.
    #[error("{path}: {problem}")]
    Invalid {
        /// The JSON path at fault (`ChannelMessage.ChannelArn`).
        path: String,
        /// The rule broken.
        problem: String,
    },
}

impl EventError {
    pub(crate) fn invalid(path: impl Into<String>, problem: impl Into<String>) -> Self {
        Self::Invalid {
            path: path.into(),
            problem: problem.into(),
        }
    }

    /// The JSON path at fault, if the payload was JSON at all.
    pub fn path(&self) -> Option<&str> {
        match self {
            Self::NotJson(_) => None,
            Self::Invalid { path, .. } => Some(path),
        }
    }
}

/// Parses raw bytes as JSON, describing a failure by position and category rather than serde's prose.
pub fn parse_json(bytes: &[u8]) -> Result<Value, EventError> {
    serde_json::from_slice(bytes).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Eof => "unexpected end of input",
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Data => "invalid data",
            serde_json::error::Category::Io => "read error",
        };
        EventError::NotJson(format!(
            "{what} at line {}, column {}",
            e.line(),
            e.column()
        ))
    })
}

/// The identifiers a callback needs. Parsed on its own and strictly, so that a message whose other
/// fields are unusable can still be answered (with the failure policy) instead of staying PENDING.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackTarget {
    /// `CallbackId`: the processing to answer.
    pub callback_id: String,
    /// `ChannelMessage.ChannelArn`.
    pub channel_arn: ChimeArn,
    /// `ChannelMessage.MessageId`.
    pub message_id: String,
    /// `ChannelMessage.SubChannelId`, for elastic channels.
    pub sub_channel_id: Option<String>,
}

impl CallbackTarget {
    /// Reads the identifiers from a processor event, strictly.
    pub fn from_value(value: &Value) -> Result<Self, EventError> {
        let root = ObjectReader::root(value)?;
        let callback_id = root.required_str("CallbackId")?;
        check_len(callback_id, CALLBACK_ID_LEN)
            .map_err(|e| EventError::invalid("CallbackId", e.to_string()))?;
        let message = root.required_object("ChannelMessage")?;
        let message_id = message.required_str("MessageId")?;
        check_id(message_id)
            .map_err(|e| EventError::invalid(message.path_of("MessageId"), e.to_string()))?;
        let channel_arn = message.required_str("ChannelArn")?;
        let channel_arn = ChimeArn::parse(channel_arn)
            .map_err(|e| EventError::invalid(message.path_of("ChannelArn"), e.to_string()))?;
        let sub_channel_id = message.optional_str("SubChannelId")?;
        if let Some(id) = sub_channel_id {
            check_id(id)
                .map_err(|e| EventError::invalid(message.path_of("SubChannelId"), e.to_string()))?;
        }
        Ok(Self {
            callback_id: callback_id.to_owned(),
            channel_arn,
            message_id: message_id.to_owned(),
            sub_channel_id: sub_channel_id.map(str::to_owned),
        })
    }
}

/// `Sender {Arn, Name}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Sender {
    /// The sender's ARN (a user or a bot).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// The sender's display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `PushNotification {Title, Body, Type}`, passed back unchanged in the callback.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PushNotification {
    /// `Title`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `Body`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// `Type`: `VOIP` or `DEFAULT`.
    #[serde(rename = "Type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// One entry of `Target`: a member the message is addressed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Target {
    /// `MemberArn`: a member the message is addressed to (a targeted message).
    pub member_arn: String,
}

/// The message under decision. Stages read it; the pipeline hands each stage the previous one's output.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChannelMessage {
    /// `MessageId`.
    pub message_id: String,
    /// `ChannelArn`.
    pub channel_arn: ChimeArn,
    /// `Content`: the text, up to 4 KB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// `Metadata`: free text for applications, up to 1 KB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<String>,
    /// `ContentType`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// `Sender`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender: Option<Sender>,
    /// `Persistence`: `PERSISTENT` or `NON_PERSISTENT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persistence: Option<String>,
    /// `Type`: `STANDARD` or `CONTROL`.
    #[serde(rename = "Type", skip_serializing_if = "Option::is_none")]
    pub message_type: Option<String>,
    /// `CreatedTimestamp`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_timestamp: Option<Timestamp>,
    /// `LastEditedTimestamp`: set when the event is an edit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_edited_timestamp: Option<Timestamp>,
    /// `MessageAttributes`: name → string values.
    #[serde(
        skip_serializing_if = "BTreeMap::is_empty",
        serialize_with = "serialize_attributes"
    )]
    pub message_attributes: Attributes,
    /// `SubChannelId`, for elastic channels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_channel_id: Option<String>,
    /// `Target`: the members a targeted message is for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub target: Vec<Target>,
    /// `PushNotification`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub push_notification: Option<PushNotification>,
}

impl ChannelMessage {
    /// The content, or `""` when the event carried none.
    pub fn text(&self) -> &str {
        self.content.as_deref().unwrap_or("")
    }

    /// The sender's ARN, if the event names one.
    pub fn sender_arn(&self) -> Option<&str> {
        self.sender.as_ref().and_then(|s| s.arn.as_deref())
    }

    /// An edit (UpdateChannelMessage) rather than a new message.
    pub fn is_edit(&self) -> bool {
        self.last_edited_timestamp.is_some()
    }
}

/// The whole processor event.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProcessorEvent {
    /// `EventType` (`Create`, `Update`…), when the event says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    /// `CallbackId`.
    pub callback_id: String,
    /// `ChannelMessage`.
    pub channel_message: ChannelMessage,
}

impl ProcessorEvent {
    /// Parses a processor event from raw bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, EventError> {
        Self::from_value(&parse_json(bytes)?)
    }

    /// Parses a processor event from JSON: the identifiers strictly, the rest tolerantly.
    pub fn from_value(value: &Value) -> Result<Self, EventError> {
        let target = CallbackTarget::from_value(value)?;
        let root = ObjectReader::root(value)?;
        let message = root.required_object("ChannelMessage")?;
        Ok(Self {
            event_type: root.optional_str("EventType")?.map(str::to_owned),
            callback_id: target.callback_id,
            channel_message: ChannelMessage {
                message_id: target.message_id,
                channel_arn: target.channel_arn,
                sub_channel_id: target.sub_channel_id,
                content: owned(message.optional_str("Content")?),
                metadata: owned(message.optional_str("Metadata")?),
                content_type: owned(message.optional_str("ContentType")?),
                sender: parse_sender(&message)?,
                persistence: owned(message.optional_str("Persistence")?),
                message_type: owned(message.optional_str("Type")?),
                created_timestamp: parse_timestamp(&message, "CreatedTimestamp")?,
                last_edited_timestamp: parse_timestamp(&message, "LastEditedTimestamp")?,
                message_attributes: parse_attributes(&message)?,
                target: parse_targets(&message)?,
                push_notification: parse_push(&message)?,
            },
        })
    }

    /// The identifiers of this event's callback.
    pub fn target(&self) -> CallbackTarget {
        CallbackTarget {
            callback_id: self.callback_id.clone(),
            channel_arn: self.channel_message.channel_arn.clone(),
            message_id: self.channel_message.message_id.clone(),
            sub_channel_id: self.channel_message.sub_channel_id.clone(),
        }
    }
}

fn owned(value: Option<&str>) -> Option<String> {
    value.map(str::to_owned)
}

fn parse_sender(message: &ObjectReader<'_>) -> Result<Option<Sender>, EventError> {
    let Some(sender) = message.optional_object("Sender")? else {
        return Ok(None);
    };
    Ok(Some(Sender {
        arn: owned(sender.optional_str("Arn")?),
        name: owned(sender.optional_str("Name")?),
    }))
}

fn parse_push(message: &ObjectReader<'_>) -> Result<Option<PushNotification>, EventError> {
    let Some(push) = message.optional_object("PushNotification")? else {
        return Ok(None);
    };
    Ok(Some(PushNotification {
        title: owned(push.optional_str("Title")?),
        body: owned(push.optional_str("Body")?),
        kind: owned(push.optional_str("Type")?),
    }))
}

fn parse_timestamp(message: &ObjectReader<'_>, key: &str) -> Result<Option<Timestamp>, EventError> {
    message
        .get(key)
        .map(|value| {
            Timestamp::from_json(value)
                .map_err(|problem| EventError::invalid(message.path_of(key), problem))
        })
        .transpose()
}

fn parse_targets(message: &ObjectReader<'_>) -> Result<Vec<Target>, EventError> {
    let Some(items) = message.optional_array("Target")? else {
        return Ok(Vec::new());
    };
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let target =
                ObjectReader::nested(format!("{}[{index}]", message.path_of("Target")), item)?;
            Ok(Target {
                member_arn: target.required_str("MemberArn")?.to_owned(),
            })
        })
        .collect()
}

fn parse_attributes(message: &ObjectReader<'_>) -> Result<Attributes, EventError> {
    let Some(map) = message.optional_object("MessageAttributes")? else {
        return Ok(Attributes::new());
    };
    let base = message.path_of("MessageAttributes");
    let mut attributes = Attributes::new();
    for (name, value) in map.entries() {
        let entry = ObjectReader::nested(format!("{base}.{name}"), value)?;
        let mut values = Vec::new();
        for (index, item) in entry
            .optional_array("StringValues")?
            .into_iter()
            .flatten()
            .enumerate()
        {
            match item {
                Value::String(s) => values.push(s.clone()),
                other => {
                    return Err(EventError::invalid(
                        format!("{}[{index}]", entry.path_of("StringValues")),
                        format!("expected a string, found {}", kind_of(other)),
                    ));
                }
            }
        }
        attributes.insert(name.clone(), values);
    }
    Ok(attributes)
}

fn serialize_attributes<S: Serializer>(
    attributes: &Attributes,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Wire<'a> {
        #[serde(rename = "StringValues")]
        string_values: &'a [String],
    }
    serializer.collect_map(
        attributes
            .iter()
            .map(|(k, v)| (k, Wire { string_values: v })),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> Value {
        json!({
            "EventType": "CHANNEL_MESSAGE_EVENT",
            "CallbackId": "0123456789abcdef0123456789abcdef",
            "ChannelMessage": {
                "MessageId": "m-1",
                "ChannelArn": "arn:aws:chime:us-east-1:123456789012:app-instance/a/channel/c",
                "Content": "hello"
            }
        })
    }

    fn error_of(value: Value) -> String {
        ProcessorEvent::from_value(&value).unwrap_err().to_string()
    }

    #[test]
    fn minimal_event_parses() {
        let event = ProcessorEvent::from_value(&base()).unwrap();
        assert_eq!(event.channel_message.text(), "hello");
        assert_eq!(event.event_type.as_deref(), Some("CHANNEL_MESSAGE_EVENT"));
        assert!(event.channel_message.message_attributes.is_empty());
    }

    #[test]
    fn errors_name_path_and_rule() {
        let mut v = base();
        v["CallbackId"] = json!("short-id-123");
        assert_eq!(error_of(v), "CallbackId: length 12, must be 32–64");

        let mut v = base();
        v["ChannelMessage"]
            .as_object_mut()
            .unwrap()
            .remove("MessageId");
        assert_eq!(error_of(v), "ChannelMessage.MessageId: missing");

        let mut v = base();
        v["ChannelMessage"]["Content"] = json!(5);
        assert_eq!(
            error_of(v),
            "ChannelMessage.Content: expected a string, found number"
        );

        let mut v = base();
        v["ChannelMessage"]["MessageAttributes"] = json!({"k": {"StringValues": ["a", 1]}});
        assert_eq!(
            error_of(v),
            "ChannelMessage.MessageAttributes.k.StringValues[1]: expected a string, found number"
        );

        let mut v = base();
        v["ChannelMessage"]["SubChannelId"] = json!("bad id!");
        assert_eq!(
            error_of(v),
            "ChannelMessage.SubChannelId: must contain only letters, digits, '-' and '_'"
        );

        assert_eq!(
            error_of(json!([1])),
            "(payload): expected an object, found array"
        );
        assert_eq!(
            ProcessorEvent::from_slice(b"{\"CallbackId\": ")
                .unwrap_err()
                .to_string(),
            "payload is not JSON: unexpected end of input at line 1, column 15"
        );
    }

    #[test]
    fn nulls_are_absent_and_unknown_fields_ignored() {
        let mut v = base();
        v["ChannelMessage"]["Metadata"] = Value::Null;
        v["Surprise"] = json!({"deep": [1, 2]});
        v["ChannelMessage"]["Unknown"] = json!(true);
        let event = ProcessorEvent::from_value(&v).unwrap();
        assert_eq!(event.channel_message.metadata, None);
    }

    #[test]
    fn target_survives_a_broken_body() {
        let mut v = base();
        v["ChannelMessage"]["Content"] = json!({"not": "text"});
        assert!(ProcessorEvent::from_value(&v).is_err());
        let target = CallbackTarget::from_value(&v).unwrap();
        assert_eq!(target.message_id, "m-1");
    }
}
