//! The service's errors: a code from the models' error shapes, its HTTP status and a message. Every
//! layer returns them; `server::error` writes them to the wire.

use axum::http::StatusCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    ResourceLimitExceeded,
    ServiceFailure,
    ServiceUnavailable,
    ThrottledClient,
    UnauthorizedClient,
}

impl Code {
    pub fn name(self) -> &'static str {
        match self {
            Code::BadRequest => "BadRequest",
            Code::Conflict => "Conflict",
            Code::Forbidden => "Forbidden",
            Code::NotFound => "NotFound",
            Code::ResourceLimitExceeded => "ResourceLimitExceeded",
            Code::ServiceFailure => "ServiceFailure",
            Code::ServiceUnavailable => "ServiceUnavailable",
            Code::ThrottledClient => "ThrottledClient",
            Code::UnauthorizedClient => "UnauthorizedClient",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            Code::BadRequest | Code::ResourceLimitExceeded => StatusCode::BAD_REQUEST,
            Code::Conflict => StatusCode::CONFLICT,
            Code::Forbidden => StatusCode::FORBIDDEN,
            Code::NotFound => StatusCode::NOT_FOUND,
            Code::ServiceFailure => StatusCode::INTERNAL_SERVER_ERROR,
            Code::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Code::ThrottledClient => StatusCode::TOO_MANY_REQUESTS,
            Code::UnauthorizedClient => StatusCode::UNAUTHORIZED,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", code.name())]
pub struct ApiError {
    pub code: Code,
    pub message: String,
    /// Overrides the code's status (an unimplemented operation answers 501).
    pub status: Option<StatusCode>,
}

impl ApiError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            status: None,
        }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(Code::BadRequest, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(Code::NotFound, message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(Code::Forbidden, message)
    }
    pub fn resource_limit(message: impl Into<String>) -> Self {
        Self::new(Code::ResourceLimitExceeded, message)
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(Code::Conflict, message)
    }
    pub fn limit(message: impl Into<String>) -> Self {
        Self::new(Code::ResourceLimitExceeded, message)
    }
    pub fn not_implemented(operation: &str) -> Self {
        Self {
            code: Code::ServiceFailure,
            message: format!("chime-local does not implement the operation {operation}"),
            status: Some(StatusCode::NOT_IMPLEMENTED),
        }
    }
}

impl ApiError {
    /// The error as the operation's model allows it, so that SDKs raise a typed error. Chime answers
    /// a missing resource with Forbidden where NotFound is not modelled (as the real service does,
    /// e.g. aws/aws-sdk-net#1571); other unmodelled codes become BadRequest. `modeled` holds codes
    /// without the `Exception` suffix.
    pub fn as_modeled(mut self, modeled: &[String]) -> Self {
        let known = |code: Code| modeled.iter().any(|m| m == code.name());
        if self.status.is_some() || known(self.code) || modeled.is_empty() {
            return self;
        }
        self.code = match self.code {
            Code::NotFound if known(Code::Forbidden) => Code::Forbidden,
            Code::NotFound | Code::Conflict | Code::ResourceLimitExceeded => Code::BadRequest,
            other => other,
        };
        self
    }
}

/// What the model refuses is a BadRequest; a request no operation matches is a NotFound.
impl From<chime_api::ModelRefusal> for ApiError {
    fn from(invalid: chime_api::ModelRefusal) -> Self {
        match invalid.kind {
            chime_api::RefusalKind::BadRequest => ApiError::bad_request(invalid.message),
            chime_api::RefusalKind::NoRoute => ApiError::not_found(invalid.message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unmodelled_codes_become_modelled_ones() {
        let modeled = |codes: &[&str]| codes.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        let missing = ApiError::not_found("channel x not found");
        let mapped = missing
            .clone()
            .as_modeled(&modeled(&["BadRequest", "Forbidden"]));
        assert_eq!(
            (mapped.code, mapped.message.as_str()),
            (Code::Forbidden, "channel x not found")
        );
        let kept = missing.as_modeled(&modeled(&["BadRequest", "NotFound"]));
        assert_eq!(kept.code, Code::NotFound);
        let conflict = ApiError::conflict("c").as_modeled(&modeled(&["BadRequest"]));
        assert_eq!(conflict.code, Code::BadRequest);
    }
}
