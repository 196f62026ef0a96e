//! A message, its body (what a processor sees and may rewrite) and its place in a flow.

use serde_json::Value;

use super::times_and_ids::Millis;
use crate::error::ApiError;

/// A STANDARD message holds the 4 KB quota; a CONTROL message 30 bytes.
const STANDARD_MAX_BYTES: usize = chime_flow::limits::CONTENT_MAX_BYTES;
const CONTROL_MAX_BYTES: usize = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Sent,
    Pending,
    Failed,
    Denied,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Sent => "SENT",
            Status::Pending => "PENDING",
            Status::Failed => "FAILED",
            Status::Denied => "DENIED",
        }
    }
}

/// What a message says: the part a processor sees and may rewrite.
#[derive(Debug, Clone, PartialEq)]
pub struct Body {
    pub content: String,
    pub metadata: Option<String>,
    pub content_type: Option<String>,
    pub attributes: Option<Value>,
    pub push: Option<Value>,
}

impl Body {
    /// Content and nothing else.
    pub fn text(content: impl Into<String>) -> Self {
        Self {
            content: content.into(),
            metadata: None,
            content_type: None,
            attributes: None,
            push: None,
        }
    }
}

/// A message waiting for its flow: which processor holds it, under which CallbackId, with which body.
#[derive(Debug, Clone)]
pub struct Pending {
    pub callback_id: String,
    /// Index into the flow's processors (sorted by ExecutionOrder).
    pub processor: usize,
    pub processors: Vec<Value>,
    /// The body travelling through the flow (a new message's, or an edit's).
    pub body: Body,
    /// When this is an edit: the time of the edit (the event's LastEditedTimestamp).
    pub edited_at: Option<Millis>,
    /// When the message entered its flow, on the expiry clock: its processors have 48 hours from
    /// then to call back.
    pub entered: Millis,
}

#[derive(Debug, Clone)]
pub struct Message {
    pub id: String,
    pub sub_channel: Option<String>,
    pub body: Body,
    pub sender: String,
    /// `PERSISTENT` or `NON_PERSISTENT` (see [`one_of`]): a static string, not one allocation per message.
    pub persistence: &'static str,
    /// `STANDARD` or `CONTROL`.
    pub kind: &'static str,
    pub target: Option<Value>,
    pub created: Millis,
    pub updated: Millis,
    pub last_edited: Option<Millis>,
    pub redacted: bool,
    pub deleted: bool,
    pub status: Status,
    pub detail: Option<String>,
    /// Boxed: most messages are not in a flow, and an inline `Pending` would double their size.
    pub pending: Option<Box<Pending>>,
    /// CallbackIds already answered for this message, so a repeat is refused as non-pending.
    pub used_callbacks: Vec<String>,
}

impl Message {
    /// Refuses content longer than a message of `kind` (STANDARD or CONTROL) holds.
    pub fn check_size(kind: &str, content: &str) -> Result<(), ApiError> {
        let max = if kind == "CONTROL" {
            CONTROL_MAX_BYTES
        } else {
            STANDARD_MAX_BYTES
        };
        if content.len() > max {
            return Err(ApiError::bad_request(format!(
                "Content: {} bytes, a {kind} message holds at most {max}",
                content.len()
            )));
        }
        Ok(())
    }

    /// A persistent, standard message sent at `at`, SENT, not in a sub-channel, targeted at nobody;
    /// callers set what differs with struct update syntax.
    pub fn new(id: impl Into<String>, sender: impl Into<String>, body: Body, at: Millis) -> Self {
        Self {
            id: id.into(),
            sub_channel: None,
            body,
            sender: sender.into(),
            persistence: "PERSISTENT",
            kind: "STANDARD",
            target: None,
            created: at,
            updated: at,
            last_edited: None,
            redacted: false,
            deleted: false,
            status: Status::Sent,
            detail: None,
            pending: None,
            used_callbacks: Vec::new(),
        }
    }

    /// Whether lists and reads show it: stored, not deleted, not dropped by a flow.
    pub fn visible(&self) -> bool {
        self.persistence == "PERSISTENT"
            && !self.deleted
            && !matches!(self.status, Status::Denied | Status::Failed)
    }

    /// Whether `user` may see it at all: a targeted message (`Target`) is for its sender and its
    /// targets only — not other members, moderators or admins.
    pub fn is_for(&self, user: &str) -> bool {
        match self.target.as_ref().and_then(Value::as_array) {
            Some(targets) if !targets.is_empty() => {
                self.sender == user
                    || targets
                        .iter()
                        .any(|t| t.get("MemberArn").and_then(Value::as_str) == Some(user))
            }
            _ => true,
        }
    }

    /// Whether others see it: SENT, or SENT before and now PENDING for an edit (its old text shows
    /// until the flow decides). A new message in its flow is seen by its sender only.
    pub fn shown(&self) -> bool {
        self.status == Status::Sent || self.pending.as_ref().is_some_and(|p| p.edited_at.is_some())
    }
}
