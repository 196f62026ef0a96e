//! Refusals and failures as the API answers them.

use serde_json::{Value, json};

use crate::CallError;

/// A refusal or failure as the API answers it: status and `{"error", "message", "field"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorReply {
    pub status: u16,
    pub error: String,
    pub message: String,
    pub field: Option<String>,
}

impl ErrorReply {
    pub(crate) fn new(status: u16, error: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            error: error.to_owned(),
            message: message.into(),
            field: None,
        }
    }

    /// A 400 `ValidationError` naming `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.into()),
            ..Self::new(400, "ValidationError", message)
        }
    }

    pub fn body(&self) -> Value {
        json!({"error": self.error, "message": self.message, "field": self.field})
    }
}

impl From<CallError> for ErrorReply {
    fn from(error: CallError) -> Self {
        match error {
            CallError::Invalid(invalid) => {
                ErrorReply::invalid(invalid.path.clone(), invalid.problem)
            }
            CallError::Validation { field, message } => ErrorReply::invalid(field, message),
            CallError::UnknownOperation(name) => {
                ErrorReply::new(404, "UnknownOperation", format!("no operation {name}"))
            }
            // Chime's own answer, its status and code kept (403, 404, 409, 429, 5xx…).
            CallError::Service {
                status,
                code,
                message,
            } => ErrorReply::new(status, &code, message),
            CallError::Transport(detail) => ErrorReply::new(502, "ServiceUnreachable", detail),
        }
    }
}
