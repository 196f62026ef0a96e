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
use serde_json::Value;

use crate::callback::{CallbackError, CallbackRequest, CallbackSender, Delivered};
use crate::config::{FailurePolicy, ProcessorConfig};
use crate::decision::Decision;
use crate::event::{CallbackTarget, ProcessorEvent};
use crate::idempotency::RecentCallbacks;
use crate::metrics::EventMetrics;
use crate::stage::Decide;

mod outcome;
mod phases;
mod start;

pub use outcome::{Fallback, Handled, ProcessorError};
pub use start::{Awaiting, AwaitingStep, Builtin, BuiltinThen, OwnStage, OwnWithSdk, Start};

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
