//! The worker half of onboarding: takes a batch, calls BatchCreateChannelMembership through the
//! API layer, paces itself while the service throttles, re-queues only the members that failed
//! transiently (after whole seconds that grow with the attempt), counts members already in the
//! channel as done, and dead-letters those that can never be added (NotFound, Forbidden…) with the
//! reason; and the SQS event handler of the membership-worker function.

use std::time::{Duration, Instant};

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use chime_flow::retry::RetryPolicy;
use serde_json::{Map, Value, json};

use super::queue::{DeadLetter, MemberBatch, MemoryQueue, Queue, QueueError, parse_batch};
use crate::access::BearerRule;
use crate::api::{AdminApi, Extras};

/// A batch is tried this many times (across deliveries) before its members are dead-lettered.
pub const MAX_ATTEMPTS: u32 = 8;

/// How long one delivery keeps calling while the service throttles, before re-queueing the rest:
/// waiting here costs nothing the quota would not, while a re-queue waits at least a second.
const DELIVERY_BUDGET: Duration = Duration::from_secs(20);

/// What a member's error means for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Throttling, a service failure or no answer: try again later.
    Retry,
    /// Already a member: done.
    Done,
    /// Never going to work (NotFound, Forbidden, BadRequest, limits): dead-letter it.
    Dead,
}

/// The fate of a member from its `ErrorCode` (the batch error codes, or a whole call's error name).
pub fn fate(code: &str) -> Fate {
    match code {
        "Throttled" | "Throttling" | "ThrottledClient" | "ServiceFailure"
        | "ServiceUnavailable" | "ServiceUnreachable" => Fate::Retry,
        // Neither added nor refused in the service's answer: nothing is known, so try again.
        UNACCOUNTED => Fate::Retry,
        "Conflict" => Fate::Done,
        _ => Fate::Dead,
    }
}

/// The code given to a member the answer neither added nor refused.
pub const UNACCOUNTED: &str = "Unaccounted";

/// What one delivery did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryCount {
    pub added: usize,
    pub already: usize,
    pub requeued: usize,
    pub dead: usize,
    pub calls: usize,
}

impl DeliveryCount {
    fn add(&mut self, other: DeliveryCount) {
        self.added += other.added;
        self.already += other.already;
        self.requeued += other.requeued;
        self.dead += other.dead;
        self.calls += other.calls;
    }
}

/// Pacing inside one delivery while every member is throttled: full-jitter waits from 20 ms up to
/// 1 s, until the delivery's budget is spent.
const PACING: RetryPolicy = RetryPolicy {
    max_attempts: u32::MAX,
    base_delay: Duration::from_millis(20),
    max_delay: Duration::from_secs(1),
    budget: DELIVERY_BUDGET,
};

/// Re-queue delays: from 2 s doubling per delivery, at most SQS's 15 minutes.
const REQUEUE: RetryPolicy = RetryPolicy {
    max_attempts: MAX_ATTEMPTS,
    base_delay: Duration::from_secs(2),
    max_delay: Duration::from_secs(900),
    budget: Duration::MAX,
};

/// How long a batch re-queued after delivery number `attempt` (0-based) waits: whole seconds (SQS's
/// unit), at least one, between half and all of the policy's cap for that attempt ("equal jitter":
/// it grows with the attempt and re-queued batches do not come back together). `unit` is uniform in
/// [0, 1).
pub fn requeue_delay(attempt: u32, unit: f64) -> Duration {
    let cap = REQUEUE.backoff_cap(attempt + 1).as_secs().max(1);
    let floor = cap.div_ceil(2);
    let spread = (cap - floor + 1) as f64 * unit.clamp(0.0, 1.0);
    Duration::from_secs((floor + spread as u64).min(cap))
}

/// Processes one delivered batch: the membership worker's whole job.
pub async fn process(
    api: &AdminApi,
    queue: &dyn Queue,
    batch: &MemberBatch,
) -> Result<DeliveryCount, QueueError> {
    let mut done = DeliveryCount::default();
    let mut outcome = Outcome::default();
    let mut pending = batch.member_arns.clone();
    let started = Instant::now();
    let mut throttled = 0;
    while !pending.is_empty() {
        done.calls += 1;
        let (added, errors) = add_members(api, batch, &pending).await;
        done.added += added;
        let retry = outcome.sort(batch, &errors, &mut done);
        let stalled = retry.len() == pending.len();
        pending = retry;
        if pending.is_empty() {
            break;
        }
        if stalled {
            // Everything was throttled: wait before the next call, as the quota asks.
            throttled += 1;
            match PACING.next_delay(throttled, started.elapsed(), fastrand::f64()) {
                Some(wait) => tokio::time::sleep(wait).await,
                None => break,
            }
        } else {
            throttled = 0;
            if started.elapsed() >= DELIVERY_BUDGET {
                break;
            }
        }
    }
    outcome.finish(queue, batch, pending, &mut done).await?;
    Ok(done)
}

/// One BatchCreateChannelMembership of `pending`: how many were added, and the per-member errors.
/// A call refused before it is made (a malformed ARN…) is an error for every member, for the same
/// reason.
async fn add_members(
    api: &AdminApi,
    batch: &MemberBatch,
    pending: &[String],
) -> (usize, Vec<Value>) {
    let mut input = Map::new();
    input.insert("ChannelArn".into(), json!(batch.channel_arn));
    input.insert("MemberArns".into(), json!(pending));
    if let Some(kind) = &batch.r#type {
        input.insert("Type".into(), json!(kind));
    }
    if let Some(sub) = &batch.sub_channel_id {
        input.insert("SubChannelId".into(), json!(sub));
    }
    if let Some(bearer) = &batch.chime_bearer {
        input.insert("ChimeBearer".into(), json!(bearer));
    }
    // The bulk route granted this batch (and its bearer) when it was queued.
    match api
        .execute_as(
            "BatchCreateChannelMembership",
            input,
            &Extras::default(),
            &BearerRule::AnyUser,
        )
        .await
    {
        Ok((_, answer)) => {
            let added: Vec<&str> = answer["BatchChannelMemberships"]["Members"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|m| m["Arn"].as_str().or_else(|| m["MemberArn"].as_str()))
                .collect();
            let errors = answer["Errors"].as_array().cloned().unwrap_or_default();
            (added.len(), accounted(pending, &added, errors))
        }
        Err(failure) => (
            0,
            pending
                .iter()
                .map(|m| json!({"MemberArn": m, "ErrorCode": failure.error, "ErrorMessage": failure.message}))
                .collect(),
        ),
    }
}

/// The per-member errors of an answer, each pending member accounted for: an error that names no
/// member is dropped (it cannot be attributed), and a member the answer neither added nor refused
/// gets an [`UNACCOUNTED`] error, so it is tried again instead of being counted as added.
pub fn accounted(pending: &[String], added: &[&str], errors: Vec<Value>) -> Vec<Value> {
    let mut errors: Vec<Value> = errors
        .into_iter()
        .filter(|e| e["MemberArn"].as_str().is_some_and(|m| !m.is_empty()))
        .collect();
    let named: std::collections::HashSet<String> = added
        .iter()
        .map(|m| (*m).to_owned())
        .chain(
            errors
                .iter()
                .filter_map(|e| e["MemberArn"].as_str().map(str::to_owned)),
        )
        .collect();
    for member in pending.iter().filter(|m| !named.contains(m.as_str())) {
        errors.push(json!({"MemberArn": member, "ErrorCode": UNACCOUNTED,
            "ErrorMessage": "the answer neither added nor refused this member"}));
    }
    errors
}

/// What a delivery decided about the members it could not add.
#[derive(Default)]
struct Outcome {
    dead: Vec<DeadLetter>,
    /// The last transient error code, named in a dead letter when the attempts run out.
    last_code: String,
}

impl Outcome {
    /// Sorts one call's errors by their fate; the members to try again.
    fn sort(
        &mut self,
        batch: &MemberBatch,
        errors: &[Value],
        done: &mut DeliveryCount,
    ) -> Vec<String> {
        let mut retry = Vec::new();
        for error in errors {
            let member = error["MemberArn"].as_str().unwrap_or_default().to_owned();
            let code = error["ErrorCode"].as_str().unwrap_or("Unknown").to_owned();
            match fate(&code) {
                Fate::Retry => {
                    self.last_code = code;
                    retry.push(member);
                }
                Fate::Done => done.already += 1,
                Fate::Dead => self.dead.push(DeadLetter {
                    channel_arn: batch.channel_arn.clone(),
                    member_arn: member,
                    reason: error["ErrorMessage"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    error_code: code,
                    attempts: batch.attempt + 1,
                }),
            }
        }
        retry
    }

    /// The members still pending go back on the queue after a delay, or to the dead letters once
    /// the batch has had its attempts; the dead letters are sent.
    async fn finish(
        mut self,
        queue: &dyn Queue,
        batch: &MemberBatch,
        pending: Vec<String>,
        done: &mut DeliveryCount,
    ) -> Result<(), QueueError> {
        if !pending.is_empty() {
            if batch.attempt + 1 >= MAX_ATTEMPTS {
                let last_code = self.last_code.clone();
                self.dead.extend(pending.iter().map(|member| DeadLetter {
                    channel_arn: batch.channel_arn.clone(),
                    member_arn: member.clone(),
                    error_code: last_code.clone(),
                    reason: format!("still failing after {MAX_ATTEMPTS} deliveries"),
                    attempts: MAX_ATTEMPTS,
                }));
            } else {
                done.requeued = pending.len();
                let again = MemberBatch {
                    member_arns: pending,
                    attempt: batch.attempt + 1,
                    ..batch.clone()
                };
                let delay = requeue_delay(batch.attempt, fastrand::f64());
                queue.enqueue(vec![again], delay).await?;
            }
        }
        done.dead = self.dead.len();
        if !self.dead.is_empty() {
            queue.dead_letter(self.dead).await?;
        }
        Ok(())
    }
}

/// Runs `workers` membership workers over a memory queue until it is empty (bounded by `limit`):
/// what an SQS event source with that concurrency does. The deliveries' totals.
pub async fn drain(
    api: &AdminApi,
    queue: &MemoryQueue,
    workers: usize,
    limit: Duration,
) -> Result<DeliveryCount, QueueError> {
    let started = Instant::now();
    let in_flight = std::sync::atomic::AtomicUsize::new(0);
    let worker = async || {
        let mut total = DeliveryCount::default();
        loop {
            if started.elapsed() > limit {
                return Err(QueueError(format!("not drained within {limit:?}")));
            }
            match queue.take() {
                Some(Ok(batch)) => {
                    in_flight.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let done = process(api, queue, &batch).await;
                    in_flight.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                    total.add(done?);
                }
                Some(Err(wait)) => tokio::time::sleep(wait.min(Duration::from_millis(50))).await,
                None if in_flight.load(std::sync::atomic::Ordering::SeqCst) == 0 => {
                    return Ok(total);
                }
                None => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        }
    };
    let results = futures_util::future::join_all((0..workers).map(|_| worker())).await;
    let mut total = DeliveryCount::default();
    for result in results {
        total.add(result?);
    }
    Ok(total)
}

/// The membership worker: the API layer it calls through and the queue it re-queues and
/// dead-letters on.
pub struct Worker<Q> {
    pub api: AdminApi,
    pub queue: Q,
}

/// Handles every record of an SQS event; the ones to deliver again are the answer's batch item
/// failures (an unreadable message, by SQS's redrive policy, ends in its dead-letter queue).
pub async fn handle_sqs<Q: Queue>(worker: &Worker<Q>, event: SqsEvent) -> SqsBatchResponse {
    let deliveries = event.records.iter().map(|record| async move {
        let id = record.message_id.clone().unwrap_or_default();
        let batch = match record.body.as_deref().map(parse_batch) {
            Some(Ok(batch)) => batch,
            other => {
                let problem = match other {
                    Some(Err(problem)) => problem,
                    _ => "the message has no body".to_owned(),
                };
                tracing::error!(message_id = %id, problem = %problem, "unusable queue message");
                return Some(id);
            }
        };
        match process(&worker.api, &worker.queue, &batch).await {
            Ok(done) => {
                tracing::info!(message_id = %id, channel = %batch.channel_arn, attempt = batch.attempt,
                    added = done.added, already = done.already, requeued = done.requeued,
                    dead = done.dead, calls = done.calls, "batch handled");
                None
            }
            Err(error) => {
                tracing::warn!(message_id = %id, error = %error, "batch not handled: SQS delivers it again");
                Some(id)
            }
        }
    });
    // The records of one event are handled together; the quota paces them.
    let failed = futures_util::future::join_all(deliveries).await;
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failed
        .into_iter()
        .flatten()
        .map(|item_identifier| {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = item_identifier;
            failure
        })
        .collect();
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_the_answer_does_not_account_for_are_tried_again_not_counted_as_added() {
        let pending: Vec<String> = ["a", "b", "c", "d"]
            .iter()
            .map(|m| (*m).to_owned())
            .collect();
        let errors = vec![
            json!({"MemberArn": "b", "ErrorCode": "NotFound", "ErrorMessage": "no such user"}),
            json!({"ErrorCode": "BadRequest", "ErrorMessage": "names no member"}),
            json!({"MemberArn": "", "ErrorCode": "BadRequest"}),
        ];
        let sorted = accounted(&pending, &["a"], errors);
        let codes: Vec<(&str, &str)> = sorted
            .iter()
            .map(|e| {
                (
                    e["MemberArn"].as_str().unwrap_or("?"),
                    e["ErrorCode"].as_str().unwrap_or("?"),
                )
            })
            .collect();
        assert_eq!(
            codes,
            [("b", "NotFound"), ("c", UNACCOUNTED), ("d", UNACCOUNTED)]
        );
        assert_eq!(fate(UNACCOUNTED), Fate::Retry);
    }

    #[test]
    fn only_transient_errors_are_retried_and_conflicts_are_done() {
        assert_eq!(fate("Throttled"), Fate::Retry);
        assert_eq!(fate("ThrottledClient"), Fate::Retry);
        assert_eq!(fate("ServiceUnavailable"), Fate::Retry);
        assert_eq!(fate("Conflict"), Fate::Done);
        assert_eq!(fate("NotFound"), Fate::Dead);
        assert_eq!(fate("Forbidden"), Fate::Dead);
        assert_eq!(fate("ResourceLimitExceeded"), Fate::Dead);
    }

    /// Re-queued batches wait whole seconds, never zero (SQS would read 0 as "no delay", overriding
    /// the queue's own), more with every attempt, spread by jitter.
    #[test]
    fn requeue_delays_are_whole_seconds_that_grow_with_the_attempt() {
        let mut previous_floor = Duration::ZERO;
        for attempt in 0..MAX_ATTEMPTS {
            let floor = requeue_delay(attempt, 0.0);
            let ceiling = requeue_delay(attempt, 0.999_999);
            for unit in [0.0, 0.25, 0.5, 0.75, 0.999_999] {
                let delay = requeue_delay(attempt, unit);
                assert!(
                    delay >= Duration::from_secs(1),
                    "attempt {attempt}: {delay:?}"
                );
                assert_eq!(delay.subsec_nanos(), 0, "whole seconds");
                assert!(floor <= delay && delay <= ceiling);
            }
            assert!(floor >= previous_floor, "attempt {attempt}");
            assert!(ceiling > floor || ceiling == Duration::from_secs(1));
            assert!(ceiling <= Duration::from_secs(900));
            previous_floor = floor;
        }
        assert_eq!(requeue_delay(0, 0.0), Duration::from_secs(1));
        assert_eq!(requeue_delay(0, 0.999), Duration::from_secs(2));
        assert_eq!(requeue_delay(3, 0.0), Duration::from_secs(8));
        assert_eq!(requeue_delay(3, 0.999), Duration::from_secs(16));
    }
}
