//! Lambda's asynchronous queue as chime-local plays it for every processor: a failed delivery is
//! made again after each wait, then the event is kept on the failure queue.

use std::sync::Arc;
use std::time::Duration;

use std::future::Future;

use chime_flow::redrive::{FunctionError, InvocationRecord};
use serde_json::Value;

use super::failed_events::FailedEventQueue;
use super::function_name;
use crate::state::journey::{Journal, Step};

/// Lambda's asynchronous queue as every processor adapter plays it: the waits before each
/// redelivery, the failure queue, and the journal each retry is told to.
#[derive(Clone)]
pub struct AsyncQueue {
    pub delays: Vec<Duration>,
    pub failed: Arc<FailedEventQueue>,
    pub journal: Arc<Journal>,
}

impl AsyncQueue {
    /// The retry of one event for the function `function_arn`.
    pub(crate) fn retry(&self, function_arn: &str) -> AsyncRetry {
        AsyncRetry {
            function_arn: function_arn.to_owned(),
            queue: self.clone(),
        }
    }
}

/// Lambda's asynchronous retry of one event: more deliveries after waits, then the failure queue.
pub(crate) struct AsyncRetry {
    function_arn: String,
    queue: AsyncQueue,
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
        let message_id = payload
            .pointer("/ChannelMessage/MessageId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let journal = &self.queue.journal;
        let function_error = |error: &FunctionError| Step::FunctionError {
            function: function.to_owned(),
            error_type: error.error_type.clone(),
        };
        journal.step(message_id, function_error(&last));
        for (retry, delay) in self.queue.delays.iter().enumerate() {
            tracing::warn!(function = %function, attempt = retry + 1, retry_in_ms = delay.as_millis() as u64,
                error_type = %last.error_type, "processor failed: Lambda's asynchronous retry");
            journal.step(
                message_id,
                Step::AsyncRetry {
                    attempt: retry as u32 + 1,
                    delay_ms: delay.as_millis() as u64,
                },
            );
            tokio::time::sleep(*delay).await;
            match deliver().await {
                Ok(()) => return,
                Err(error) => {
                    journal.step(message_id, function_error(&error));
                    last = error;
                }
            }
        }
        let deliveries = self.queue.delays.len() as u32 + 1;
        journal.step(message_id, Step::FailureQueue { deliveries });
        tracing::error!(function = %function, deliveries, error_type = %last.error_type,
            "processor failed on every delivery: the event goes to the failure queue");
        self.queue.failed.push(&InvocationRecord::retries_exhausted(
            &self.function_arn,
            payload.clone(),
            deliveries,
            &last.error_type,
            &last.message,
            crate::state::iso8601(crate::state::now()),
        ));
    }
}
