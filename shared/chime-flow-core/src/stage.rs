//! The stage traits: [`Stage`], a pure function of a message and the stage's configuration;
//! [`AsyncStage`], one that awaits I/O within a budget; [`Decide`], what the runtime runs (both).

use std::sync::Arc;

use crate::decision::Decision;
use crate::event::ChannelMessage;

/// A stage could not decide. The text must not contain message content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct StageError(pub String);

/// One processing step: moderation, redaction, enrichment, or a pipeline of them. Stages hold their
/// compiled configuration (matchers built once at start) and never reach the network; a stage that
/// must (an HTTP service, an AWS API) is an [`AsyncStage`].
pub trait Stage: Send + Sync {
    /// A stable name for logs and configuration (`moderation`, `redaction`…).
    fn name(&self) -> &str;

    /// Decides about `message`. May be called with messages already changed by earlier stages.
    fn decide(&self, message: &ChannelMessage) -> Result<Decision, StageError>;
}

/// Boxed stages (the pipeline's list) and shared ones (one compiled moderation serving both the
/// moderation stage and redaction's profanity lists) are stages too.
macro_rules! forward_stage {
    ($($pointer:ident),*) => {$(
        impl<S: Stage + ?Sized> Stage for $pointer<S> {
            fn name(&self) -> &str {
                (**self).name()
            }

            fn decide(&self, message: &ChannelMessage) -> Result<Decision, StageError> {
                (**self).decide(message)
            }
        }
    )*};
}

forward_stage!(Box, Arc);

/// What an [`AsyncStage`] answers with.
pub type StageFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Decision, StageError>> + Send + 'a>>;

/// A stage that awaits I/O: a team's own HTTP moderation service, an AWS API, a table look-up. It
/// gets a `budget` — the time left before the callback must be made, derived by the runtime from
/// the invocation's deadline — and is cancelled (its future dropped) when the budget is spent; its
/// failure policy then decides, and the callback is still made exactly once.
pub trait AsyncStage: Send + Sync {
    /// A stable name for logs and configuration.
    fn name(&self) -> &str;

    /// Decides about `message` within `budget`.
    fn decide<'a>(
        &'a self,
        message: &'a ChannelMessage,
        budget: std::time::Duration,
    ) -> StageFuture<'a>;
}

/// What the runtime runs: every synchronous [`Stage`] (straight, no future, no allocation: the
/// zero-overhead path) and every [`AsyncStage`] wrapped in [`Awaits`] (under its budget).
pub trait Decide: Send + Sync {
    /// The stage's name.
    fn name(&self) -> &str;

    /// A synchronous stage's verdict; `None` for a stage that awaits (see [`Decide::decide_later`]).
    fn decide_now(&self, message: &ChannelMessage) -> Option<Result<Decision, StageError>>;

    /// An awaiting stage's verdict within `budget`.
    fn decide_later<'a>(
        &'a self,
        message: &'a ChannelMessage,
        budget: std::time::Duration,
    ) -> StageFuture<'a>;
}

impl<S: Stage + ?Sized> Decide for S {
    fn name(&self) -> &str {
        Stage::name(self)
    }

    fn decide_now(&self, message: &ChannelMessage) -> Option<Result<Decision, StageError>> {
        Some(self.decide(message))
    }

    fn decide_later<'a>(
        &'a self,
        message: &'a ChannelMessage,
        _budget: std::time::Duration,
    ) -> StageFuture<'a> {
        Box::pin(std::future::ready(self.decide(message)))
    }
}

/// A stage chosen at start-up (synchronous, or awaiting when the configuration adds such a step).
impl Decide for Box<dyn Decide> {
    fn name(&self) -> &str {
        (**self).name()
    }

    fn decide_now(&self, message: &ChannelMessage) -> Option<Result<Decision, StageError>> {
        (**self).decide_now(message)
    }

    fn decide_later<'a>(
        &'a self,
        message: &'a ChannelMessage,
        budget: std::time::Duration,
    ) -> StageFuture<'a> {
        (**self).decide_later(message, budget)
    }
}

/// An [`AsyncStage`] as the runtime runs it: `runtime::Start::stage(policy, |env| Ok(Awaits(MyStage::from_env(env)?))).run()`.
pub struct Awaits<A>(pub A);

impl<A: AsyncStage> Decide for Awaits<A> {
    fn name(&self) -> &str {
        self.0.name()
    }

    fn decide_now(&self, _message: &ChannelMessage) -> Option<Result<Decision, StageError>> {
        None
    }

    fn decide_later<'a>(
        &'a self,
        message: &'a ChannelMessage,
        budget: std::time::Duration,
    ) -> StageFuture<'a> {
        self.0.decide(message, budget)
    }
}

/// Boxed and shared async stages are async stages too.
macro_rules! forward_async_stage {
    ($($pointer:ident),*) => {$(
        impl<A: AsyncStage + ?Sized> AsyncStage for $pointer<A> {
            fn name(&self) -> &str {
                (**self).name()
            }

            fn decide<'a>(
                &'a self,
                message: &'a ChannelMessage,
                budget: std::time::Duration,
            ) -> StageFuture<'a> {
                (**self).decide(message, budget)
            }
        }
    )*};
}

forward_async_stage!(Box, Arc);
