//! Replaying failed events. When every delivery of a processor event fails, Lambda sends an
//! *invocation record* to the function's on-failure destination (an SQS queue in our stack; a local
//! queue in chime-local): the original event, the function and the error. Once the cause is fixed,
//! [`redrive`] takes records from the queue, runs each original event through its processor again
//! (the same `CallbackId`: the message is still PENDING), and reports per message — settled,
//! already settled, refused by Chime (and why), or still failing (left on the queue).
//!
//! Idempotent: a message settled in the meantime answers its callback as a repeat, which the
//! processor reports as `already-handled`; it is reported so and never changed twice. The queue
//! and the processor are ports (`FailedEvents`, `Reinvoke`): SQS and the Lambda Invoke API in AWS,
//! chime-local's own queue and in-process processors locally.

use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Lambda's invocation record for an asynchronous invocation that failed
/// (`condition`: `RetriesExhausted` or `EventAgeExceeded`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvocationRecord {
    /// The record format's version.
    #[serde(default)]
    pub version: Option<String>,
    /// When the invocation failed (ISO 8601).
    #[serde(default)]
    pub timestamp: Option<String>,
    /// The request: its id, the function and why it failed.
    pub request_context: RecordContext,
    /// The original event.
    pub request_payload: Value,
    /// The function's answer, when it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_context: Option<Value>,
    /// The last error (`errorType`, `errorMessage`), when the function returned one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_payload: Option<Value>,
}

/// An invocation record's `requestContext`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordContext {
    /// The failed request's id.
    #[serde(default)]
    pub request_id: Option<String>,
    /// The function (with its qualifier, `…:function:NAME:$LATEST`).
    pub function_arn: String,
    /// Why it failed: `RetriesExhausted`, `EventAgeExceeded`…
    #[serde(default)]
    pub condition: Option<String>,
    /// How often Lambda invoked it.
    #[serde(default)]
    pub approximate_invoke_count: Option<u32>,
}

impl InvocationRecord {
    /// The record of an event whose every delivery failed, as Lambda writes it.
    pub fn retries_exhausted(
        function_arn: &str,
        event: Value,
        deliveries: u32,
        error_type: &str,
        error_message: &str,
        timestamp: String,
    ) -> Self {
        Self {
            version: Some("1.0".into()),
            timestamp: Some(timestamp),
            request_context: RecordContext {
                request_id: None,
                function_arn: function_arn.to_owned(),
                condition: Some("RetriesExhausted".into()),
                approximate_invoke_count: Some(deliveries),
            },
            request_payload: event,
            response_context: Some(serde_json::json!({
                "statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"})),
            response_payload: Some(
                serde_json::json!({"errorType": error_type, "errorMessage": error_message}),
            ),
        }
    }

    /// The function to run the event through again: the ARN without its version qualifier.
    pub fn function(&self) -> &str {
        let arn = self.request_context.function_arn.as_str();
        match arn.match_indices(':').nth(6) {
            Some((at, _)) => &arn[..at],
            None => arn,
        }
    }

    /// The event's ids, for the report (never its content).
    fn ids(&self) -> (String, String, String) {
        let text = |pointer: &str| {
            self.request_payload
                .pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        (
            text("/ChannelMessage/ChannelArn"),
            text("/ChannelMessage/MessageId"),
            text("/CallbackId"),
        )
    }
}

/// One record taken from the queue: a handle to delete or release it by, and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The handle to delete or release it with.
    pub handle: String,
    /// The record, as text.
    pub body: String,
}

/// Why the queue or the processor could not be reached at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PortError(pub String);

/// What a port answers with.
pub type PortFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, PortError>> + Send + 'a>>;

/// The failure queue: records are taken (invisible to other takers until released), then deleted
/// when done with or released to stay.
pub trait FailedEvents: Send + Sync {
    /// Takes up to `max` records off the queue (hidden from others until deleted or released).
    fn receive(&self, max: usize) -> PortFuture<'_, Vec<Received>>;
    /// Deletes a record for good.
    fn delete(&self, handle: &str) -> PortFuture<'_, ()>;
    /// Puts a record back on the queue.
    fn release(&self, handle: &str) -> PortFuture<'_, ()>;
}

/// The records of a [`MemoryFailedEvents`]: the last id given, and by id each body and since when a
/// replay has it taken (if one does).
#[derive(Debug, Default)]
struct Records {
    last_id: u64,
    by_id: std::collections::BTreeMap<u64, (String, Option<std::time::Instant>)>,
}

/// A failure queue in memory: records by id (oldest first), each either waiting or taken by a
/// replay. As on SQS, a taken record that is neither deleted nor released (its replay was aborted)
/// is visible again once the visibility timeout has passed. chime-local's failure queue and the
/// tests run on it.
#[derive(Debug)]
pub struct MemoryFailedEvents {
    records: std::sync::Mutex<Records>,
    visibility: std::time::Duration,
}

impl Default for MemoryFailedEvents {
    fn default() -> Self {
        Self::with_visibility(DEFAULT_VISIBILITY)
    }
}

/// How long a taken record stays hidden when its replay neither deletes nor releases it (SQS's
/// default visibility timeout).
pub const DEFAULT_VISIBILITY: std::time::Duration = std::time::Duration::from_secs(30);

impl MemoryFailedEvents {
    /// A queue whose taken records come back after `visibility`.
    pub fn with_visibility(visibility: std::time::Duration) -> Self {
        Self {
            records: std::sync::Mutex::default(),
            visibility,
        }
    }

    fn records(&self) -> std::sync::MutexGuard<'_, Records> {
        self.records.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps a record's body; its id.
    pub fn push(&self, body: String) -> u64 {
        let mut records = self.records();
        records.last_id += 1;
        let id = records.last_id;
        records.by_id.insert(id, (body, None));
        id
    }

    /// Drops the oldest record; its id.
    pub fn pop_oldest(&self) -> Option<u64> {
        self.records().by_id.pop_first().map(|(id, _)| id)
    }

    /// Every record's id and body, oldest first.
    pub fn list(&self) -> Vec<(u64, String)> {
        self.records()
            .by_id
            .iter()
            .map(|(id, (body, _))| (*id, body.clone()))
            .collect()
    }

    /// Records on the queue.
    pub fn len(&self) -> usize {
        self.records().by_id.len()
    }

    /// No records on the queue.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl FailedEvents for MemoryFailedEvents {
    fn receive(&self, max: usize) -> PortFuture<'_, Vec<Received>> {
        let now = std::time::Instant::now();
        let visibility = self.visibility;
        let mut records = self.records();
        let taken: Vec<Received> = records
            .by_id
            .iter_mut()
            .filter(|(_, (_, taken))| taken.is_none_or(|at| now.duration_since(at) >= visibility))
            .take(max)
            .map(|(id, (body, taken))| {
                *taken = Some(now);
                Received {
                    handle: id.to_string(),
                    body: body.clone(),
                }
            })
            .collect();
        Box::pin(async move { Ok(taken) })
    }

    fn delete(&self, handle: &str) -> PortFuture<'_, ()> {
        if let Ok(id) = handle.parse::<u64>() {
            self.records().by_id.remove(&id);
        }
        Box::pin(async { Ok(()) })
    }

    fn release(&self, handle: &str) -> PortFuture<'_, ()> {
        if let Ok(id) = handle.parse::<u64>()
            && let Some(entry) = self.records().by_id.get_mut(&id)
        {
            entry.1 = None;
        }
        Box::pin(async { Ok(()) })
    }
}

/// A function's error, as the Invoke API reports it (`errorType`, `errorMessage`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionError {
    /// The error type the function reported.
    pub error_type: String,
    /// Its message.
    pub message: String,
}

/// What [`Reinvoke::invoke`] answers with.
pub type InvokeFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Result<Value, FunctionError>, PortError>> + Send + 'a>>;

/// Runs an event through a processor and waits for its answer: the processor's result (the
/// runtime's `Handled`) or its error.
pub trait Reinvoke: Send + Sync {
    /// Invokes `function` with `event` and waits for its answer.
    fn invoke<'a>(&'a self, function: &'a str, event: &'a Value) -> InvokeFuture<'a>;
}

/// What a replay asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct RedriveRequest {
    /// At most this many records (1–1,000; default 100).
    #[serde(default = "default_limit")]
    pub limit: usize,
    /// Report what would be replayed; change nothing.
    #[serde(default)]
    pub dry_run: bool,
}

fn default_limit() -> usize {
    100
}

impl Default for RedriveRequest {
    fn default() -> Self {
        Self {
            limit: default_limit(),
            dry_run: false,
        }
    }
}

impl RedriveRequest {
    /// Checks the request, naming the field at fault.
    pub fn check(&self) -> Result<(), String> {
        if !(1..=1000).contains(&self.limit) {
            return Err(format!("Limit: {} is out of range 1–1000", self.limit));
        }
        Ok(())
    }
}

/// What became of one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "Result")]
pub enum Verdict {
    /// The processor ran and its callback was accepted: the message left PENDING.
    Settled {
        /// The decision made (`pass`, `update`, `deny`).
        decision: String,
    },
    /// The message had been settled already (the callback answered as a repeat).
    AlreadySettled,
    /// Chime's refusal proves the message can never settle (the 48 hours passed, the message or
    /// its channel is gone): the record is removed.
    Refused {
        /// Chime's reason.
        reason: String,
    },
    /// The processor failed again, or Chime refused it for a reason that may pass (a role missing
    /// `chime:ChannelFlowCallback`, a request the processor may send right once fixed): the record
    /// stays on the queue.
    StillFailing {
        /// The failure, and why the record is kept.
        error: String,
    },
    /// The record names a function this replay may not invoke: it stays on the queue.
    NotReplayable {
        /// The function, and which ones may be invoked.
        reason: String,
    },
    /// The record is not an invocation record: it stays on the queue for a person to look at.
    Unreadable {
        /// What is wrong with it.
        problem: String,
    },
    /// A dry run: this record would be replayed.
    WouldReplay,
}

/// One record's line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Redriven {
    /// The channel.
    pub channel_arn: String,
    /// The message.
    pub message_id: String,
    /// The CallbackId of the failed processing.
    pub callback_id: String,
    /// The processor function.
    pub function: String,
    /// What became of it.
    #[serde(flatten)]
    pub verdict: Verdict,
}

/// The replay's report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Report {
    /// Records looked at.
    pub examined: usize,
    /// Records that settled now.
    pub settled: usize,
    /// Records settled before.
    pub already_settled: usize,
    /// Records Chime refused.
    pub refused: usize,
    /// Records that failed again.
    pub still_failing: usize,
    /// Whether this was a dry run (nothing invoked, nothing deleted).
    pub dry_run: bool,
    /// Why the run stopped before its limit (the function's deadline was near, the queue could not
    /// be read): the records it did not reach stay on the queue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// Each record.
    pub records: Vec<Redriven>,
}

/// What bounds a replay beyond its request.
#[derive(Debug, Clone, Default)]
pub struct ReplayLimits {
    /// Stop taking records once this moment is near (a Lambda's deadline less a margin).
    pub deadline: Option<std::time::Instant>,
    /// The functions records may name (names or ARNs); empty: any.
    pub functions: Vec<String>,
    /// The present, for the 48-hour window (`None`: the system clock).
    pub now: Option<std::time::SystemTime>,
}

impl ReplayLimits {
    fn may_invoke(&self, function: &str) -> bool {
        self.functions.is_empty()
            || self.functions.iter().any(|allowed| {
                allowed == function
                    || function
                        .rsplit_once(":function:")
                        .is_some_and(|(_, name)| name == allowed)
            })
    }

    fn now_seconds(&self) -> f64 {
        self.now
            .unwrap_or_else(std::time::SystemTime::now)
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64())
    }
}

/// Chime's processing window: a callback for a message pending longer is refused for good.
pub const CALLBACK_WINDOW_SECONDS: f64 = 48.0 * 3600.0;

/// Replays up to `request.limit` records: see the module's documentation. Every record it looks at
/// gets a verdict and the report always comes back: a record that cannot be invoked or deleted is
/// reported as such, a queue that cannot be read stops the run with the reason in
/// [`Report::stopped`]. Records it took and did not settle are released at the end (so one replay
/// never takes the same record twice), the unreached ones with them.
pub async fn redrive(
    queue: &dyn FailedEvents,
    processors: &dyn Reinvoke,
    request: RedriveRequest,
    limits: &ReplayLimits,
) -> Report {
    let mut report = Report {
        dry_run: request.dry_run,
        ..Report::default()
    };
    let mut keep = Vec::new();
    replay(queue, processors, request, limits, &mut report, &mut keep).await;
    for handle in keep {
        if let Err(e) = queue.release(&handle).await {
            // Not released: the queue's visibility timeout brings it back.
            tracing::warn!(error = %e, "failed event not released; it returns after the visibility timeout");
        }
    }
    report
}

async fn replay(
    queue: &dyn FailedEvents,
    processors: &dyn Reinvoke,
    request: RedriveRequest,
    limits: &ReplayLimits,
    report: &mut Report,
    keep: &mut Vec<String>,
) {
    let near = |limits: &ReplayLimits| {
        limits
            .deadline
            .is_some_and(|deadline| std::time::Instant::now() >= deadline)
    };
    while report.examined < request.limit {
        if near(limits) {
            report.stopped = Some(deadline_near(report.examined, request.limit));
            return;
        }
        let batch = match queue
            .receive((request.limit - report.examined).min(10))
            .await
        {
            Ok(batch) => batch,
            Err(e) => {
                report.stopped = Some(format!("the failure queue could not be read: {e}"));
                return;
            }
        };
        if batch.is_empty() {
            return;
        }
        let mut batch = batch.into_iter();
        while let Some(received) = batch.next() {
            if near(limits) {
                // Taken but not reached: released with the kept ones.
                keep.push(received.handle);
                keep.extend(batch.by_ref().map(|r| r.handle));
                report.stopped = Some(deadline_near(report.examined, request.limit));
                return;
            }
            report.examined += 1;
            let line = one(queue, processors, request, limits, received, keep).await;
            match &line.verdict {
                Verdict::Settled { .. } => report.settled += 1,
                Verdict::AlreadySettled => report.already_settled += 1,
                Verdict::Refused { .. } => report.refused += 1,
                Verdict::StillFailing { .. }
                | Verdict::Unreadable { .. }
                | Verdict::NotReplayable { .. } => report.still_failing += 1,
                Verdict::WouldReplay => {}
            }
            tracing::info!(channel_arn = %line.channel_arn, message_id = %line.message_id,
                callback_id = %line.callback_id, function = %line.function, verdict = ?line.verdict,
                "failed event redriven");
            report.records.push(line);
        }
    }
}

fn deadline_near(examined: usize, limit: usize) -> String {
    format!(
        "the function's deadline was near after {examined} of at most {limit} records; the rest stay on the queue"
    )
}

/// One record's replay and verdict; its handle goes to `keep` unless the record is done with.
async fn one(
    queue: &dyn FailedEvents,
    processors: &dyn Reinvoke,
    request: RedriveRequest,
    limits: &ReplayLimits,
    received: Received,
    keep: &mut Vec<String>,
) -> Redriven {
    let record = match serde_json::from_str::<InvocationRecord>(&received.body) {
        Ok(record) => record,
        Err(e) => {
            keep.push(received.handle);
            return Redriven {
                channel_arn: String::new(),
                message_id: String::new(),
                callback_id: String::new(),
                function: String::new(),
                verdict: Verdict::Unreadable {
                    problem: format!("not a Lambda invocation record: {e}"),
                },
            };
        }
    };
    let (channel_arn, message_id, callback_id) = record.ids();
    let function = record.function().to_owned();
    let verdict = if !limits.may_invoke(&function) {
        Verdict::NotReplayable {
            reason: format!(
                "{function} is not among the functions replay may invoke ({})",
                limits.functions.join(", ")
            ),
        }
    } else if request.dry_run {
        Verdict::WouldReplay
    } else {
        match processors.invoke(&function, &record.request_payload).await {
            Ok(answer) => judge(answer, &record, limits),
            Err(e) => Verdict::StillFailing {
                error: format!("{function} could not be invoked: {e}"),
            },
        }
    };
    let done = matches!(
        verdict,
        Verdict::Settled { .. } | Verdict::AlreadySettled | Verdict::Refused { .. }
    );
    if !done {
        keep.push(received.handle);
    } else if let Err(e) = queue.delete(&received.handle).await {
        // Settled but still on the queue: the next replay finds it settled already.
        tracing::warn!(error = %e, "failed event settled but not deleted");
    }
    Redriven {
        channel_arn,
        message_id,
        callback_id,
        function,
        verdict,
    }
}

/// The verdict from the processor's answer: its `Handled` result, or its error. A record is removed
/// only when Chime's refusal proves the message can never settle: the message or channel is gone
/// (`CallbackNotFound`), or the callback was `Forbidden` after the 48-hour window, as the record's
/// own times show. A `Forbidden` inside the window is what a role without
/// `chime:ChannelFlowCallback` gets, and any other refusal may pass once the processor is fixed:
/// those are kept.
fn judge(
    answer: Result<Value, FunctionError>,
    record: &InvocationRecord,
    limits: &ReplayLimits,
) -> Verdict {
    match answer {
        Ok(handled) => match handled.get("outcome").and_then(Value::as_str) {
            Some("sent") => Verdict::Settled {
                decision: handled
                    .get("decision")
                    .and_then(Value::as_str)
                    .unwrap_or("pass")
                    .to_owned(),
            },
            Some("already-handled" | "duplicate-skipped") => Verdict::AlreadySettled,
            _ => Verdict::StillFailing {
                error: "the processor answered without saying what it did".into(),
            },
        },
        Err(error) if error.error_type == "CallbackNotFound" => Verdict::Refused {
            reason: format!("the message or its channel is gone: {}", error.message),
        },
        Err(error) if error.error_type == "CallbackForbidden" => match record
            .pending_since()
            .map(|since| limits.now_seconds() - since)
        {
            Some(pending) if pending > CALLBACK_WINDOW_SECONDS => Verdict::Refused {
                reason: format!(
                    "Forbidden after Chime's 48-hour window (pending for {:.0} h): {}",
                    pending / 3600.0,
                    error.message
                ),
            },
            _ => Verdict::StillFailing {
                error: format!(
                    "Forbidden inside the 48-hour window, kept: the processor's role may lack \
                         chime:ChannelFlowCallback on the channel ({})",
                    error.message
                ),
            },
        },
        Err(error) => Verdict::StillFailing {
            error: format!("{}: {}, kept", error.error_type, error.message),
        },
    }
}

impl InvocationRecord {
    /// When the message started waiting for this callback, in epoch seconds: its last edit or its
    /// creation (the event's times), else when the invocation failed (later than that, so a window
    /// judged from it has certainly passed).
    fn pending_since(&self) -> Option<f64> {
        let message = self.request_payload.get("ChannelMessage");
        ["LastEditedTimestamp", "CreatedTimestamp"]
            .iter()
            .filter_map(|key| message.and_then(|m| m.get(*key)))
            .find_map(|value| chime_flow_core::event::Timestamp::from_json(value).ok())
            .map(|t| t.as_epoch_seconds())
            .or_else(|| {
                self.timestamp
                    .as_ref()
                    .and_then(|t| {
                        chime_flow_core::event::Timestamp::from_json(&Value::String(t.clone())).ok()
                    })
                    .map(|t| t.as_epoch_seconds())
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Processors that answer by the message id: `sent`, `again` (a repeat), `gone` (refused),
    /// anything else fails.
    struct Processors;

    impl Reinvoke for Processors {
        fn invoke<'a>(&'a self, _function: &'a str, event: &'a Value) -> InvokeFuture<'a> {
            let id = event["ChannelMessage"]["MessageId"]
                .as_str()
                .unwrap_or_default();
            let answer = match id {
                "sent" => Ok(serde_json::json!({"outcome": "sent", "decision": "deny"})),
                "again" => Ok(serde_json::json!({"outcome": "already-handled"})),
                "gone" => Err(FunctionError {
                    error_type: "CallbackForbidden".into(),
                    message: "the 48 hours have passed".into(),
                }),
                "deleted" => Err(FunctionError {
                    error_type: "CallbackNotFound".into(),
                    message: "NotFound 404: no such message".into(),
                }),
                "unreachable" => {
                    return Box::pin(async { Err(PortError("connection refused".into())) });
                }
                _ => Err(FunctionError {
                    error_type: "CallbackFailed".into(),
                    message: "throttled".into(),
                }),
            };
            Box::pin(async move { Ok(answer) })
        }
    }

    fn record(message: &str) -> String {
        let event = serde_json::json!({"CallbackId": format!("{message:0>32}"),
            "ChannelMessage": {"MessageId": message, "ChannelArn": "arn:c", "Content": "secret"}});
        serde_json::to_string(&InvocationRecord::retries_exhausted(
            "arn:aws:lambda:us-east-1:1:function:flow-pipeline:$LATEST",
            event,
            3,
            "CallbackFailed",
            "throttled",
            "2026-12-02T00:00:00Z".into(),
        ))
        .unwrap_or_default()
    }

    fn queue(messages: &[&str]) -> MemoryFailedEvents {
        let queue = MemoryFailedEvents::default();
        for m in messages {
            queue.push(record(m));
        }
        queue.push("{not a record".into());
        queue
    }

    /// 72 hours after the records failed (their timestamp): the window has passed.
    fn late() -> ReplayLimits {
        ReplayLimits {
            now: Some(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_796_428_800)),
            ..ReplayLimits::default()
        }
    }

    fn run<T>(future: impl Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
            .block_on(future)
    }

    #[test]
    fn each_record_is_reported_and_only_the_failing_stay() {
        let queue = queue(&["sent", "again", "gone", "stuck"]);
        let report = run(redrive(
            &queue,
            &Processors,
            RedriveRequest::default(),
            &late(),
        ));
        assert_eq!(
            (
                report.examined,
                report.settled,
                report.already_settled,
                report.refused,
                report.still_failing
            ),
            (5, 1, 1, 1, 2)
        );
        assert_eq!(
            report.records[0].function,
            "arn:aws:lambda:us-east-1:1:function:flow-pipeline"
        );
        assert!(
            matches!(&report.records[2].verdict, Verdict::Refused { reason } if reason.contains("48 hours"))
        );
        let left: Vec<u64> = queue.list().into_iter().map(|(id, _)| id).collect();
        assert_eq!(left, [4, 5], "the still failing and the unreadable");
        // Nothing taken twice in one replay, and a second replay sees only what was left.
        let again = run(redrive(
            &queue,
            &Processors,
            RedriveRequest::default(),
            &late(),
        ));
        assert_eq!((again.examined, again.still_failing), (2, 2));
        let line = serde_json::to_string(&report).unwrap_or_default();
        assert!(!line.contains("secret"), "never content: {line}");
    }

    #[test]
    fn a_dry_run_and_a_limit_change_nothing_beyond_them() {
        let queue = queue(&["sent", "sent", "sent"]);
        let dry = RedriveRequest {
            limit: 2,
            dry_run: true,
        };
        let report = run(redrive(&queue, &Processors, dry, &late()));
        assert_eq!(report.examined, 2);
        assert!(
            report
                .records
                .iter()
                .all(|r| r.verdict == Verdict::WouldReplay)
        );
        assert_eq!(queue.len(), 4);
        assert!(
            RedriveRequest {
                limit: 0,
                dry_run: false
            }
            .check()
            .is_err()
        );
    }

    #[test]
    fn only_a_refusal_that_proves_the_message_can_never_settle_removes_a_record() {
        let queue = queue(&["gone", "deleted"]);
        // Inside the window (a day after the failure), a Forbidden is kept: a role missing
        // chime:ChannelFlowCallback gets the same answer.
        let early = ReplayLimits {
            now: Some(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_796_256_000)),
            ..ReplayLimits::default()
        };
        let report = run(redrive(
            &queue,
            &Processors,
            RedriveRequest::default(),
            &early,
        ));
        assert!(
            matches!(&report.records[0].verdict, Verdict::StillFailing { error } if error.contains("chime:ChannelFlowCallback")),
            "{:?}",
            report.records[0]
        );
        assert!(
            matches!(&report.records[1].verdict, Verdict::Refused { reason } if reason.contains("gone"))
        );
        assert_eq!(
            queue.len(),
            2,
            "the Forbidden one and the unreadable one stay"
        );
        // After the window, the same Forbidden proves it: removed.
        let report = run(redrive(
            &queue,
            &Processors,
            RedriveRequest::default(),
            &late(),
        ));
        assert_eq!(report.refused, 1, "{report:?}");
        assert_eq!(queue.len(), 1);
    }

    #[test]
    fn one_bad_record_never_fails_the_run() {
        let queue = queue(&["unreachable", "sent", "elsewhere"]);
        queue.push(record("sent").replace("function:flow-pipeline", "function:someone-elses"));
        let limits = ReplayLimits {
            functions: vec!["flow-pipeline".into()],
            ..late()
        };
        let report = run(redrive(
            &queue,
            &Processors,
            RedriveRequest::default(),
            &limits,
        ));
        assert_eq!(report.examined, 5, "{report:?}");
        assert!(
            matches!(&report.records[0].verdict, Verdict::StillFailing { error } if error.contains("could not be invoked"))
        );
        assert_eq!(report.settled, 1);
        assert!(
            matches!(&report.records[4].verdict, Verdict::NotReplayable { reason } if reason.contains("someone-elses"))
        );
        assert_eq!(queue.len(), 4, "all but the settled one stay");
        assert!(report.stopped.is_none());
    }

    #[test]
    fn a_run_stops_before_its_deadline_and_releases_what_it_took() {
        let queue = queue(&["sent", "sent"]);
        let limits = ReplayLimits {
            deadline: Some(std::time::Instant::now()),
            ..late()
        };
        let report = run(redrive(
            &queue,
            &Processors,
            RedriveRequest::default(),
            &limits,
        ));
        assert_eq!(report.examined, 0);
        assert!(
            report
                .stopped
                .as_deref()
                .is_some_and(|why| why.contains("deadline")),
            "{report:?}"
        );
        // Nothing is left taken: a replay right after sees every record.
        let again = run(redrive(
            &queue,
            &Processors,
            RedriveRequest::default(),
            &late(),
        ));
        assert_eq!((again.examined, again.settled), (3, 2));
    }

    #[test]
    fn records_taken_by_an_aborted_run_come_back_after_the_visibility_timeout() {
        let queue = MemoryFailedEvents::with_visibility(std::time::Duration::from_millis(50));
        queue.push(record("sent"));
        let taken = run(queue.receive(10)).unwrap_or_default();
        assert_eq!(taken.len(), 1);
        // The run that took it is gone: neither deleted nor released.
        assert!(
            run(queue.receive(10)).unwrap_or_default().is_empty(),
            "hidden while taken"
        );
        std::thread::sleep(std::time::Duration::from_millis(60));
        assert_eq!(
            run(queue.receive(10)).unwrap_or_default().len(),
            1,
            "visible again"
        );
    }
}
