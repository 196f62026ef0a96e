//! Support for the end-to-end tests: the sample events, and a loopback HTTP stub that records what the
//! real SDK puts on the wire and answers from a script (status, `x-amzn-ErrorType`, JSON body).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use tokio::sync::oneshot;

/// `tests/events/`.
pub fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("events")
}

/// The raw bytes of one sample event.
pub fn event_bytes(name: &str) -> Vec<u8> {
    let path = events_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// One sample event as JSON.
pub fn event_json(name: &str) -> serde_json::Value {
    serde_json::from_slice(&event_bytes(name)).unwrap_or_else(|e| panic!("{name} is not JSON: {e}"))
}

/// A request as the stub received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Recorded {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A scripted answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub error_type: Option<&'static str>,
    pub body: String,
}

impl Answer {
    /// A service error as Chime sends it: status, `x-amzn-ErrorType: <Code>Exception`, `{"Code","Message"}`.
    pub fn error(status: u16, code: &'static str, message: &str) -> Self {
        let error_type = match code {
            "BadRequest" => "BadRequestException",
            "Conflict" => "ConflictException",
            "Forbidden" => "ForbiddenException",
            "ThrottledClient" => "ThrottledClientException",
            "ServiceFailure" => "ServiceFailureException",
            "ServiceUnavailable" => "ServiceUnavailableException",
            "UnauthorizedClient" => "UnauthorizedClientException",
            other => panic!("unknown code {other}"),
        };
        Self {
            status,
            error_type: Some(error_type),
            body: serde_json::json!({"Code": code, "Message": message}).to_string(),
        }
    }
}

#[derive(Default)]
struct Shared {
    script: Mutex<VecDeque<Answer>>,
    seen: Mutex<Vec<Recorded>>,
}

/// A stub on 127.0.0.1 (a free port); stopped when dropped.
pub struct StubServer {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
}

impl StubServer {
    /// Starts the stub; `script` answers requests in order, then every request gets a 200 callback answer.
    pub async fn start(script: Vec<Answer>) -> Self {
        let shared = Arc::new(Shared {
            script: Mutex::new(script.into()),
            ..Shared::default()
        });
        let app = Router::new()
            .fallback(record)
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        Self {
            addr,
            shared,
            stop: Some(stop),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.seen.lock().expect("stub lock").clone()
    }
}

impl Drop for StubServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn record(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let callback_id = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| {
            v.get("CallbackId")
                .and_then(|c| c.as_str())
                .map(str::to_owned)
        })
        .unwrap_or_default();
    shared.seen.lock().expect("stub lock").push(Recorded {
        method,
        uri: uri.clone(),
        headers,
        body,
    });
    let answer = shared.script.lock().expect("stub lock").pop_front();
    match answer {
        Some(answer) => {
            let status =
                StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response =
                (status, [("content-type", "application/json")], answer.body).into_response();
            if let Some(error_type) = answer.error_type {
                response.headers_mut().insert(
                    "x-amzn-errortype",
                    error_type.parse().expect("header value"),
                );
            }
            response
        }
        None => {
            let body =
                serde_json::json!({"ChannelArn": "echo", "CallbackId": callback_id}).to_string();
            (StatusCode::OK, [("content-type", "application/json")], body).into_response()
        }
    }
}

/// An SDK config that reaches `endpoint` with fixed test credentials (signed as usual, never sent beyond
/// loopback).
pub async fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_chimesdkmessaging::config::Credentials::new(
            "AKIDTEST", "secret", None, None, "test",
        ))
        .load()
        .await
}
