//! One loopback stub server for every test that needs the other side of a connection: it records
//! each request and answers from a script, then with a default answer made from the request.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use tokio::sync::oneshot;

/// A request as the stub received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Recorded {
    /// The body as JSON (`null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_default()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn path(&self) -> &str {
        self.uri.path()
    }
}

/// A scripted answer: status, headers, body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl Answer {
    /// A status and no body.
    pub fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: String::new(),
        }
    }

    /// A status and a JSON body.
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        Self {
            status,
            headers: vec![("content-type", "application/json".to_owned())],
            body: body.to_string(),
        }
    }

    /// A service error as Chime sends it: status, `x-amzn-ErrorType: <Code>Exception`,
    /// `{"Code","Message"}`.
    pub fn service_error(status: u16, code: &str, message: &str) -> Self {
        let mut answer = Self::json(
            status,
            &serde_json::json!({"Code": code, "Message": message}),
        );
        answer
            .headers
            .push(("x-amzn-errortype", format!("{code}Exception")));
        answer
    }
}

type Otherwise = Box<dyn Fn(&Recorded) -> Answer + Send + Sync>;

struct Shared {
    script: Mutex<VecDeque<Answer>>,
    otherwise: Otherwise,
    seen: Mutex<Vec<Recorded>>,
}

/// A stub on 127.0.0.1 (a free port); stopped by `stop` or when dropped.
pub struct StubServer {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
}

impl StubServer {
    /// Starts the stub: `script` answers the first requests in order, `otherwise` every request after.
    pub async fn start(
        script: Vec<Answer>,
        otherwise: impl Fn(&Recorded) -> Answer + Send + Sync + 'static,
    ) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            script: Mutex::new(script.into()),
            otherwise: Box::new(otherwise),
            seen: Mutex::default(),
        });
        let app = axum::Router::new()
            .fallback(record)
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(Self {
            addr,
            shared,
            stop: Some(stop),
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared
            .seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Waits (bounded: 5 s) until `count` requests arrived; returns all of them.
    pub async fn wait_for(&self, count: usize) -> Vec<Recorded> {
        for _ in 0..500 {
            let seen = self.requests();
            if seen.len() >= count {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.requests()
    }

    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Drop for StubServer {
    fn drop(&mut self) {
        self.shut_down();
    }
}

async fn record(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = Recorded {
        method,
        uri,
        headers,
        body,
    };
    let scripted = shared
        .script
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .pop_front();
    let answer = scripted.unwrap_or_else(|| (shared.otherwise)(&request));
    shared
        .seen
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(request);
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, answer.body).into_response();
    for (name, value) in answer.headers {
        if let Ok(value) = value.parse() {
            response.headers_mut().insert(name, value);
        }
    }
    response
}
