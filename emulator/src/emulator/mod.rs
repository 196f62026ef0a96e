//! The service object: the model, the state, the fault rules, the idempotency tokens and the
//! processors every request reaches; and the operation pipeline, the same for a request from the
//! wire and a callback made in-process: injected faults, validation against the model, the
//! ClientRequestToken, the handler under its app instance's lock, then the processor invocations it
//! started, delivered once the lock is released.

pub mod faults;

use std::sync::{Arc, OnceLock};

use axum::http::StatusCode;
use serde_json::Value;

use crate::error::ApiError;
use crate::model::{Model, ModelError};
use crate::ops::{self, Input, Invocation};
use crate::processors::async_retry::AsyncQueue;
use crate::processors::failed_events::FailedEventQueue;
use crate::processors::in_process::InProcess;
use crate::processors::lambda_api::LambdaApi;
use crate::processors::{
    CallbackFuture, CallbackService, Invokers, ProcessorInvoker, Refusal,
    Settings as ProcessorSettings,
};
use crate::state::Store;
use crate::state::idempotency::{Seen, Ticket, Tokens};
use crate::state::journey::Step;
use crate::validate::validate;
use faults::FaultState;
pub use faults::Faults;

/// One running chime-local's service object, shared by every connection and processor.
pub struct Emulator {
    pub(crate) model: Model,
    pub(crate) store: Store,
    /// Where processors run (region, account and faults live in the store and the fault state).
    pub(crate) processors: ProcessorSettings,
    pub(crate) faults: FaultState,
    pub(crate) invoker: OnceLock<Arc<Invokers>>,
    /// Events whose every delivery failed (the processors' on-failure destination).
    pub(crate) failed: Arc<FailedEventQueue>,
    pub(crate) tokens: Tokens,
    /// Set when chime-local stops: open messaging sessions close.
    pub(crate) stopping: tokio::sync::watch::Sender<bool>,
}

/// What the service starts with: its region and account, the fault rules and where processors run.
#[derive(Debug, Clone)]
pub struct Settings {
    pub region: String,
    pub account: String,
    pub faults: Faults,
    pub processors: ProcessorSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            region: "us-east-1".into(),
            account: "000000000000".into(),
            faults: Faults::default(),
            processors: ProcessorSettings::default(),
        }
    }
}

/// The service as an in-process processor's callback reaches it. Held weakly: the service owns
/// its invokers, and a stopped service must not be kept alive by its processors.
struct WeakService(std::sync::Weak<Emulator>);

impl CallbackService for WeakService {
    fn callback(&self, input: serde_json::Map<String, Value>) -> CallbackFuture<'_> {
        Box::pin(async move {
            let emulator = self.0.upgrade().ok_or(Refusal::Stopped)?;
            emulator
                .call(crate::model::Service::Messaging, CALLBACK, input)
                .await
                .map(|_| ())
                .map_err(Refusal::Refused)
        })
    }
}

/// The operation whose refusals the journeys record.
const CALLBACK: &str = "ChannelFlowCallback";

/// Which journey a callback belongs to: its CallbackId, and its message when the input names it.
struct CallbackIds {
    callback_id: String,
    message_id: Option<String>,
}

impl CallbackIds {
    fn of(input: &serde_json::Map<String, Value>) -> Self {
        let text = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_owned);
        Self {
            callback_id: text(input.get("CallbackId")).unwrap_or_default(),
            message_id: text(input.get("ChannelMessage").and_then(|m| m.get("MessageId"))),
        }
    }
}

/// A request's outcome before it becomes HTTP: handled now (with the token it claimed), or the
/// remembered answer of a retried request.
enum Answer {
    Handled(Result<ops::Reply, ApiError>, Option<Ticket>),
    Replayed(StatusCode, Option<Value>),
}

impl Emulator {
    pub fn new(settings: Settings) -> Result<Self, ModelError> {
        Ok(Self {
            model: Model::load()?,
            store: Store::new(&settings.region, &settings.account),
            faults: FaultState::new(settings.faults),
            processors: settings.processors,
            invoker: OnceLock::new(),
            failed: Arc::default(),
            tokens: Tokens::default(),
            stopping: tokio::sync::watch::Sender::new(false),
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Stops the service: open messaging sessions close and the server stops accepting.
    pub fn stop(&self) {
        self.stopping.send_replace(true);
    }

    /// Changes to true when chime-local stops.
    pub fn stopping(&self) -> tokio::sync::watch::Receiver<bool> {
        self.stopping.subscribe()
    }

    /// Replaces the fault rules (tests switch them on and off between calls).
    pub fn set_faults(&self, faults: Faults) -> Result<(), String> {
        self.faults.set(faults)
    }

    /// The fault rules now (with what is left of each `reject_first`).
    pub fn faults_snapshot(&self) -> Faults {
        self.faults.snapshot()
    }

    /// Connects the invokers once the endpoint is known; in-process processors sign their SDK
    /// callbacks with `credentials`.
    pub async fn connect_invokers(self: &Arc<Self>, endpoint: &str, credentials: (String, String)) {
        let processors = &self.processors;
        let queue = AsyncQueue {
            delays: processors.async_retry_delays.clone(),
            failed: Arc::clone(&self.failed),
            journal: Arc::clone(&self.store.journal),
        };
        let in_process = if processors.in_process_functions {
            let service: Arc<dyn CallbackService> = Arc::new(WeakService(Arc::downgrade(self)));
            Some(
                InProcess::connect(
                    (endpoint, &self.store.region, credentials),
                    (processors.callbacks, service),
                    chime_flow::Env::from_process(),
                    queue.clone(),
                )
                .await,
            )
        } else {
            None
        };
        let invokers = Invokers {
            in_process,
            lambda: processors
                .lambda_endpoint
                .as_deref()
                .map(|endpoint| LambdaApi::new(endpoint, queue.clone())),
        };
        let _ = self.invoker.set(Arc::new(invokers));
    }

    /// The failure queue (the on-failure destination of every processor).
    pub fn failed_events(&self) -> Arc<FailedEventQueue> {
        Arc::clone(&self.failed)
    }

    /// The processors, as a replay reaches them (`chime_flow::redrive::Reinvoke`), once connected.
    pub fn processors(&self) -> Option<Arc<Invokers>> {
        self.invoker.get().cloned()
    }

    /// Runs operation `op` on an input made by `input` (bound from a request, or given in-process):
    /// faults, validation against the model, ClientRequestToken, the handler, then the processor
    /// invocations it started; a refused ChannelFlowCallback goes into its message's journey.
    /// `caller` keys idempotency tokens (the access key id).
    pub(crate) async fn execute(
        self: &Arc<Self>,
        op: &crate::model::Operation,
        caller: &str,
        input: impl FnOnce() -> Result<serde_json::Map<String, Value>, ApiError>,
    ) -> Result<(StatusCode, Option<Value>), ApiError> {
        let name = op.name.as_str();
        let drawn = self.faults.draw(name);
        if let Some(delay) = drawn.latency {
            tokio::time::sleep(delay).await;
        }
        let input = input();
        // A callback's refusals, injected faults included, go into its message's journey.
        let callback = (name == CALLBACK)
            .then(|| input.as_ref().ok().map(CallbackIds::of))
            .flatten();
        if let Some(refusal) = drawn.injected.refusal() {
            if let Some(ids) = callback {
                self.note_callback(ids, &refusal, true);
            }
            return Err(refusal);
        }
        let answer = self.answer(op, caller, input, || drawn.duplicate());
        // An accepted callback is recorded by its handler, before what it decided.
        if let (Some(ids), Err(refusal)) = (callback, &answer) {
            self.note_callback(ids, refusal, false);
        }
        answer
    }

    /// The handler's answer to a request that drew no injected fault.
    fn answer(
        self: &Arc<Self>,
        op: &crate::model::Operation,
        caller: &str,
        input: Result<serde_json::Map<String, Value>, ApiError>,
        duplicate: impl Fn() -> bool,
    ) -> Result<(StatusCode, Option<Value>), ApiError> {
        let result = self.admit(op, caller, input);
        let status = StatusCode::from_u16(op.status).unwrap_or(StatusCode::OK);
        match result {
            Ok(Answer::Replayed(status, body)) => Ok((status, body)),
            Ok(Answer::Handled(Ok(reply), ticket)) => {
                for invocation in reply.invocations {
                    self.spawn_invocation(invocation, duplicate());
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

    /// Puts a refused callback into its message's journey.
    fn note_callback(&self, ids: CallbackIds, refusal: &ApiError, injected: bool) {
        let step = Step::Callback {
            callback_id: ids.callback_id.clone(),
            status: refusal.status.unwrap_or(refusal.code.status()).as_u16(),
            code: Some(refusal.code.name().to_owned()),
            injected,
        };
        match ids.message_id {
            Some(message_id) => self.store.journal.step(&message_id, step),
            None => self.store.journal.step_by_callback(&ids.callback_id, step),
        }
    }

    /// Validates the input, checks its ClientRequestToken and runs the handler: the handler's reply
    /// with the token it claimed, or the remembered answer of a retried request.
    fn admit(
        &self,
        op: &crate::model::Operation,
        caller: &str,
        input: Result<serde_json::Map<String, Value>, ApiError>,
    ) -> Result<Answer, ApiError> {
        let name = op.name.as_str();
        let handler = ops::handler(name).ok_or_else(|| ApiError::not_implemented(name))?;
        let input = Value::Object(input?);
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
        Ok(Answer::Handled(handler(&self.store, &Input(input)), ticket))
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
    pub(crate) fn spawn_invocation(self: &Arc<Self>, invocation: Invocation, duplicate: bool) {
        let Some(invoker) = self.invoker.get().cloned() else {
            return;
        };
        let emulator = Arc::clone(self);
        tokio::spawn(async move {
            let deliveries = if duplicate { 2 } else { 1 };
            let journal = &emulator.store.journal;
            for delivery in 1..=deliveries {
                journal.step(
                    &invocation.message_id,
                    Step::Invoked {
                        processor: invocation.processor_name.clone(),
                        callback_id: invocation.callback_id.clone(),
                        delivery,
                    },
                );
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
                    journal.step(
                        &invocation.message_id,
                        Step::InvokeFailed {
                            processor: invocation.processor_name.clone(),
                            fallback: invocation.fallback.clone(),
                            reason: error.to_string(),
                        },
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
}
