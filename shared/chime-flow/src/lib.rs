//! `chime-flow`: Amazon Chime SDK Messaging channel-flow processors on AWS Lambda.
//!
//! A processor receives each message of a channel flow, runs a stage on it and answers with exactly
//! one `ChannelFlowCallback`. The stages, events and decisions live in `chime-flow-core` (no I/O),
//! re-exported here under the same paths; this crate adds what runs them:
//!
//! - [`runtime`]: the processor `main` — configuration, tracing, one SDK client, a budget per event
//!   from Lambda's deadline, failure policies, idempotency, exactly one callback.
//! - [`callback`]: the sender port, its SDK adapter and how service answers are classified.
//! - `comprehend` (feature `comprehend`): escalating what the word lists passed to Amazon
//!   Comprehend's toxicity detection.
//! - [`mixed`]: a pipeline of synchronous stages and stages that await I/O.
//! - [`retry`]: bounded retries with full jitter; [`idempotency`]: repeat deliveries.
//! - [`metrics`]: one Embedded Metric Format line per event; [`redrive`]: replaying failed events.
//! - [`telemetry`]: the JSON log subscriber every function starts with.
//! - [`sdk`]: the SDK configuration loaded once, its HTTPS client trusting the AWS roots compiled in.
//! - [`background`]: work no event waits for, held back until a processor's first answer.
//!
//! # A processor of your own
//!
//! A stage that awaits I/O implements [`AsyncStage`]; the runtime gives it what is left of the
//! invocation's deadline (less what the callback's retries need), cancels it when that is spent and
//! lets its failure policy decide — the callback is still made once.
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use chime_flow::stage::{AsyncStage, Awaits, StageFuture};
//! use chime_flow::{ChannelMessage, Decision, FailurePolicy};
//!
//! /// Asks a service of the team's own (here: pretends to) before a message is delivered.
//! struct AskService;
//!
//! impl AsyncStage for AskService {
//!     fn name(&self) -> &str {
//!         "ask-service"
//!     }
//!
//!     fn decide<'a>(&'a self, message: &'a ChannelMessage, budget: Duration) -> StageFuture<'a> {
//!         Box::pin(async move {
//!             tokio::time::sleep(budget.min(Duration::from_millis(5))).await;
//!             let shouting = message.content.as_deref().is_some_and(|c| c.ends_with("!!!"));
//!             Ok(if shouting { Decision::deny("shouting") } else { Decision::Pass })
//!         })
//!     }
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), lambda_runtime::Error> {
//!     chime_flow::runtime::Start::stage(FailurePolicy::Deny, |_env| Ok(Awaits(AskService)))
//!         .run()
//!         .await
//! }
//! ```
#![deny(missing_docs)]

#[cfg(feature = "test-support")]
pub use chime_flow_core::bench_input;
pub use chime_flow_core::{arn, background, config, decision, event, limits, stage, stages};

pub mod callback;
#[cfg(feature = "comprehend")]
pub mod comprehend;
pub mod idempotency;
pub mod metrics;
pub mod mixed;
pub mod redrive;
pub mod retry;
pub mod runtime;
pub mod sdk;
pub mod telemetry;

pub use callback::{CallbackRequest, CallbackSender, Delivered};
pub use chime_flow_core::{
    AsyncStage, ChannelMessage, ConfigError, Decision, Edits, Env, FailurePolicy, ProcessorConfig,
    ProcessorEvent, Stage, StageError, StageFuture,
};
