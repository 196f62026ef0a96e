//! What handling an event comes to: the function's result, why a failure policy decided, and the
//! error Lambda sees when no callback could be made.

use std::collections::BTreeMap;

use lambda_runtime::Diagnostic;
use serde::Serialize;

use crate::callback::CallbackError;
use crate::event::EventError;

/// Why the runtime could not finish an event. Becomes a Lambda error with a stable `error_type`.
#[derive(Debug, thiserror::Error)]
pub enum ProcessorError {
    /// The event cannot be read enough to answer it.
    #[error("unusable event, no callback possible: {0}")]
    InvalidEvent(#[from] EventError),
    /// The callback failed for good.
    #[error(transparent)]
    Callback(#[from] CallbackError),
}

impl ProcessorError {
    /// The stable `error_type` Lambda reports (and an on-failure record carries).
    pub fn error_type(&self) -> &'static str {
        match self {
            ProcessorError::InvalidEvent(_) => "InvalidEvent",
            ProcessorError::Callback(CallbackError::Forbidden(_)) => "CallbackForbidden",
            // The message or its channel is gone: a replay can never settle it.
            ProcessorError::Callback(CallbackError::Rejected(failure))
                if failure.code.as_deref() == Some("NotFound") || failure.status == Some(404) =>
            {
                "CallbackNotFound"
            }
            ProcessorError::Callback(CallbackError::Rejected(_)) => "CallbackRejected",
            ProcessorError::Callback(CallbackError::GaveUp { .. }) => "CallbackFailed",
        }
    }
}

impl From<ProcessorError> for Diagnostic {
    fn from(error: ProcessorError) -> Self {
        Diagnostic {
            error_type: error.error_type().to_owned(),
            error_message: error.to_string(),
        }
    }
}

/// Why the failure policy decided instead of the stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fallback {
    /// The message's body could not be read.
    UnreadableBody,
    /// The stage returned an error.
    StageError,
    /// The stage panicked.
    StagePanic,
    /// An awaiting stage spent its budget and was cancelled.
    StageTimeout,
    /// The stage's result breaks the service's limits.
    OverLimits,
}

/// Serialized as its label: one name for the logs, the result and the metrics.
impl Serialize for Fallback {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.label())
    }
}

impl Fallback {
    /// The kebab-case name, as serialized and as the metrics' `Fallback` dimension.
    pub fn label(&self) -> &'static str {
        match self {
            Fallback::UnreadableBody => "unreadable-body",
            Fallback::StageError => "stage-error",
            Fallback::StagePanic => "stage-panic",
            Fallback::StageTimeout => "stage-timeout",
            Fallback::OverLimits => "over-limits",
        }
    }
}

/// The function's result (ignored by Chime, shown by `cargo lambda invoke` and the logs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Handled {
    /// The processing answered.
    pub callback_id: String,
    /// The message.
    pub message_id: String,
    /// `pass`, `update` or `deny`; absent when the event was a repeat skipped before deciding.
    pub decision: Option<&'static str>,
    /// The rule that denied it.
    pub rule_id: Option<String>,
    /// Why the failure policy decided, if it did.
    pub fallback: Option<Fallback>,
    /// `sent`, `already-handled` (the service said so) or `duplicate-skipped` (this container did it).
    pub outcome: &'static str,
    /// Callback attempts made.
    pub attempts: u32,
    /// What a redaction masked, by kind (`email` → 2); empty when nothing was.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub redacted: BTreeMap<&'static str, u64>,
}
