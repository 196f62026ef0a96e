//! What chime-local keeps so that no message is silently stuck: the failure queue — when every
//! delivery of a processor event fails (Lambda's three attempts), the event goes here as Lambda's
//! invocation record, as it would go to the stack's on-failure SQS queue — and the report of
//! messages PENDING longer than a given time. `chime_flow::redrive` replays the queue
//! (`POST /_chime-local/failed-events/redrive`) exactly as the admin API replays the SQS queue.

use chime_flow::redrive::{
    FailedEvents, InvocationRecord, MemoryFailedEvents, PortFuture, Received,
};
use serde::Serialize;
use serde_json::{Value, json};

use crate::state::{Status, Store, iso8601, lock, now};

/// Records kept at most; past this the oldest is dropped, with an error in the log.
pub const CAPACITY: usize = 10_000;

/// The local failure queue (the on-failure destination of every processor chime-local invokes):
/// `chime_flow::redrive`'s memory queue, bounded.
#[derive(Debug, Default)]
pub struct FailedEventQueue {
    records: MemoryFailedEvents,
}

impl FailedEventQueue {
    /// Keeps a record.
    pub fn push(&self, record: &InvocationRecord) {
        self.records
            .push(serde_json::to_string(record).unwrap_or_default());
        if self.records.len() > CAPACITY
            && let Some(dropped) = self.records.pop_oldest()
        {
            tracing::error!(
                record = dropped,
                capacity = CAPACITY,
                "failure queue full: the oldest record is dropped"
            );
        }
    }

    /// Every record with its id, oldest first: `{"FailedEvents": [{"Id", "Record"}]}`.
    pub fn list(&self) -> Value {
        let records: Vec<Value> = self
            .records
            .list()
            .into_iter()
            .map(|(id, body)| {
                json!({"Id": id.to_string(), "Record": serde_json::from_str::<Value>(&body).unwrap_or(Value::Null)})
            })
            .collect();
        json!({"FailedEvents": records})
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

impl FailedEvents for FailedEventQueue {
    fn receive(&self, max: usize) -> PortFuture<'_, Vec<Received>> {
        self.records.receive(max)
    }

    fn delete(&self, handle: &str) -> PortFuture<'_, ()> {
        self.records.delete(handle)
    }

    fn release(&self, handle: &str) -> PortFuture<'_, ()> {
        self.records.release(handle)
    }
}

/// A message waiting for its flow longer than asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Stuck {
    pub channel_arn: String,
    pub message_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_channel_id: Option<String>,
    pub callback_id: String,
    /// Since the message (or its edit) entered the flow.
    pub pending_since: String,
    pub pending_seconds: i64,
}

/// Messages PENDING for at least `older_than_seconds`, longest first, at most `limit` of them; and
/// how many there are in all.
pub fn pending_longer_than(store: &Store, older_than_seconds: i64, limit: usize) -> Value {
    let now = now();
    let mut stuck = Vec::new();
    for instance in store.all() {
        let instance = lock(&instance);
        for channel in instance.channels.values() {
            for position in 0..channel.message_count() {
                let Some(message) = channel.message_at(position) else {
                    continue;
                };
                let Some(pending) = message
                    .pending
                    .as_ref()
                    .filter(|_| message.status == Status::Pending)
                else {
                    continue;
                };
                let since = pending.edited_at.unwrap_or(message.created);
                let seconds = (now.0 - since.0) / 1000;
                if seconds >= older_than_seconds {
                    stuck.push(Stuck {
                        channel_arn: channel.arn.clone(),
                        message_id: message.id.clone(),
                        sub_channel_id: message.sub_channel.clone(),
                        callback_id: pending.callback_id.clone(),
                        pending_since: iso8601(since),
                        pending_seconds: seconds,
                    });
                }
            }
        }
    }
    stuck.sort_by_key(|s| std::cmp::Reverse(s.pending_seconds));
    let total = stuck.len();
    stuck.truncate(limit);
    json!({"Total": total, "OlderThanSeconds": older_than_seconds, "Pending": stuck})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(n: u32) -> InvocationRecord {
        InvocationRecord::retries_exhausted(
            "arn:aws:lambda:us-east-1:0:function:flow-pipeline",
            json!({"CallbackId": n}),
            3,
            "CallbackFailed",
            "x",
            "t".into(),
        )
    }

    #[test]
    fn the_queue_keeps_records_in_order_and_bounds_itself() {
        let queue = FailedEventQueue::default();
        for n in 0..(CAPACITY as u32 + 3) {
            queue.push(&record(n));
        }
        assert_eq!(queue.len(), CAPACITY);
        let listed = queue.list();
        assert_eq!(
            listed["FailedEvents"][0]["Record"]["requestPayload"]["CallbackId"], 3,
            "the oldest three dropped"
        );
    }
}
