//! Errors as the service sends them: status, `x-amzn-ErrorType: <Code>Exception` and a
//! `{"Code", "Message"}` body, which is what the SDKs read to raise the typed error.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status.unwrap_or(self.code.status());
        let body = json!({"Code": self.code.name(), "Message": self.message});
        let mut response = (status, axum::Json(body)).into_response();
        if let Ok(value) = HeaderValue::from_str(&format!("{}Exception", self.code.name())) {
            response.headers_mut().insert("x-amzn-errortype", value);
        }
        response
    }
}
