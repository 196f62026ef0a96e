//! The `Stage` trait: a pure function of a message and the stage's configuration.

use std::sync::Arc;

use crate::decision::Decision;
use crate::event::ChannelMessage;

/// A stage could not decide. The text must not contain message content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct StageError(pub String);

/// One processing step: moderation, redaction, enrichment, or a pipeline of them. Stages hold their
/// compiled configuration (matchers built once at start) and never reach the network.
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
