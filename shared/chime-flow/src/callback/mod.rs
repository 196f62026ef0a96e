//! The callback port: one trait for sending a `ChannelFlowCallback`, the SDK adapter behind it, and how
//! service answers are classified (retry, already handled, forbidden, rejected). The request itself
//! (built from a decision, limits checked) is `chime-flow-core`'s, re-exported here.

mod classify;
mod recording;
mod sdk;

use std::future::Future;

pub use chime_flow_core::callback::{CallbackMessage, CallbackRequest, LimitError, percent_encode};
pub use classify::{Failure, FailureKind};
pub use recording::RecordingSender;
pub use sdk::SdkCallbackSender;

/// How a callback ended well.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivered {
    /// The service accepted it.
    Sent {
        /// Attempts made, the first included.
        attempts: u32,
    },
    /// The service says the message was already handled (a repeat delivery of the same CallbackId, or a
    /// retry whose earlier attempt did land): done, not a failure.
    AlreadyHandled {
        /// Attempts made, the first included.
        attempts: u32,
    },
}

impl Delivered {
    /// A short label for logs: `sent` or `already-handled`.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Sent { .. } => "sent",
            Self::AlreadyHandled { .. } => "already-handled",
        }
    }

    /// Attempts made.
    pub fn attempts(&self) -> u32 {
        match self {
            Self::Sent { attempts } | Self::AlreadyHandled { attempts } => *attempts,
        }
    }
}

/// How a callback failed for good.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    /// 403: retrying will not help.
    #[error(
        "callback forbidden ({0}); likely causes: the 48-hour processing window has passed, the message was \
         already handled, or the role lacks chime:ChannelFlowCallback on the app instance's channels"
    )]
    Forbidden(Failure),
    /// Another refusal: retrying will not help.
    #[error("callback rejected ({0})")]
    Rejected(Failure),
    /// Retryable failures until the policy was spent.
    #[error("callback failed after {attempts} attempt(s) ({last})")]
    GaveUp {
        /// Attempts made.
        attempts: u32,
        /// The last attempt's failure.
        last: Failure,
    },
}

/// Makes the attempts of one callback under `policy` (each failed one logged by its code and status,
/// never its content) and says how the callback ended: what every sender shares.
pub async fn deliver<F, Fut>(
    policy: &crate::retry::RetryPolicy,
    mut attempt: F,
) -> Result<Delivered, CallbackError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), Failure>>,
{
    let outcome = crate::retry::retry(policy, |number| {
        let outcome = attempt();
        async move {
            let result = outcome.await;
            if let Err(failure) = &result {
                tracing::warn!(attempt = number, code = failure.code.as_deref(), status = failure.status, kind = ?failure.kind, "callback attempt failed");
            }
            result
        }
    })
    .await;
    match outcome {
        Ok(((), attempts)) => Ok(Delivered::Sent { attempts }),
        Err(crate::retry::Exhausted { attempts, last }) => match last.kind {
            FailureKind::AlreadyHandled => Ok(Delivered::AlreadyHandled { attempts }),
            FailureKind::Forbidden => Err(CallbackError::Forbidden(last)),
            FailureKind::Rejected => Err(CallbackError::Rejected(last)),
            FailureKind::Retryable => Err(CallbackError::GaveUp { attempts, last }),
        },
    }
}

/// Sends one callback, retrying within its own policy. Implemented by the SDK adapter, and by
/// [`RecordingSender`] for dry runs and tests.
pub trait CallbackSender: Send + Sync {
    /// Sends `request`, retrying within the sender's own policy.
    fn send(
        &self,
        request: &CallbackRequest,
    ) -> impl Future<Output = Result<Delivered, CallbackError>> + Send;
}
