//! A minimal Lambda Runtime API (the `2018-06-01` interface a function's `bootstrap` polls), so that a
//! built function binary — natively or under `qemu-aarch64` — can be run against chime-local with
//! its start-up and each event timed from outside, exactly as Lambda would drive it.
//!
//! `GET …/invocation/next` hands out queued events (waiting while there are none); `POST
//! …/invocation/{id}/response` and `…/error` settle them; `POST …/init/error` records a failed start.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::{Notify, oneshot};

/// How an invocation ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Response(Value),
    Error(Value),
}

/// One invocation, timed: when the function asked for it and when it answered.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub request_id: String,
    pub taken: Instant,
    pub answered: Option<(Instant, Outcome)>,
}

#[derive(Default)]
struct Shared {
    queue: VecDeque<(String, Value)>,
    invocations: Vec<Invocation>,
    init_error: Option<Value>,
    first_poll: Option<Instant>,
}

#[derive(Clone)]
struct Api {
    shared: Arc<Mutex<Shared>>,
    queued: Arc<Notify>,
    answered: Arc<Notify>,
    function_arn: String,
    timeout: Duration,
}

/// A running Runtime API on loopback; stopped on `stop`.
pub struct RuntimeApi {
    pub addr: SocketAddr,
    api: Api,
    stop: Option<oneshot::Sender<()>>,
}

impl RuntimeApi {
    /// Serves on 127.0.0.1 (a free port) for a function with this ARN and timeout.
    pub async fn start(function_arn: &str, timeout: Duration) -> std::io::Result<Self> {
        let api = Api {
            shared: Arc::default(),
            queued: Arc::new(Notify::new()),
            answered: Arc::new(Notify::new()),
            function_arn: function_arn.to_owned(),
            timeout,
        };
        let app = axum::Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(api.clone());
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(Self {
            addr,
            api,
            stop: Some(stop),
        })
    }

    /// `AWS_LAMBDA_RUNTIME_API` for the function: `host:port`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// Queues an event under `request_id`.
    pub fn push(&self, request_id: &str, event: Value) {
        self.api
            .lock()
            .queue
            .push_back((request_id.to_owned(), event));
        self.api.queued.notify_one();
    }

    /// When the function first asked for work (its start-up ended), if it has.
    pub fn first_poll(&self) -> Option<Instant> {
        self.api.lock().first_poll
    }

    pub fn init_error(&self) -> Option<Value> {
        self.api.lock().init_error.clone()
    }

    /// Waits until `request_id` is answered (or `limit` passes, or start-up failed).
    pub async fn wait_for(&self, request_id: &str, limit: Duration) -> Option<Invocation> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let notified = self.api.answered.notified();
            {
                let shared = self.api.lock();
                let found = shared
                    .invocations
                    .iter()
                    .find(|i| i.request_id == request_id && i.answered.is_some());
                if let Some(done) = found {
                    return Some(done.clone());
                }
                if shared.init_error.is_some() {
                    return None;
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return None;
            }
        }
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Api {
    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn settle(&self, id: &str, outcome: Outcome) -> StatusCode {
        let mut shared = self.lock();
        let Some(invocation) = shared
            .invocations
            .iter_mut()
            .find(|i| i.request_id == id && i.answered.is_none())
        else {
            return StatusCode::BAD_REQUEST;
        };
        invocation.answered = Some((Instant::now(), outcome));
        drop(shared);
        self.answered.notify_waiters();
        StatusCode::ACCEPTED
    }
}

fn header(value: &str) -> HeaderValue {
    HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static("-"))
}

async fn next(State(api): State<Api>) -> Response {
    let (id, event) = loop {
        let notified = api.queued.notified();
        {
            let mut shared = api.lock();
            shared.first_poll.get_or_insert_with(Instant::now);
            if let Some(item) = shared.queue.pop_front() {
                shared.invocations.push(Invocation {
                    request_id: item.0.clone(),
                    taken: Instant::now(),
                    answered: None,
                });
                break item;
            }
        }
        notified.await;
    };
    let deadline = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .saturating_add(api.timeout)
        .as_millis();
    let mut headers = HeaderMap::new();
    headers.insert("lambda-runtime-aws-request-id", header(&id));
    headers.insert("lambda-runtime-deadline-ms", header(&deadline.to_string()));
    headers.insert(
        "lambda-runtime-invoked-function-arn",
        header(&api.function_arn),
    );
    headers.insert(
        "lambda-runtime-trace-id",
        header("Root=1-00000000-000000000000000000000000;Sampled=0"),
    );
    (StatusCode::OK, headers, axum::Json(event)).into_response()
}

fn json(body: &Bytes) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into()))
}

async fn response(State(api): State<Api>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    api.settle(&id, Outcome::Response(json(&body)))
}

async fn error(State(api): State<Api>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    api.settle(&id, Outcome::Error(json(&body)))
}

async fn init_error(State(api): State<Api>, body: Bytes) -> StatusCode {
    api.lock().init_error = Some(json(&body));
    api.answered.notify_waiters();
    StatusCode::ACCEPTED
}
