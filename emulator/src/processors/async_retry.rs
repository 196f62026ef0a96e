//! Lambda's asynchronous queue as chime-local plays it for every processor: a failed delivery is
//! made again after each wait, then the event is kept on the failure queue.

use std::sync::Arc;
use std::time::Duration;

use std::future::Future;

use chime_flow::redrive::{FunctionError, InvocationRecord};
use serde_json::Value;

use super::failed_events::FailedEventQueue;
use super::function_name;

/// Lambda's asynchronous retry of one event: more deliveries after waits, then the failure queue.
pub(crate) struct AsyncRetry {
    pub(crate) function_arn: String,
    pub(crate) delays: Vec<Duration>,
    pub(crate) failed: Arc<FailedEventQueue>,
}

impl AsyncRetry {
    /// After the first delivery failed with `last`: one more delivery after each delay; when the
    /// last fails too, Lambda's invocation record goes to the failure queue.
    pub(crate) async fn after_failure<F, Fut>(
        self,
        payload: &Value,
        mut last: FunctionError,
        mut deliver: F,
    ) where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<(), FunctionError>>,
    {
        let function = function_name(&self.function_arn).unwrap_or_default();
        for (retry, delay) in self.delays.iter().enumerate() {
            tracing::warn!(function = %function, attempt = retry + 1, retry_in_ms = delay.as_millis() as u64,
                error_type = %last.error_type, "processor failed: Lambda's asynchronous retry");
            tokio::time::sleep(*delay).await;
            match deliver().await {
                Ok(()) => return,
                Err(error) => last = error,
            }
        }
        let deliveries = self.delays.len() as u32 + 1;
        tracing::error!(function = %function, deliveries, error_type = %last.error_type,
            "processor failed on every delivery: the event goes to the failure queue");
        self.failed.push(&InvocationRecord::retries_exhausted(
            &self.function_arn,
            payload.clone(),
            deliveries,
            &last.error_type,
            &last.message,
            crate::state::iso8601(crate::state::now()),
        ));
    }
}
