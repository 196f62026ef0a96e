//! Onboarding members at scale: a bulk request is split into batches of 100 members put on a queue
//! (`queue`, which depends on nothing else in this crate); the membership worker takes each batch
//! through the API layer (`worker`). The queue is a port: SQS in AWS (`crate::sqs`), in memory in
//! tests and benchmarks.

pub mod queue;
pub mod worker;

pub use queue::{
    BATCH_LIMIT, DeadLetter, MemberBatch, MemoryQueue, Queue, QueueError, QueueFuture, parse_batch,
    split,
};
pub use worker::{
    DeliveryCount, Fate, MAX_ATTEMPTS, Worker, drain, fate, handle_sqs, process, requeue_delay,
};
