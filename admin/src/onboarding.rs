//! Onboarding members at scale: a bulk request is split into batches of 100 members put on a queue;
//! the membership worker takes a batch, calls BatchCreateChannelMembership, backs off while the
//! service throttles, re-queues only the members that failed transiently (with a delay), counts
//! members already in the channel as done, and sends those that can never be added (NotFound,
//! Forbidden…) to a dead-letter queue with the reason. The queue is a port: SQS in AWS, in memory
//! in tests and benchmarks.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Map, json};

use crate::api::{AdminApi, BATCH_LIMIT, Extras};

/// A batch is tried this many times (across deliveries) before its members are dead-lettered.
pub const MAX_ATTEMPTS: u32 = 8;

/// How long one delivery keeps calling while the service throttles, before re-queueing the rest:
/// waiting here costs nothing the quota would not, while a re-queue waits at least a second.
const DELIVERY_BUDGET: Duration = Duration::from_secs(20);

/// One queue message: up to 100 members for one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MemberBatch {
    pub channel_arn: String,
    pub member_arns: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_channel_id: Option<String>,
    /// Deliveries so far (0 for a new batch).
    #[serde(default)]
    pub attempt: u32,
}

/// A member that can never be added, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeadLetter {
    pub channel_arn: String,
    pub member_arn: String,
    pub error_code: String,
    pub reason: String,
    pub attempts: u32,
}

/// Splits a bulk request into queue messages of at most 100 members (duplicates removed, order kept).
pub fn split(
    channel_arn: &str,
    members: &[String],
    kind: Option<&str>,
    sub_channel: Option<&str>,
) -> Vec<MemberBatch> {
    let mut seen = std::collections::HashSet::new();
    let unique: Vec<String> = members
        .iter()
        .filter(|m| seen.insert(m.as_str()))
        .cloned()
        .collect();
    unique
        .chunks(BATCH_LIMIT)
        .map(|chunk| MemberBatch {
            channel_arn: channel_arn.to_owned(),
            member_arns: chunk.to_vec(),
            r#type: kind.map(str::to_owned),
            sub_channel_id: sub_channel.map(str::to_owned),
            attempt: 0,
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("queue: {0}")]
pub struct QueueError(pub String);

pub type QueueFuture<'a> = Pin<Box<dyn Future<Output = Result<(), QueueError>> + Send + 'a>>;

/// Where batches wait and dead letters go.
pub trait Queue: Send + Sync {
    /// Puts batches on the queue, to be delivered after `delay`.
    fn enqueue(&self, batches: Vec<MemberBatch>, delay: Duration) -> QueueFuture<'_>;
    /// Parks members that can never be added.
    fn dead_letter(&self, letters: Vec<DeadLetter>) -> QueueFuture<'_>;
}

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
        "Conflict" => Fate::Done,
        _ => Fate::Dead,
    }
}

/// What one delivery did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivered {
    pub added: usize,
    pub already: usize,
    pub requeued: usize,
    pub dead: usize,
    pub calls: usize,
}

impl Delivered {
    fn add(&mut self, other: Delivered) {
        self.added += other.added;
        self.already += other.already;
        self.requeued += other.requeued;
        self.dead += other.dead;
        self.calls += other.calls;
    }
}

/// Full-jitter exponential backoff: a random wait up to `base × 2^step`, at most `cap`.
fn backoff(base: Duration, step: u32, cap: Duration) -> Duration {
    let ceiling = base.saturating_mul(1 << step.min(16)).min(cap);
    ceiling.mul_f64(fastrand::f64())
}

/// Processes one delivered batch: the membership worker's whole job.
pub async fn process(
    api: &AdminApi,
    queue: &dyn Queue,
    batch: &MemberBatch,
) -> Result<Delivered, QueueError> {
    let mut done = Delivered::default();
    let mut pending = batch.member_arns.clone();
    let mut last_code = String::new();
    let mut dead = Vec::new();
    let started = Instant::now();
    let mut step = 0;
    while !pending.is_empty() && started.elapsed() < DELIVERY_BUDGET {
        let mut input = Map::new();
        input.insert("ChannelArn".into(), json!(batch.channel_arn));
        input.insert("MemberArns".into(), json!(pending));
        if let Some(kind) = &batch.r#type {
            input.insert("Type".into(), json!(kind));
        }
        if let Some(sub) = &batch.sub_channel_id {
            input.insert("SubChannelId".into(), json!(sub));
        }
        done.calls += 1;
        let answer = api
            .run("BatchCreateChannelMembership", input, &Extras::default())
            .await;
        let (added, errors) = match answer {
            Ok((_, answer)) => (
                answer["BatchChannelMemberships"]["Members"]
                    .as_array()
                    .map_or(0, Vec::len),
                answer["Errors"].as_array().cloned().unwrap_or_default(),
            ),
            // Refused before any call (a malformed ARN…): every member, for the same reason.
            Err(failure) => (
                0,
                pending
                    .iter()
                    .map(|m| json!({"MemberArn": m, "ErrorCode": failure.error, "ErrorMessage": failure.message}))
                    .collect(),
            ),
        };
        done.added += added;
        let mut retry = Vec::new();
        for error in &errors {
            let member = error["MemberArn"].as_str().unwrap_or_default().to_owned();
            let code = error["ErrorCode"].as_str().unwrap_or("Unknown").to_owned();
            match fate(&code) {
                Fate::Retry => {
                    last_code = code;
                    retry.push(member);
                }
                Fate::Done => done.already += 1,
                Fate::Dead => dead.push(DeadLetter {
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
        let stalled = retry.len() == pending.len();
        pending = retry;
        if stalled && !pending.is_empty() {
            // Everything was throttled: wait before the next call, as the quota asks.
            tokio::time::sleep(backoff(
                Duration::from_millis(20),
                step,
                Duration::from_secs(1),
            ))
            .await;
            step += 1;
        } else {
            step = 0;
        }
    }
    if !pending.is_empty() {
        if batch.attempt + 1 >= MAX_ATTEMPTS {
            dead.extend(pending.iter().map(|member| DeadLetter {
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
            let delay = backoff(
                Duration::from_secs(1),
                batch.attempt,
                Duration::from_secs(900),
            )
            .max(Duration::from_millis(100));
            queue.enqueue(vec![again], delay).await?;
        }
    }
    done.dead = dead.len();
    if !dead.is_empty() {
        queue.dead_letter(dead).await?;
    }
    Ok(done)
}

/// An in-memory queue with delays: what tests and benchmarks run the worker path on.
#[derive(Debug, Default)]
pub struct MemoryQueue {
    waiting: Mutex<VecDeque<(Instant, MemberBatch)>>,
    pub dead: Mutex<Vec<DeadLetter>>,
}

impl MemoryQueue {
    /// The next batch that is due, or how long until one is (`None` when empty).
    pub fn take(&self) -> Option<Result<MemberBatch, Duration>> {
        let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let due = waiting.iter().position(|(at, _)| *at <= now);
        match due {
            Some(index) => waiting.remove(index).map(|(_, batch)| Ok(batch)),
            None => waiting
                .iter()
                .map(|(at, _)| at.saturating_duration_since(now))
                .min()
                .map(Err),
        }
    }
}

impl Queue for MemoryQueue {
    fn enqueue(&self, batches: Vec<MemberBatch>, delay: Duration) -> QueueFuture<'_> {
        let at = Instant::now() + delay;
        let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        waiting.extend(batches.into_iter().map(|b| (at, b)));
        Box::pin(async { Ok(()) })
    }

    fn dead_letter(&self, letters: Vec<DeadLetter>) -> QueueFuture<'_> {
        self.dead
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(letters);
        Box::pin(async { Ok(()) })
    }
}

/// Runs `workers` membership workers over a memory queue until it is empty (bounded by `limit`):
/// what an SQS event source with that concurrency does. The deliveries' totals.
pub async fn drain(
    api: &AdminApi,
    queue: &MemoryQueue,
    workers: usize,
    limit: Duration,
) -> Result<Delivered, QueueError> {
    let started = Instant::now();
    let in_flight = std::sync::atomic::AtomicUsize::new(0);
    let worker = async || {
        let mut total = Delivered::default();
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
    let mut total = Delivered::default();
    for result in results {
        total.add(result?);
    }
    Ok(total)
}

/// Parses a queue message body.
pub fn parse_batch(body: &str) -> Result<MemberBatch, String> {
    serde_json::from_str::<MemberBatch>(body).map_err(|e| format!("not a member batch: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulk_requests_split_into_batches_of_a_hundred_without_duplicates() {
        let members: Vec<String> = (0..250).map(|i| format!("arn:m{}", i % 240)).collect();
        let batches = split("arn:c", &members, Some("DEFAULT"), None);
        let sizes: Vec<usize> = batches.iter().map(|b| b.member_arns.len()).collect();
        assert_eq!(sizes, [100, 100, 40]);
        let body = serde_json::to_string(&batches[2]).unwrap_or_default();
        assert_eq!(parse_batch(&body), Ok(batches[2].clone()));
        assert!(body.contains("\"ChannelArn\":\"arn:c\"") && body.contains("\"Type\":\"DEFAULT\""));
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
}
