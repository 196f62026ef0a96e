//! A sender that records instead of sending: dry runs (print the callback that would be sent) and tests.

use std::sync::Mutex;

use super::{CallbackError, CallbackRequest, CallbackSender, Delivered};

/// Records callbacks instead of sending them: dry runs and tests.
#[derive(Debug, Default)]
pub struct RecordingSender {
    sent: Mutex<Vec<CallbackRequest>>,
}

impl RecordingSender {
    /// Every request recorded so far, in order.
    pub fn requests(&self) -> Vec<CallbackRequest> {
        self.sent
            .lock()
            .map(|sent| sent.clone())
            .unwrap_or_default()
    }
}

impl CallbackSender for RecordingSender {
    async fn send(&self, request: &CallbackRequest) -> Result<Delivered, CallbackError> {
        if let Ok(mut sent) = self.sent.lock() {
            sent.push(request.clone());
        }
        Ok(Delivered::Sent { attempts: 1 })
    }
}
