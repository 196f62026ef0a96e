//! The service: one HTTP entry point for both APIs. A request is authenticated (SigV4), routed and
//! bound by the model, faults are injected if configured, the input is validated, the operation runs
//! under its app instance's lock, and processor invocations start once that lock is released.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::binding::{bind, query_pairs, route};
use crate::error::{ApiError, Code};
use crate::failed_events::FailedEventQueue;
use crate::faults::{Faults, Injected};
use crate::flow::{InProcess, Invocation, Invokers, LambdaApi, ProcessorInvoker};
use crate::idempotency::{Seen, Ticket, Tokens};
use crate::model::{Model, ModelError};
use crate::ops::{self, Input};
use crate::sigv4::{self, LocalCredentials};
use crate::store::{Store, random_uuid};
use crate::validate::validate;

/// Access key id and secret the in-process processors sign with (and, when signatures are verified
/// without other credentials, the ones expected).
pub const LOCAL_ACCESS_KEY_ID: &str = "AKIDCHIMELOCAL";
pub const LOCAL_SECRET_ACCESS_KEY: &str = "chime-local-secret";

#[derive(Debug, Clone)]
pub struct Config {
    pub region: String,
    pub account: String,
    /// When set, signatures are verified against these credentials; otherwise only their form is.
    pub verify_signatures: Option<LocalCredentials>,
    /// Where the Lambda Invoke API is served (`http://127.0.0.1:9000` for `cargo lambda watch`).
    pub lambda_endpoint: Option<String>,
    /// Run the built-in processors in-process under their function names.
    pub in_process_functions: bool,
    pub faults: Faults,
    /// When an in-process processor fails, the waits before its two more deliveries (Lambda's
    /// asynchronous retry; AWS waits about one and two minutes, chime-local 1 s and 2 s).
    pub async_retry_delays: Vec<std::time::Duration>,
    /// How long a connection may go without sending a complete request head (idle keep-alive
    /// connections included) and a body may take to arrive.
    pub idle_timeout: std::time::Duration,
    /// How in-process processors call back: directly (default) or through the SDK over HTTP.
    pub in_process_callbacks: crate::flow::CallbackPath,
}

impl Config {
    /// The access key id and secret a client signs with to be accepted: the verified ones when
    /// signatures are checked, else chime-local's own (what `serve` prints and in-process
    /// processors use).
    pub fn client_credentials(&self) -> (String, String) {
        match &self.verify_signatures {
            Some(c) => (c.access_key_id.clone(), c.secret_access_key.clone()),
            None => (LOCAL_ACCESS_KEY_ID.into(), LOCAL_SECRET_ACCESS_KEY.into()),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            region: "us-east-1".into(),
            account: "000000000000".into(),
            verify_signatures: None,
            lambda_endpoint: None,
            in_process_functions: true,
            faults: Faults::default(),
            async_retry_delays: vec![
                std::time::Duration::from_secs(1),
                std::time::Duration::from_secs(2),
            ],
            idle_timeout: crate::listener::IDLE_TIMEOUT,
            in_process_callbacks: crate::flow::CallbackPath::Direct,
        }
    }
}

/// A request's outcome before it becomes HTTP: handled now (with the token it claimed), or the
/// remembered answer of a retried request.
enum Answer {
    Handled(Result<ops::Reply, ApiError>, Option<Ticket>),
    Replayed(StatusCode, Option<Value>),
}

pub struct Emulator {
    model: Model,
    store: Store,
    config: Config,
    faults: Mutex<Faults>,
    /// Token buckets of the operations with a `rate_limit_tps`.
    quotas: Mutex<std::collections::BTreeMap<String, (f64, Instant)>>,
    invoker: OnceLock<Arc<Invokers>>,
    /// Events whose every delivery failed (the processors' on-failure destination).
    failed: Arc<FailedEventQueue>,
    tokens: Tokens,
    /// Set when chime-local stops: open messaging sessions close.
    stopping: tokio::sync::watch::Sender<bool>,
}

impl Emulator {
    pub fn new(config: Config) -> Result<Self, ModelError> {
        Ok(Self {
            model: Model::load()?,
            store: Store::new(&config.region, &config.account),
            faults: Mutex::new(config.faults.clone()),
            quotas: Mutex::new(std::collections::BTreeMap::new()),
            config,
            invoker: OnceLock::new(),
            failed: Arc::default(),
            tokens: Tokens::default(),
            stopping: tokio::sync::watch::Sender::new(false),
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Changes to true when chime-local stops.
    pub fn stopping(&self) -> tokio::sync::watch::Receiver<bool> {
        self.stopping.subscribe()
    }

    /// Replaces the fault rules (tests switch them on and off between calls).
    pub fn set_faults(&self, faults: Faults) -> Result<(), String> {
        faults.check()?;
        *self.faults.lock().unwrap_or_else(|e| e.into_inner()) = faults;
        // A new quota starts with a full second's worth.
        self.quotas
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        Ok(())
    }

    /// The fault rules now (with what is left of each `reject_first`).
    pub fn faults_snapshot(&self) -> Faults {
        self.faults()
    }

    fn faults(&self) -> Faults {
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Connects the invokers once the endpoint is known.
    async fn connect_invokers(self: &Arc<Self>, endpoint: &str) {
        let (key, secret) = self.config.client_credentials();
        let in_process = if self.config.in_process_functions {
            let sdk_config = aws_config::defaults(aws_config::BehaviorVersion::latest())
                .endpoint_url(endpoint)
                .region(aws_config::Region::new(self.config.region.clone()))
                .credentials_provider(aws_credential_types::Credentials::new(
                    key,
                    secret,
                    None,
                    None,
                    "chime-local",
                ))
                .load()
                .await;
            Some(InProcess::new(
                sdk_config,
                (self.config.in_process_callbacks, Arc::downgrade(self)),
                chime_flow::Env::from_process(),
                (
                    self.config.async_retry_delays.clone(),
                    Arc::clone(&self.failed),
                ),
            ))
        } else {
            None
        };
        let invokers = Invokers {
            in_process,
            lambda: self.config.lambda_endpoint.as_deref().map(|endpoint| {
                LambdaApi::new(
                    endpoint,
                    self.config.async_retry_delays.clone(),
                    Arc::clone(&self.failed),
                )
            }),
        };
        let _ = self.invoker.set(Arc::new(invokers));
    }

    /// Handles one HTTP request end to end.
    pub async fn handle(
        self: &Arc<Self>,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Response {
        let started = Instant::now();
        if uri.path() == "/_chime-local/failed-events/redrive" && method == Method::POST {
            return self.redrive(body).await;
        }
        if uri.path().starts_with("/_chime-local/") {
            return self.control(method, uri, body);
        }
        let (operation, result) = self.serve(method, uri, headers, body).await;
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
        self: &Arc<Self>,
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
        if let Some(credentials) = &self.config.verify_signatures {
            let target = uri.path_and_query().map_or("/", |p| p.as_str());
            if let Err(e) =
                sigv4::verify(&auth, credentials, method.as_str(), target, headers, body)
            {
                return (None, Err(e));
            }
        }
        let query = match query_pairs(uri.query().unwrap_or("")) {
            Ok(q) => q,
            Err(e) => return (None, Err(e.into())),
        };
        let (op, labels) = match route(&self.model, method.as_str(), uri.path(), &query) {
            Ok(found) => found,
            Err(e) => return (None, Err(e.into())),
        };
        let caller = auth.access_key_id.clone();
        let result = self
            .execute(op, &caller, || {
                bind(&self.model, op, &labels, &query, headers, body).map_err(ApiError::from)
            })
            .await;
        (Some(op.name.clone()), result)
    }

    /// Runs operation `op` on an input made by `input` (bound from a request, or given in-process):
    /// faults, validation against the model, ClientRequestToken, the handler, then the processor
    /// invocations it started. `caller` keys idempotency tokens (the access key id).
    async fn execute(
        self: &Arc<Self>,
        op: &crate::model::Operation,
        caller: &str,
        input: impl FnOnce() -> Result<serde_json::Map<String, Value>, ApiError>,
    ) -> Result<(StatusCode, Option<Value>), ApiError> {
        let name = op.name.as_str();
        let rejected = self
            .faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take_rejection(name);
        let faults = self.faults();
        let over_quota = faults.over_quota(
            name,
            &mut self.quotas.lock().unwrap_or_else(|e| e.into_inner()),
            Instant::now(),
        );
        if let Some(delay) = faults.latency(name) {
            tokio::time::sleep(delay).await;
        }
        let injected = if rejected {
            Injected::Reject
        } else if over_quota {
            Injected::Throttle
        } else {
            faults.draw(name)
        };
        match injected {
            Injected::Reject => {
                return Err(ApiError::bad_request("Rejected (injected fault)"));
            }
            Injected::Throttle => {
                return Err(ApiError::new(
                    Code::ThrottledClient,
                    "Rate exceeded (injected fault)",
                ));
            }
            Injected::Error => {
                return Err(ApiError::new(
                    Code::ServiceFailure,
                    "Service failure (injected fault)",
                ));
            }
            Injected::None => {}
        }
        let result = (|| {
            let handler = ops::handler(name).ok_or_else(|| ApiError::not_implemented(name))?;
            let input = Value::Object(input()?);
            if let Some(shape) = &op.input {
                validate(&self.model, op.service, shape, &input, "")?;
            }
            let Value::Object(input) = input else {
                return Err(ApiError::bad_request("the input is not an object"));
            };
            let caller = format!(
                "{caller}|{}",
                input
                    .get("ChimeBearer")
                    .and_then(Value::as_str)
                    .unwrap_or("")
            );
            let ticket = match self.tokens.check(name, &caller, &input)? {
                Some(Seen::Replay(status, body)) => return Ok(Answer::Replayed(status, body)),
                Some(Seen::New(ticket)) => Some(ticket),
                None => None,
            };
            let reply = handler(&self.store, &Input(input));
            Ok(Answer::Handled(reply, ticket))
        })();
        let status = StatusCode::from_u16(op.status).unwrap_or(StatusCode::OK);
        match result {
            Ok(Answer::Replayed(status, body)) => Ok((status, body)),
            Ok(Answer::Handled(Ok(reply), ticket)) => {
                for invocation in reply.invocations {
                    self.spawn_invocation(invocation, faults.duplicate(name));
                }
                let body = reply.body.map(ops::without_nulls);
                if let Some(ticket) = ticket {
                    self.tokens.finish(ticket, Some((status, body.clone())));
                }
                Ok((status, body))
            }
            Ok(Answer::Handled(Err(e), ticket)) => {
                if let Some(ticket) = ticket {
                    self.tokens.finish(ticket, None);
                }
                Err(e.as_modeled(&op.errors))
            }
            Err(e) => Err(e.as_modeled(&op.errors)),
        }
    }

    /// Calls an operation in-process (what an in-process processor's callback does): the same
    /// faults, validation and semantics as over HTTP, without the HTTP and the signature.
    pub async fn call(
        self: &Arc<Self>,
        service: crate::model::Service,
        operation: &str,
        input: serde_json::Map<String, Value>,
    ) -> Result<Option<Value>, ApiError> {
        let op = self
            .model
            .operation(service, operation)
            .ok_or_else(|| ApiError::not_implemented(operation))?;
        self.execute(op, "in-process", || Ok(input))
            .await
            .map(|(_, body)| body)
    }

    /// Delivers an event to its processor in the background (twice when `duplicate`); when the
    /// processor cannot be reached, the FallbackAction applies.
    fn spawn_invocation(self: &Arc<Self>, invocation: Invocation, duplicate: bool) {
        let Some(invoker) = self.invoker.get().cloned() else {
            return;
        };
        let emulator = Arc::clone(self);
        tokio::spawn(async move {
            let deliveries = if duplicate { 2 } else { 1 };
            for _ in 0..deliveries {
                let result = invoker
                    .invoke(&invocation.function_arn, invocation.payload.clone())
                    .await;
                if let Err(error) = result {
                    tracing::warn!(
                        processor = %invocation.processor_name,
                        message_id = %invocation.message_id,
                        fallback = %invocation.fallback,
                        error = %error,
                        "processor could not be invoked"
                    );
                    let next = ops::apply_invocation_failure(
                        &emulator.store,
                        &invocation,
                        &error.to_string(),
                    );
                    for invocation in next {
                        emulator.spawn_invocation(invocation, false);
                    }
                    return;
                }
            }
        });
    }

    /// `/_chime-local/faults` (GET, PUT), `/_chime-local/health`, `POST /_chime-local/events`
    /// (stage a processor event, see `ops::stage_event`) and `POST /_chime-local/clock`
    /// (`{"AdvanceSeconds": n}`: move the expiry clock forward and sweep what expired) and
    /// `POST /_chime-local/seed-messages` and `/_chime-local/seed-users` (history and populations for
    /// load tests, see `ops::seed_messages`, `ops::seed_users`): for tests and tools, unsigned.
    fn control(&self, method: &Method, uri: &Uri, body: &[u8]) -> Response {
        let path = uri.path();
        match (method.as_str(), path) {
            ("GET", "/_chime-local/failed-events") => {
                axum::Json(self.failed.list()).into_response()
            }
            ("GET", "/_chime-local/pending") => {
                let query = query_pairs(uri.query().unwrap_or_default()).unwrap_or_default();
                let number = |name: &str, default: i64| {
                    query
                        .iter()
                        .find(|(k, _)| k == name)
                        .map_or(Ok(default), |(_, v)| {
                            v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                                ApiError::bad_request(format!(
                                    "{name}: {v:?} is not a whole number of 0 or more"
                                ))
                            })
                        })
                };
                match (number("older-than-seconds", 0), number("limit", 100)) {
                    (Ok(older), Ok(limit)) => {
                        axum::Json(crate::failed_events::pending_longer_than(
                            &self.store,
                            older,
                            limit as usize,
                        ))
                        .into_response()
                    }
                    (Err(e), _) | (_, Err(e)) => e.into_response(),
                }
            }
            ("GET", "/_chime-local/health") => (StatusCode::OK, "ok").into_response(),
            ("GET", "/_chime-local/faults") => axum::Json(self.faults()).into_response(),
            ("PUT", "/_chime-local/faults") => {
                let parsed = serde_json::from_slice::<Faults>(body)
                    .map_err(|e| e.to_string())
                    .and_then(|f| self.set_faults(f));
                match parsed {
                    Ok(()) => StatusCode::NO_CONTENT.into_response(),
                    Err(e) => ApiError::bad_request(format!("fault rules: {e}")).into_response(),
                }
            }
            ("POST", "/_chime-local/clock") => {
                let advanced = serde_json::from_slice::<ClockAdvance>(body)
                    .map_err(|e| ApiError::bad_request(format!("clock: {e}")));
                match advanced {
                    Ok(advance) => {
                        self.store
                            .advance_clock(advance.advance_seconds.saturating_mul(1000));
                        let swept = crate::expiry::sweep(&self.store);
                        axum::Json(serde_json::json!({"Swept": swept})).into_response()
                    }
                    Err(e) => e.into_response(),
                }
            }
            ("POST", "/_chime-local/seed-users") => match ops::seed_users(&self.store, body) {
                Ok(summary) => axum::Json(summary).into_response(),
                Err(e) => e.into_response(),
            },
            ("POST", "/_chime-local/seed-messages") => {
                match ops::seed_messages(&self.store, body) {
                    Ok(summary) => axum::Json(summary).into_response(),
                    Err(e) => e.into_response(),
                }
            }
            ("POST", "/_chime-local/events") => {
                let staged = serde_json::from_slice::<Value>(body)
                    .map_err(|e| ApiError::bad_request(format!("processor event: {e}")))
                    .and_then(|event| ops::stage_event(&self.store, &event));
                match staged {
                    Ok(summary) => axum::Json(ops::without_nulls(summary)).into_response(),
                    Err(e) => e.into_response(),
                }
            }
            _ => ApiError::not_found(format!("no chime-local control endpoint {method} {path}"))
                .into_response(),
        }
    }
}

impl Emulator {
    /// The failure queue (the on-failure destination of every processor).
    pub fn failed_events(&self) -> Arc<FailedEventQueue> {
        Arc::clone(&self.failed)
    }

    /// The processors, as a replay reaches them (`chime_flow::redrive::Reinvoke`), once connected.
    pub fn processors(&self) -> Option<Arc<Invokers>> {
        self.invoker.get().cloned()
    }

    /// `POST /_chime-local/failed-events/redrive` (`{"Limit"?, "DryRun"?}`): the failure queue
    /// replayed through the processors, with `chime_flow::redrive` as the admin API replays SQS.
    async fn redrive(&self, body: &[u8]) -> Response {
        let request = if body.iter().all(u8::is_ascii_whitespace) {
            Ok(chime_flow::redrive::RedriveRequest::default())
        } else {
            serde_json::from_slice::<chime_flow::redrive::RedriveRequest>(body)
                .map_err(|e| e.to_string())
        }
        .and_then(|request| request.check().map(|()| request));
        let request = match request {
            Ok(request) => request,
            Err(problem) => {
                return ApiError::bad_request(format!("redrive: {problem}")).into_response();
            }
        };
        let Some(invokers) = self.invoker.get().cloned() else {
            return ApiError::bad_request("redrive: no processors are connected yet")
                .into_response();
        };
        match chime_flow::redrive::redrive(self.failed.as_ref(), invokers.as_ref(), request).await {
            Ok(report) => axum::Json(report).into_response(),
            Err(error) => {
                ApiError::new(Code::ServiceFailure, format!("redrive: {error}")).into_response()
            }
        }
    }
}

/// `POST /_chime-local/clock`'s body.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct ClockAdvance {
    advance_seconds: i64,
}

/// How often expiration and retention are applied in the background.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// A running chime-local; dropping it does not stop it, `stop` does.
pub struct Running {
    pub endpoint: String,
    pub addr: SocketAddr,
    pub emulator: Arc<Emulator>,
    task: JoinHandle<()>,
    sweeper: JoinHandle<()>,
}

impl Running {
    /// Stops accepting requests and waits for the server task to end.
    pub async fn stop(mut self) {
        self.sweeper.abort();
        self.emulator.stopping.send_replace(true);
        let _ = (&mut self.task).await;
    }

    /// Waits until the server ends (for `serve`, which runs until interrupted).
    pub async fn wait(self) {
        let _ = self.task.await;
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error("cannot listen on {addr}: {error}")]
    Bind {
        addr: SocketAddr,
        error: std::io::Error,
    },
}

/// Starts chime-local on `addr` (port 0 picks a free one) and returns once it accepts requests.
pub async fn start(config: Config, addr: SocketAddr) -> Result<Running, StartError> {
    let emulator = Arc::new(Emulator::new(config)?);
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|error| StartError::Bind { addr, error })?;
    let addr = listener
        .local_addr()
        .map_err(|error| StartError::Bind { addr, error })?;
    let endpoint = format!("http://{addr}");
    // GetMessagingSessionEndpoint's Url is a host without a scheme, as the service's
    // (`id.region.ws-messaging.chime.aws`); clients connect to `/connect` on it.
    let _ = emulator.store.session_endpoint.set(addr.to_string());
    emulator.connect_invokers(&endpoint).await;
    let app = axum::Router::new()
        .fallback(entry)
        .with_state(Arc::clone(&emulator));
    let task = tokio::spawn(crate::listener::serve(
        listener,
        app,
        emulator.config.idle_timeout,
        emulator.stopping(),
    ));
    let swept = Arc::downgrade(&emulator);
    let sweeper = tokio::spawn(async move {
        let mut every = tokio::time::interval(SWEEP_EVERY);
        every.tick().await;
        loop {
            every.tick().await;
            let Some(emulator) = swept.upgrade() else {
                return;
            };
            crate::expiry::sweep(&emulator.store);
        }
    });
    Ok(Running {
        endpoint,
        addr,
        emulator,
        task,
        sweeper,
    })
}

/// The largest request body read. Chime's largest requests (a 100-member batch, a 4 KB message with
/// metadata and attributes) are tens of kilobytes; 1 MiB leaves room and bounds what a client can
/// make the service hold.
pub const MAX_BODY_BYTES: usize = 1 << 20;

async fn entry(State(emulator): State<Arc<Emulator>>, request: axum::extract::Request) -> Response {
    let (parts, body) = request.into_parts();
    if parts.method == Method::GET && parts.uri.path() == "/connect" {
        return crate::websocket::connect(emulator, parts).await;
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
            let patience = emulator.config.idle_timeout;
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
        Ok(body) => {
            emulator
                .handle(&parts.method, &parts.uri, &parts.headers, &body)
                .await
        }
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
