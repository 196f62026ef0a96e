//! HTTP in: the body limit, SigV4, routing and binding by the model, the request id and the log line.
//! A bound request goes on to the service's operation pipeline; a request under `/_chime-local/` to
//! the first local route that serves it.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::{LocalRequest, Wire};
use crate::binding::{bind, query_pairs, route};
use crate::server::error::ApiError;
use crate::server::sigv4;
use crate::state::random_uuid;

/// The largest request body read. Chime's largest requests (a 100-member batch, a 4 KB message with
/// metadata and attributes) are tens of kilobytes; 1 MiB leaves room and bounds what a client can
/// make the service hold.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// chime-local's own endpoints (unsigned), served by the local routes.
pub const LOCAL_PREFIX: &str = "/_chime-local/";

pub(crate) async fn entry(
    State(wire): State<Arc<Wire>>,
    request: axum::extract::Request,
) -> Response {
    let (parts, body) = request.into_parts();
    // Before routing: a foreign Host (DNS rebinding), a foreign Origin, a control request a page of
    // another site could have sent.
    if let Err(refused) = crate::server::guard::check(&parts, Some(wire.bound)) {
        return with_request_id(refused.into_response());
    }
    if parts.method == Method::GET && parts.uri.path() == "/connect" {
        return crate::server::websocket::connect(wire, parts).await;
    }
    let declared = parts
        .headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    // Refused before reading when the client says how long it is; otherwise read up to the limit,
    // for as long as a connection may idle.
    let body = match declared {
        Some(length) if length > MAX_BODY_BYTES as u64 => Err(Some(length)),
        _ => {
            let read = axum::body::to_bytes(body, MAX_BODY_BYTES);
            let patience = wire.settings.idle_timeout;
            match tokio::time::timeout(patience, read).await {
                Ok(read) => read.map_err(|_| None),
                Err(_) => {
                    let mut error = ApiError::bad_request(format!(
                        "the request body did not arrive within {} ms",
                        patience.as_millis()
                    ));
                    error.status = Some(StatusCode::REQUEST_TIMEOUT);
                    return with_request_id(error.into_response());
                }
            }
        }
    };
    match body {
        Ok(body) => handle(&wire, &parts.method, &parts.uri, &parts.headers, &body).await,
        Err(length) => {
            let size = length.map_or("more than that".to_owned(), |n| format!("{n} bytes"));
            let mut error = ApiError::bad_request(format!(
                "the request body is {size}; chime-local reads at most {MAX_BODY_BYTES} bytes"
            ));
            error.status = Some(StatusCode::PAYLOAD_TOO_LARGE);
            with_request_id(error.into_response())
        }
    }
}

/// A refusal made before the request reached the service still carries a request id.
fn with_request_id(mut response: Response) -> Response {
    if let Ok(value) = HeaderValue::from_str(&random_uuid()) {
        response.headers_mut().insert("x-amzn-requestid", value);
    }
    response
}

/// Handles one HTTP request end to end.
pub async fn handle(
    wire: &Arc<Wire>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let started = Instant::now();
    if uri.path().starts_with(LOCAL_PREFIX) {
        let path = uri.path();
        return match wire.routes.iter().find(|r| r.serves(method, path)) {
            Some(route) => {
                let request = LocalRequest { method, uri, body };
                route.serve(&wire.emulator, request).await
            }
            None => ApiError::not_found(format!("no chime-local endpoint {method} {path}"))
                .into_response(),
        };
    }
    let (operation, result) = serve(wire, method, uri, headers, body).await;
    let status = match &result {
        Ok((status, _)) => *status,
        Err(e) => e.status.unwrap_or(e.code.status()),
    };
    // Every answer carries a request id, as the service's do (SDKs put it in errors and metadata).
    let request_id = random_uuid();
    tracing::info!(
        operation = operation.as_deref().unwrap_or("-"),
        status = status.as_u16(),
        request_id = %request_id,
        micros = started.elapsed().as_micros() as u64,
        "request"
    );
    let mut response = match result {
        Ok((status, Some(body))) => (status, axum::Json(body)).into_response(),
        Ok((status, None)) => status.into_response(),
        Err(error) => error.into_response(),
    };
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-amzn-requestid", value);
    }
    response
}

async fn serve(
    wire: &Arc<Wire>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> (
    Option<String>,
    Result<(StatusCode, Option<Value>), ApiError>,
) {
    let auth = match sigv4::parse(headers) {
        Ok(auth) => auth,
        Err(e) => return (None, Err(e)),
    };
    if let Some(credentials) = &wire.settings.verify_signatures {
        let target = uri.path_and_query().map_or("/", |p| p.as_str());
        if let Err(e) = sigv4::verify(&auth, credentials, method.as_str(), target, headers, body) {
            return (None, Err(e));
        }
    }
    let query = match query_pairs(uri.query().unwrap_or("")) {
        Ok(q) => q,
        Err(e) => return (None, Err(e.into())),
    };
    let emulator = &wire.emulator;
    let (op, labels) = match route(&emulator.model, method.as_str(), uri.path(), &query) {
        Ok(found) => found,
        Err(e) => return (None, Err(e.into())),
    };
    let caller = auth.access_key_id.clone();
    let result = emulator
        .execute(op, &caller, || {
            bind(&emulator.model, op, &labels, &query, headers, body).map_err(ApiError::from)
        })
        .await;
    (Some(op.name.clone()), result)
}
