//! The queue port on SQS: batches go back on the work queue with a delay (at most SQS's 15
//! minutes), dead letters to the dead-letter queue, ten messages per SendMessageBatch.

use std::time::Duration;

use crate::onboarding::{DeadLetter, MemberBatch, Queue, QueueError, QueueFuture};
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;

pub struct SqsQueue {
    client: aws_sdk_sqs::Client,
    queue_url: String,
    dead_letter_url: String,
}

impl SqsQueue {
    pub fn new(sdk: &aws_config::SdkConfig, queue_url: String, dead_letter_url: String) -> Self {
        Self {
            client: aws_sdk_sqs::Client::new(sdk),
            queue_url,
            dead_letter_url,
        }
    }

    /// Sends `bodies` to `url`, ten per call; any entry SQS refuses fails the whole send, so the
    /// caller's message is delivered again rather than anything being lost.
    async fn send(
        &self,
        url: &str,
        bodies: Vec<String>,
        delay: Duration,
    ) -> Result<(), QueueError> {
        let delay_seconds = delay_seconds(delay);
        for chunk in bodies.chunks(10) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, body)| {
                    SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(body)
                        .set_delay_seconds(delay_seconds)
                        .build()
                        .map_err(|e| QueueError(e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let sent = self
                .client
                .send_message_batch()
                .queue_url(url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| QueueError(format!("SendMessageBatch: {e}")))?;
            if !sent.failed().is_empty() {
                return Err(QueueError(format!(
                    "SendMessageBatch refused {} of {} entries",
                    sent.failed().len(),
                    chunk.len()
                )));
            }
        }
        Ok(())
    }
}

/// SQS's `DelaySeconds` for a delay: none for no delay (an explicit 0 would override the queue's
/// own delay), otherwise whole seconds rounded up — a wait under a second is still a wait — at most
/// SQS's 900.
pub fn delay_seconds(delay: Duration) -> Option<i32> {
    if delay.is_zero() {
        return None;
    }
    let seconds = delay.as_secs() + u64::from(delay.subsec_nanos() > 0);
    Some(seconds.min(900) as i32)
}

fn bodies<T: serde::Serialize>(items: &[T]) -> Result<Vec<String>, QueueError> {
    items
        .iter()
        .map(|item| serde_json::to_string(item).map_err(|e| QueueError(e.to_string())))
        .collect()
}

impl Queue for SqsQueue {
    fn enqueue(&self, batches: Vec<MemberBatch>, delay: Duration) -> QueueFuture<'_> {
        Box::pin(async move { self.send(&self.queue_url, bodies(&batches)?, delay).await })
    }

    fn dead_letter(&self, letters: Vec<DeadLetter>) -> QueueFuture<'_> {
        Box::pin(async move {
            self.send(&self.dead_letter_url, bodies(&letters)?, Duration::ZERO)
                .await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_become_whole_seconds_and_no_delay_sends_none() {
        assert_eq!(delay_seconds(Duration::ZERO), None);
        assert_eq!(delay_seconds(Duration::from_millis(300)), Some(1));
        assert_eq!(delay_seconds(Duration::from_millis(1200)), Some(2));
        assert_eq!(delay_seconds(Duration::from_secs(4)), Some(4));
        assert_eq!(delay_seconds(Duration::from_secs(2000)), Some(900));
    }
}
