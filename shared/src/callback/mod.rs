//! The callback port: one trait for sending a `ChannelFlowCallback`, the SDK adapter behind it, and how
//! service answers are classified (retry, already handled, forbidden, rejected).

mod classify;
mod recording;
mod request;
mod sdk;

use std::future::Future;

pub use classify::{Failure, FailureKind};
pub use recording::RecordingSender;
pub use request::{CallbackMessage, CallbackRequest, LimitError, percent_encode};
pub use sdk::SdkCallbackSender;

/// How a callback ended well.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivered {
    /// The service accepted it.
    Sent { attempts: u32 },
    /// The service says the message was already handled (a repeat delivery of the same CallbackId, or a
    /// retry whose earlier attempt did land): done, not a failure.
    AlreadyHandled { attempts: u32 },
}

impl Delivered {
    pub fn label(&self) -> &'static str {
        match self {
            Self::Sent { .. } => "sent",
            Self::AlreadyHandled { .. } => "already-handled",
        }
    }

    pub fn attempts(&self) -> u32 {
        match self {
            Self::Sent { attempts } | Self::AlreadyHandled { attempts } => *attempts,
        }
    }
}

/// How a callback failed for good.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    #[error(
        "callback forbidden ({0}); likely causes: the 48-hour processing window has passed, the message was \
         already handled, or the role lacks chime:ChannelFlowCallback on the app instance's channels"
    )]
    Forbidden(Failure),
    #[error("callback rejected ({0})")]
    Rejected(Failure),
    #[error("callback failed after {attempts} attempt(s) ({last})")]
    GaveUp { attempts: u32, last: Failure },
}

/// Sends one callback, retrying within its own policy. Implemented by the SDK adapter, and by
/// [`RecordingSender`] for dry runs and tests.
pub trait CallbackSender: Send + Sync {
    fn send(
        &self,
        request: &CallbackRequest,
    ) -> impl Future<Output = Result<Delivered, CallbackError>> + Send;
}
