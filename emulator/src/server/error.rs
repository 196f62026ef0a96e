//! Errors as the service sends them: status, `x-amzn-ErrorType: <Code>Exception` and a
//! `{"Code", "Message"}` body, which is what the SDKs read to raise the typed error.

use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use serde_json::json;

pub use crate::error::{ApiError, Code};

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
