//! What a failed callback attempt means. Pure, so it is tested without a network.

use std::fmt;

use crate::retry::Retryable;

/// What to do about a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Throttling, 5xx, timeouts and connection failures: try again.
    Retryable,
    /// The message was already handled: treat as done.
    AlreadyHandled,
    /// 403: log the likely causes; retrying will not help.
    Forbidden,
    /// Any other refusal (bad request, unauthorized…): retrying will not help.
    Rejected,
}

/// One failed attempt: the service's error code (without `Exception`), the HTTP status, and its message
/// (the service's own text, which never contains the message content).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What to do about it.
    pub kind: FailureKind,
    /// The service's error code, without `Exception`.
    pub code: Option<String>,
    /// The HTTP status.
    pub status: Option<u16>,
    /// The service's message (never message content).
    pub message: String,
}

impl Failure {
    /// Classifies an attempt from what the SDK saw. `transport` is true for timeouts and dispatch
    /// failures (no response).
    pub fn classify(
        code: Option<&str>,
        status: Option<u16>,
        message: &str,
        transport: bool,
    ) -> Self {
        let code = code.map(|c| c.trim_end_matches("Exception").to_owned());
        let lowered = message.to_ascii_lowercase();
        let kind = match (code.as_deref(), status) {
            _ if transport => FailureKind::Retryable,
            (
                Some("ThrottledClient" | "ServiceFailure" | "ServiceUnavailable" | "Throttling"),
                _,
            ) => FailureKind::Retryable,
            (Some("Conflict"), _) | (None, Some(409)) => FailureKind::AlreadyHandled,
            // Chime's code for a callback on a message no longer PENDING is BadRequest with its
            // documented words; a bare 400, or another code, is never taken as done.
            (Some("BadRequest"), _) if mentions_handled(&lowered) => FailureKind::AlreadyHandled,
            (Some("Forbidden"), _) | (None, Some(403)) => FailureKind::Forbidden,
            (_, Some(429)) => FailureKind::Retryable,
            (_, Some(s)) if s >= 500 => FailureKind::Retryable,
            _ => FailureKind::Rejected,
        };
        Self {
            kind,
            code,
            status,
            message: message.to_owned(),
        }
    }
}

/// The service's words for "this message is no longer waiting for a callback" ("Cannot process
/// callback for a non-pending message"); "already" alone is not among them (a message "already
/// exceeds" a limit is not done).
fn mentions_handled(lowered: &str) -> bool {
    ["non-pending", "not pending", "nonpending", "not in pending"]
        .iter()
        .any(|p| lowered.contains(p))
}

impl Retryable for Failure {
    fn is_retryable(&self) -> bool {
        self.kind == FailureKind::Retryable
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.code, self.status) {
            (Some(code), Some(status)) => write!(f, "{code} {status}: {}", self.message),
            (Some(code), None) => write!(f, "{code}: {}", self.message),
            (None, Some(status)) => write!(f, "HTTP {status}: {}", self.message),
            (None, None) => f.write_str(&self.message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(
        code: Option<&str>,
        status: Option<u16>,
        message: &str,
        transport: bool,
    ) -> FailureKind {
        Failure::classify(code, status, message, transport).kind
    }

    #[test]
    fn classification_table() {
        use FailureKind::*;
        assert_eq!(
            kind(
                Some("ThrottledClientException"),
                Some(429),
                "slow down",
                false
            ),
            Retryable
        );
        assert_eq!(
            kind(Some("ServiceFailureException"), Some(500), "oops", false),
            Retryable
        );
        assert_eq!(
            kind(Some("ServiceUnavailableException"), Some(503), "", false),
            Retryable
        );
        assert_eq!(kind(None, Some(502), "bad gateway", false), Retryable);
        assert_eq!(kind(None, None, "timed out", true), Retryable);
        assert_eq!(
            kind(Some("ConflictException"), Some(409), "conflict", false),
            AlreadyHandled
        );
        assert_eq!(
            kind(
                Some("BadRequestException"),
                Some(400),
                "Cannot process callback for a non-pending message",
                false
            ),
            AlreadyHandled
        );
        assert_eq!(
            kind(
                Some("BadRequestException"),
                Some(400),
                "Metadata too long",
                false
            ),
            Rejected
        );
        assert_eq!(
            kind(Some("ForbiddenException"), Some(403), "denied", false),
            Forbidden
        );
        assert_eq!(
            kind(Some("UnauthorizedClientException"), Some(401), "no", false),
            Rejected
        );
    }

    #[test]
    fn only_chimes_code_and_words_mean_already_handled() {
        use FailureKind::*;
        assert_eq!(
            kind(
                Some("BadRequestException"),
                Some(400),
                "Metadata already exceeds 1024 bytes",
                false
            ),
            Rejected
        );
        assert_eq!(
            kind(
                None,
                Some(400),
                "Cannot process callback for a non-pending message",
                false
            ),
            Rejected
        );
        assert_eq!(
            kind(
                Some("NotFoundException"),
                Some(404),
                "no such message",
                false
            ),
            Rejected
        );
    }

    #[test]
    fn display_names_code_and_status() {
        let f = Failure::classify(Some("ConflictException"), Some(409), "dup", false);
        assert_eq!(f.to_string(), "Conflict 409: dup");
    }
}
