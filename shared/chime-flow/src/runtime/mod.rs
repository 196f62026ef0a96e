//! What every processor `main` calls: typed config, tracing, one SDK client built before the loop, and
//! a handler that calls back exactly once for every usable event.
//!
//! Exactly once: if the body cannot be read, the stage errors or panics, or its result breaks the
//! service's limits, the configured failure policy decides and the callback is still made. A Lambda
//! error is returned only when no callback could be made (unusable ids, or the callback itself failed),
//! so that Lambda's asynchronous retry delivers the event again.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::FutureExt as _;
use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde::Serialize;
use serde_json::Value;

use crate::callback::{
    CallbackError, CallbackRequest, CallbackSender, Delivered, SdkCallbackSender,
};
use crate::config::{ConfigError, Env, FailurePolicy, ProcessorConfig};
use crate::decision::Decision;
use crate::event::{CallbackTarget, EventError, ProcessorEvent};
use crate::idempotency::RecentCallbacks;
use crate::metrics::EventMetrics;
use crate::mixed::{MixedPipeline, Step};
use crate::stage::{AsyncStage, Awaits, Decide, Stage};
use crate::stages::pipeline::Pipeline;
use crate::telemetry;

/// Why the runtime could not finish an event. Becomes a Lambda error with a stable `error_type`.
#[derive(Debug, thiserror::Error)]
pub enum ProcessorError {
    /// The event cannot be read enough to answer it.
    #[error("unusable event, no callback possible: {0}")]
    InvalidEvent(#[from] EventError),
    /// The callback failed for good.
    #[error(transparent)]
    Callback(#[from] CallbackError),
}

impl ProcessorError {
    /// The stable `error_type` Lambda reports (and an on-failure record carries).
    pub fn error_type(&self) -> &'static str {
        match self {
            ProcessorError::InvalidEvent(_) => "InvalidEvent",
            ProcessorError::Callback(CallbackError::Forbidden(_)) => "CallbackForbidden",
            // The message or its channel is gone: a replay can never settle it.
            ProcessorError::Callback(CallbackError::Rejected(failure))
                if failure.code.as_deref() == Some("NotFound") || failure.status == Some(404) =>
            {
                "CallbackNotFound"
            }
            ProcessorError::Callback(CallbackError::Rejected(_)) => "CallbackRejected",
            ProcessorError::Callback(CallbackError::GaveUp { .. }) => "CallbackFailed",
        }
    }
}

impl From<ProcessorError> for Diagnostic {
    fn from(error: ProcessorError) -> Self {
        Diagnostic {
            error_type: error.error_type().to_owned(),
            error_message: error.to_string(),
        }
    }
}

/// Why the failure policy decided instead of the stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fallback {
    /// The message's body could not be read.
    UnreadableBody,
    /// The stage returned an error.
    StageError,
    /// The stage panicked.
    StagePanic,
    /// An awaiting stage spent its budget and was cancelled.
    StageTimeout,
    /// The stage's result breaks the service's limits.
    OverLimits,
}

/// Serialized as its label: one name for the logs, the result and the metrics.
impl Serialize for Fallback {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.label())
    }
}

impl Fallback {
    /// The kebab-case name, as serialized and as the metrics' `Fallback` dimension.
    pub fn label(&self) -> &'static str {
        match self {
            Fallback::UnreadableBody => "unreadable-body",
            Fallback::StageError => "stage-error",
            Fallback::StagePanic => "stage-panic",
            Fallback::StageTimeout => "stage-timeout",
            Fallback::OverLimits => "over-limits",
        }
    }
}

/// The function's result (ignored by Chime, shown by `cargo lambda invoke` and the logs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Handled {
    /// The processing answered.
    pub callback_id: String,
    /// The message.
    pub message_id: String,
    /// `pass`, `update` or `deny`; absent when the event was a repeat skipped before deciding.
    pub decision: Option<&'static str>,
    /// The rule that denied it.
    pub rule_id: Option<String>,
    /// Why the failure policy decided, if it did.
    pub fallback: Option<Fallback>,
    /// `sent`, `already-handled` (the service said so) or `duplicate-skipped` (this container did it).
    pub outcome: &'static str,
    /// Callback attempts made.
    pub attempts: u32,
    /// What a redaction masked, by kind (`email` → 2); empty when nothing was.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub redacted: BTreeMap<&'static str, u64>,
}

/// A decided event: the one request to send and how it was reached.
struct Decided {
    request: CallbackRequest,
    decision: Decision,
    fallback: Option<(Fallback, String)>,
}

/// Where Embedded Metric Format lines go: stdout in Lambda (CloudWatch Logs reads them).
pub type MetricsSink = Arc<dyn Fn(&str) + Send + Sync>;

/// True until the process handles its first event: that event is a cold start.
static COLD: AtomicBool = AtomicBool::new(true);

/// A stage, a callback sender and the processor config: everything one event needs.
pub struct Processor<S, C> {
    stage: S,
    sender: C,
    config: ProcessorConfig,
    recent: RecentCallbacks,
    metrics: Option<MetricsSink>,
}

impl<S: Decide, C: CallbackSender> Processor<S, C> {
    /// A processor running `stage`, answering through `sender`.
    pub fn new(stage: S, sender: C, config: ProcessorConfig) -> Self {
        let recent = RecentCallbacks::new(config.idempotency_cache_size);
        let metrics = config
            .metrics_function
            .is_some()
            .then(|| Arc::new(|line: &str| println!("{line}")) as MetricsSink);
        Self {
            stage,
            sender,
            config,
            recent,
            metrics,
        }
    }

    /// Sends the metrics lines to `sink` instead (tests read them); on even without `EMF_METRICS`.
    pub fn with_metrics_sink(mut self, sink: MetricsSink) -> Self {
        self.metrics = Some(sink);
        self
    }

    /// Its callback sender.
    pub fn sender(&self) -> &C {
        &self.sender
    }

    /// Handles one processor event: decide, then call back exactly once (no invocation deadline:
    /// an awaiting stage gets `STAGE_TIMEOUT_MS`).
    pub async fn handle(&self, payload: &Value) -> Result<Handled, ProcessorError> {
        self.handle_until(payload, None).await
    }

    /// Handles one processor event that must be answered by `deadline` (Lambda's, for the
    /// invocation): an awaiting stage gets the time to it less `CALLBACK_RESERVE_MS`.
    pub async fn handle_until(
        &self,
        payload: &Value,
        deadline: Option<Instant>,
    ) -> Result<Handled, ProcessorError> {
        let started = Instant::now();
        let target = CallbackTarget::from_value(payload).inspect_err(|error| {
            tracing::error!(error = %error, "unusable processor event; no callback possible");
        })?;
        let cold_start = COLD.swap(false, Ordering::Relaxed);
        if self.recent.contains(&target.callback_id) {
            tracing::info!(callback_id = %target.callback_id, message_id = %target.message_id, outcome = "duplicate-skipped", "repeat delivery; already called back");
            self.emit_metrics(|m| {
                m.decision = "none".into();
                m.callback_outcome = "duplicate-skipped".into();
                m.cold_start = cold_start;
            });
            return Ok(Handled {
                callback_id: target.callback_id,
                message_id: target.message_id,
                decision: None,
                rule_id: None,
                fallback: None,
                outcome: "duplicate-skipped",
                attempts: 0,
                redacted: BTreeMap::new(),
            });
        }
        let decided = self.decide(payload, &target, deadline).await;
        let decide_time = started.elapsed();
        let sent_at = Instant::now();
        let delivered = self.sender.send(&decided.request).await;
        let callback_time = sent_at.elapsed();
        self.log_outcome(&target, &decided, &delivered, decide_time, callback_time);
        self.emit_metrics(|m| {
            m.decision = decided.decision.label().into();
            m.rule_category = EventMetrics::category_of(decided.decision.rule_id());
            m.fallback = decided
                .fallback
                .as_ref()
                .map_or("none".into(), |(kind, _)| kind.label().into());
            m.callback_outcome = delivered.as_ref().map_or("failed", Delivered::label).into();
            m.callback_attempts = delivered.as_ref().map_or(0, Delivered::attempts);
            if let Decision::Update(edits) = &decided.decision {
                m.redactions = edits
                    .redacted
                    .iter()
                    .map(|(kind, count)| ((*kind).to_owned(), *count))
                    .collect();
            }
            m.decide_us = decide_time.as_micros() as u64;
            m.callback_ms = callback_time.as_millis() as u64;
            m.cold_start = cold_start;
        });
        let delivered = delivered?;
        self.recent.remember(&target.callback_id);
        let redacted = match &decided.decision {
            Decision::Update(edits) => edits.redacted.clone(),
            _ => BTreeMap::new(),
        };
        Ok(Handled {
            callback_id: target.callback_id,
            message_id: target.message_id,
            decision: Some(decided.decision.label()),
            rule_id: decided.decision.rule_id().map(str::to_owned),
            fallback: decided.fallback.map(|(kind, _)| kind),
            outcome: delivered.label(),
            attempts: delivered.attempts(),
            redacted,
        })
    }

    /// One Embedded Metric Format line for this event, when metrics are on.
    fn emit_metrics(&self, fill: impl FnOnce(&mut EventMetrics)) {
        let Some(sink) = &self.metrics else {
            return;
        };
        let mut metrics = EventMetrics {
            function: self
                .config
                .metrics_function
                .clone()
                .unwrap_or_else(|| self.stage.name().to_owned()),
            rule_category: "none".into(),
            fallback: "none".into(),
            ..EventMetrics::default()
        };
        fill(&mut metrics);
        sink(&metrics.line());
    }

    /// The time an awaiting stage may take: to the deadline less the callback's reserve, at most
    /// the stage timeout.
    pub fn stage_budget(&self, deadline: Option<Instant>) -> Duration {
        let cap = self.config.stage_timeout;
        match deadline {
            None => cap,
            Some(deadline) => deadline
                .saturating_duration_since(Instant::now())
                .saturating_sub(self.config.callback_reserve)
                .min(cap),
        }
    }

    async fn decide(
        &self,
        payload: &Value,
        target: &CallbackTarget,
        deadline: Option<Instant>,
    ) -> Decided {
        let event = match ProcessorEvent::from_value(payload) {
            Ok(event) => event,
            Err(error) => {
                return self.fallback(target, None, Fallback::UnreadableBody, error.to_string());
            }
        };
        let message = &event.channel_message;
        // A synchronous stage answers here, with no future and no timer.
        let outcome = match catch_unwind(AssertUnwindSafe(|| self.stage.decide_now(message))) {
            Ok(Some(outcome)) => Ok(outcome),
            Err(_) => Err(Fallback::StagePanic),
            Ok(None) => {
                let budget = self.stage_budget(deadline);
                let running = AssertUnwindSafe(self.stage.decide_later(message, budget));
                match tokio::time::timeout(budget, running.catch_unwind()).await {
                    Ok(Ok(outcome)) => Ok(outcome),
                    Ok(Err(_)) => Err(Fallback::StagePanic),
                    Err(_) => Err(Fallback::StageTimeout),
                }
            }
        };
        let decision = match outcome {
            Ok(Ok(decision)) => decision,
            Ok(Err(error)) => {
                return self.fallback(
                    target,
                    Some(&event),
                    Fallback::StageError,
                    error.to_string(),
                );
            }
            Err(kind) => {
                let why = match kind {
                    Fallback::StageTimeout => "stage cancelled: its budget was spent",
                    _ => "stage panicked",
                };
                return self.fallback(target, Some(&event), kind, why.to_owned());
            }
        };
        match CallbackRequest::for_decision(&event.channel_message, &event.callback_id, &decision) {
            Ok(request) => Decided {
                request,
                decision,
                fallback: None,
            },
            Err(limit) => self.fallback(
                target,
                Some(&event),
                Fallback::OverLimits,
                limit.to_string(),
            ),
        }
    }

    /// The failure policy's callback. A pass sends the original message when it could be read, else
    /// only the ids.
    fn fallback(
        &self,
        target: &CallbackTarget,
        event: Option<&ProcessorEvent>,
        kind: Fallback,
        why: String,
    ) -> Decided {
        let (request, decision) = match self.config.failure_policy {
            FailurePolicy::Deny => (
                CallbackRequest::deny(target),
                Decision::deny("failure-policy"),
            ),
            FailurePolicy::Pass => {
                let original = event.and_then(|e| {
                    CallbackRequest::for_decision(
                        &e.channel_message,
                        &e.callback_id,
                        &Decision::Pass,
                    )
                    .ok()
                });
                (
                    original.unwrap_or_else(|| CallbackRequest::pass_unread(target)),
                    Decision::Pass,
                )
            }
        };
        Decided {
            request,
            decision,
            fallback: Some((kind, why)),
        }
    }

    fn log_outcome(
        &self,
        target: &CallbackTarget,
        decided: &Decided,
        delivered: &Result<Delivered, CallbackError>,
        decide_time: Duration,
        callback_time: Duration,
    ) {
        let (fallback, reason) = match &decided.fallback {
            Some((kind, why)) => (Some(kind), Some(why.as_str())),
            None => (None, None),
        };
        let fields = (
            target.callback_id.as_str(),
            target.message_id.as_str(),
            target.channel_arn.as_str(),
            target.sub_channel_id.as_deref(),
        );
        match delivered {
            Ok(delivered) => tracing::info!(
                callback_id = fields.0, message_id = fields.1, channel_arn = fields.2, sub_channel_id = fields.3,
                stage = self.stage.name(), decision = decided.decision.label(), rule_id = decided.decision.rule_id(),
                fallback = ?fallback, fallback_reason = reason, policy = self.config.failure_policy.label(),
                decide_us = decide_time.as_micros() as u64, callback_ms = callback_time.as_millis() as u64,
                attempts = delivered.attempts(), outcome = delivered.label(), "message processed"
            ),
            Err(error) => tracing::error!(
                callback_id = fields.0, message_id = fields.1, channel_arn = fields.2, sub_channel_id = fields.3,
                stage = self.stage.name(), decision = decided.decision.label(), rule_id = decided.decision.rule_id(),
                fallback = ?fallback, fallback_reason = reason,
                callback_ms = callback_time.as_millis() as u64, error = %error, "callback failed; returning an error so Lambda retries"
            ),
        }
    }
}

/// The time left until Lambda's deadline (`Context::deadline`, epoch milliseconds); zero once past.
pub fn time_left(deadline_ms: u64) -> Duration {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Duration::from_millis(deadline_ms).saturating_sub(now)
}

/// Lambda's deadline as an instant of this process's clock (`None` when a local runtime gives
/// none, as 0); one already past is now.
pub fn deadline_instant(deadline_ms: u64) -> Option<Instant> {
    (deadline_ms != 0).then(|| Instant::now() + time_left(deadline_ms))
}

/// The whole `main` of a built-in processor: its catalog entry's stage and default failure policy,
/// then [`run`] (`run_entry(&catalog::MODERATION_DENY)`).
pub async fn run_entry(entry: &crate::stages::catalog::Entry) -> Result<(), lambda_runtime::Error> {
    run(entry.policy, entry.build).await
}

/// The same by function name (tools that pick a processor at run time; links every stage).
pub async fn run_function(function: &str) -> Result<(), lambda_runtime::Error> {
    let entry = crate::stages::catalog::by_function(function).ok_or_else(|| {
        format!(
            "no built-in processor {function:?}: the catalog has {}",
            crate::stages::catalog::functions()
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    run_entry(entry).await
}

/// Builds everything before the runtime loop and serves events until the Lambda environment stops.
/// `build` turns the environment into the function's stage (matchers compiled once, here); it runs on
/// a thread of its own while the SDK configuration loads, so that the two phases overlap.
pub async fn run<S, F>(default_policy: FailurePolicy, build: F) -> Result<(), lambda_runtime::Error>
where
    S: Decide + 'static,
    F: FnOnce(&Env) -> Result<S, ConfigError> + Send + 'static,
{
    start(default_policy, build, |_, _, stage| Ok(stage)).await
}

/// Set when the first event has been answered: held-back background work may go from then on.
static FIRST_ANSWER: std::sync::Once = std::sync::Once::new();

/// Where a processor's start-up goes, logged once as `processor ready`: configuration (tracing,
/// environment), the SDK configuration (region, credentials), the stages (matchers, detectors) and
/// the callback client, each in microseconds, with the wall-clock moments `main` began and the
/// processor was ready — so that, beside the exec and first-poll times a harness sees from outside,
/// the process start and the first poll are phases too (`chime-local run-bootstrap` tabulates them).
#[derive(Debug)]
struct StartupPhases {
    main_at_unix_us: u64,
    started: Instant,
    last: Instant,
    config: Duration,
    sdk_config: Duration,
    /// The stage build's own time, on its thread beside the SDK configuration.
    stages: Duration,
    /// What `main` waited for the stages once the SDK configuration was there (and any step that
    /// needs both): the stages' share of the critical path.
    stage_wait: Duration,
    client: Duration,
}

impl StartupPhases {
    fn begin() -> Self {
        let now = Instant::now();
        Self {
            main_at_unix_us: unix_micros(),
            started: now,
            last: now,
            config: Duration::ZERO,
            sdk_config: Duration::ZERO,
            stages: Duration::ZERO,
            stage_wait: Duration::ZERO,
            client: Duration::ZERO,
        }
    }

    /// The time since the last lap.
    fn lap(&mut self) -> Duration {
        let now = Instant::now();
        let lap = now - self.last;
        self.last = now;
        lap
    }

    fn log(&self, stage: &str, policy: &str) {
        let us = |d: Duration| d.as_micros() as u64;
        tracing::info!(
            stage,
            policy,
            config_us = us(self.config),
            sdk_config_us = us(self.sdk_config),
            stage_build_us = us(self.stages),
            stage_wait_us = us(self.stage_wait),
            client_us = us(self.client),
            init_ms = self.started.elapsed().as_millis() as u64,
            main_at_unix_us = self.main_at_unix_us,
            ready_at_unix_us = unix_micros(),
            "processor ready"
        );
    }
}

/// Now, in microseconds since the epoch (0 if the clock is before it).
fn unix_micros() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// An awaiting stage with its failure policy, or `None` when the configuration leaves it off.
pub type Awaiting = Option<(Box<dyn AsyncStage>, FailurePolicy)>;

/// An awaiting step a processor adds after its own stages when the environment asks for it (an
/// AWS service's check, say), built with the function's one SDK configuration.
pub type AwaitingStep = fn(&Env, &aws_config::SdkConfig) -> Result<Awaiting, ConfigError>;

/// A built-in processor with an awaiting step after its stages when `then` turns one on; as
/// [`run_entry`] when it does not (the synchronous path, unchanged). A pipeline's stages and the
/// step form one flat [`MixedPipeline`], each under its own failure policy.
pub async fn run_entry_then(
    entry: &'static crate::stages::catalog::Entry,
    then: AwaitingStep,
) -> Result<(), lambda_runtime::Error> {
    // The stages are built beside the SDK configuration (a pipeline step by step, so that an
    // awaiting step can join them); the step, which needs that configuration, comes after.
    let build = move |env: &Env| match entry.steps {
        Some(steps) => steps(env).map(Built::Steps),
        None => (entry.build)(env).map(Built::Single),
    };
    start(entry.policy, build, move |env, sdk, built| {
        let awaiting = then(env, sdk)?;
        let (steps, (awaiting, policy)) = match (built, awaiting) {
            (Built::Single(stage), None) => return Ok(Box::new(stage) as Box<dyn Decide>),
            (Built::Steps(steps), None) => {
                return Ok(Box::new(Pipeline::new(steps)) as Box<dyn Decide>);
            }
            (Built::Single(stage), Some(awaiting)) => (vec![(stage, entry.policy)], awaiting),
            (Built::Steps(steps), Some(awaiting)) => (steps, awaiting),
        };
        let steps = steps
            .into_iter()
            .map(|(stage, policy)| (Step::Now(stage), policy));
        let pipeline = MixedPipeline::new(steps.collect()).then_awaiting(awaiting, policy);
        Ok(Box::new(Awaits(pipeline)) as Box<dyn Decide>)
    })
    .await
}

/// A catalog entry's stages as built at start: one stage, or a pipeline's steps.
enum Built {
    Single(Box<dyn Stage>),
    Steps(Vec<(Box<dyn Stage>, FailurePolicy)>),
}

/// As [`run`], for a stage that needs the function's AWS configuration (an SDK client of its own):
/// `build` gets the one `SdkConfig` the callback sender uses too, so it runs once that is loaded.
pub async fn run_with_sdk<S, F>(
    default_policy: FailurePolicy,
    build: F,
) -> Result<(), lambda_runtime::Error>
where
    S: Decide + 'static,
    F: FnOnce(&Env, &aws_config::SdkConfig) -> Result<S, ConfigError>,
{
    start(default_policy, |_| Ok(()), |env, sdk, ()| build(env, sdk)).await
}

/// The one start-up path: configuration; then `build` on a blocking thread while the SDK
/// configuration loads (on Lambda's vCPUs the matchers compile while the credentials and TLS roots
/// are read); `finish` with both; the callback client; then the runtime loop.
async fn start<B, S, T, D>(
    default_policy: FailurePolicy,
    build: B,
    finish: T,
) -> Result<(), lambda_runtime::Error>
where
    B: FnOnce(&Env) -> Result<S, ConfigError> + Send + 'static,
    S: Send + 'static,
    T: FnOnce(&Env, &aws_config::SdkConfig, S) -> Result<D, ConfigError>,
    D: Decide + 'static,
{
    let mut phases = StartupPhases::begin();
    telemetry::start();
    let env = Env::from_process();
    let config = ProcessorConfig::from_env(&env, default_policy)
        .inspect_err(telemetry::log_startup_error)?;
    let roots = crate::sdk::TlsRoots::from_env(&env).inspect_err(telemetry::log_startup_error)?;
    phases.config = phases.lap();
    // Work no event waits for (the lists' DFA) waits until the first event is answered.
    crate::background::hold();
    let building = {
        let env = env.clone();
        tokio::task::spawn_blocking(move || {
            let began = Instant::now();
            build(&env).map(|built| (built, began.elapsed()))
        })
    };
    let sdk_config = crate::sdk::load(roots)
        .await
        .inspect_err(telemetry::log_startup_error)?;
    phases.sdk_config = phases.lap();
    let (built, stage_time) = building
        .await
        .map_err(|joined| {
            ConfigError::new(
                "stages",
                format!("the stage build did not finish: {joined}"),
            )
        })
        .and_then(|built| built)
        .inspect_err(telemetry::log_startup_error)?;
    let stage = finish(&env, &sdk_config, built).inspect_err(telemetry::log_startup_error)?;
    phases.stages = stage_time;
    phases.stage_wait = phases.lap();
    let sender = SdkCallbackSender::new(&sdk_config, config.retry, config.attempt_timeout);
    phases.client = phases.lap();
    phases.log(stage.name(), config.failure_policy.label());
    let processor = Arc::new(Processor::new(stage, sender, config));
    Box::pin(lambda_runtime::run(service_fn(
        move |event: LambdaEvent<Value>| {
            let processor = Arc::clone(&processor);
            let deadline = deadline_instant(event.context.deadline);
            async move {
                let handled = processor.handle_until(&event.payload, deadline).await;
                // Once, after the first answer: later events pay one atomic load, not a mutex.
                FIRST_ANSWER.call_once(crate::background::release);
                handled
            }
        },
    )))
    .await
}
