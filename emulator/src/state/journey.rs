//! What happened to each message on its way through a flow (its journey), and a feed of which
//! messages changed: what the console shows. Kept beside the service's state, never part of its
//! answers. Bounded: the newest [`JOURNEYS_KEPT`] journeys and [`FEED_KEPT`] changes; a reader that
//! falls further behind is told to read afresh.

use super::times_and_ids::now_micros;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;
use serde_json::Value;

/// Journeys kept (the oldest is forgotten first): a load test's last seconds, a debugging session's
/// whole history.
pub const JOURNEYS_KEPT: usize = 20_000;
/// Changes kept for live readers: at thousands of messages a second, a reader polling four times a
/// second stays well inside it.
pub const FEED_KEPT: usize = 8_192;
/// Steps kept per journey: a message that loops through faults and retries stops growing here.
const STEPS_KEPT: usize = 64;

/// One thing that happened to a message in its flow.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "Kind")]
pub enum Step {
    /// The message (or an edit of it) entered its flow; `Text` is what the sender wrote.
    Entered {
        #[serde(rename = "Edit")]
        edit: bool,
        #[serde(rename = "Staged")]
        staged: bool,
    },
    /// An event was delivered to a processor (`Delivery` 2 is a duplicate delivery).
    Invoked {
        #[serde(rename = "Processor")]
        processor: String,
        #[serde(rename = "CallbackId")]
        callback_id: String,
        #[serde(rename = "Delivery")]
        delivery: u32,
    },
    /// The processor could not be reached; its FallbackAction applied.
    InvokeFailed {
        #[serde(rename = "Processor")]
        processor: String,
        #[serde(rename = "Fallback")]
        fallback: String,
        #[serde(rename = "Reason")]
        reason: String,
    },
    /// An in-process processor's own report of what it decided and how its callback went.
    Handled {
        #[serde(rename = "Function")]
        function: String,
        #[serde(rename = "Decision")]
        decision: Option<String>,
        #[serde(rename = "RuleId")]
        rule_id: Option<String>,
        #[serde(rename = "Redacted")]
        redacted: BTreeMap<String, u64>,
        #[serde(rename = "Outcome")]
        outcome: String,
        #[serde(rename = "Attempts")]
        attempts: u32,
    },
    /// The function failed (an error, not a decision): Lambda will retry the event.
    FunctionError {
        #[serde(rename = "Function")]
        function: String,
        #[serde(rename = "ErrorType")]
        error_type: String,
    },
    /// Lambda's asynchronous retry: delivery `Attempt` + 1 after a wait.
    AsyncRetry {
        #[serde(rename = "Attempt")]
        attempt: u32,
        #[serde(rename = "DelayMs")]
        delay_ms: u64,
    },
    /// Every delivery failed: the event is on the failure queue.
    FailureQueue {
        #[serde(rename = "Deliveries")]
        deliveries: u32,
    },
    /// A ChannelFlowCallback for this message reached chime-local, and what it answered.
    Callback {
        #[serde(rename = "CallbackId")]
        callback_id: String,
        #[serde(rename = "Status")]
        status: u16,
        #[serde(rename = "Code")]
        code: Option<String>,
        #[serde(rename = "Injected")]
        injected: bool,
    },
    /// What an accepted callback did, read from the callback itself (any processor, in-process or
    /// not): `deny`, `update` with the fields it changed and attributes it added, or `pass`.
    Decided {
        #[serde(rename = "Processor")]
        processor: String,
        #[serde(rename = "Decision")]
        decision: &'static str,
        #[serde(rename = "Changed")]
        changed: Vec<&'static str>,
        #[serde(rename = "AttributesAdded")]
        attributes_added: Vec<String>,
    },
    /// The flow is done with the message: `SENT`, `DENIED` or `FAILED`.
    Settled {
        #[serde(rename = "Status")]
        status: &'static str,
        #[serde(rename = "Detail")]
        detail: Option<String>,
    },
}

impl Step {
    /// What a processor built on `chime-flow` answered its invocation with (its `Handled`: the
    /// function's result, which Chime ignores), as a `Handled` step of the message it names; `None`
    /// for an answer of another shape (a processor of another kind).
    pub fn reported(function: &str, answer: &Value) -> Option<(String, Step)> {
        let text = |name: &str| answer.get(name).and_then(Value::as_str).map(str::to_owned);
        let message_id = text("message_id")?;
        let outcome = text("outcome")?;
        let redacted = answer
            .get("redacted")
            .and_then(Value::as_object)
            .map(|kinds| {
                kinds
                    .iter()
                    .filter_map(|(kind, count)| Some((kind.clone(), count.as_u64()?)))
                    .collect()
            })
            .unwrap_or_default();
        let step = Step::Handled {
            function: function.to_owned(),
            decision: text("decision"),
            rule_id: text("rule_id"),
            redacted,
            outcome,
            attempts: answer.get("attempts").and_then(Value::as_u64).unwrap_or(0) as u32,
        };
        Some((message_id, step))
    }
}

/// A step and when it happened.
#[derive(Debug, Clone, Serialize)]
pub struct Stamped {
    #[serde(rename = "AtMicros")]
    pub at: i64,
    #[serde(flatten)]
    pub step: Step,
}

/// A message's journey: who sent what, and each step since.
#[derive(Debug, Clone, Serialize)]
pub struct Journey {
    #[serde(rename = "ChannelArn")]
    pub channel_arn: String,
    #[serde(rename = "MessageId")]
    pub message_id: String,
    /// What the sender wrote (shown only here for a denied message, and marked as such).
    #[serde(rename = "Text")]
    pub text: String,
    #[serde(rename = "Processors")]
    pub processors: Vec<String>,
    #[serde(rename = "Steps")]
    pub steps: Vec<Stamped>,
}

impl Journey {
    /// The first step of a kind, when it happened.
    fn first(&self, kind: impl Fn(&Step) -> bool) -> Option<i64> {
        self.steps.iter().find(|s| kind(&s.step)).map(|s| s.at)
    }

    /// Sent → first processor started → first callback accepted → settled, in microseconds since
    /// the message entered its flow (absent for what has not happened).
    pub fn timings(&self) -> Timings {
        let entered = self.first(|s| matches!(s, Step::Entered { .. }));
        let since = |at: Option<i64>| entered.zip(at).map(|(from, to)| to - from);
        Timings {
            processor_started: since(self.first(|s| matches!(s, Step::Invoked { .. }))),
            callback_accepted: since(
                self.first(|s| matches!(s, Step::Callback { status: 200, .. })),
            ),
            settled: since(self.first(|s| matches!(s, Step::Settled { .. }))),
        }
    }
}

/// A journey's milestones, in microseconds after the message entered its flow.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Timings {
    #[serde(rename = "ProcessorStartedMicros")]
    pub processor_started: Option<i64>,
    #[serde(rename = "CallbackAcceptedMicros")]
    pub callback_accepted: Option<i64>,
    #[serde(rename = "SettledMicros")]
    pub settled: Option<i64>,
}

/// One change in the feed: message `message_id` of `channel_arn` changed (sent, edited, settled,
/// or a step of its journey).
#[derive(Debug, Clone)]
pub struct Change {
    pub seq: u64,
    pub channel_arn: Arc<str>,
    pub message_id: String,
}

/// What a reader gets from the feed: the changes since its last, or word that it fell behind.
#[derive(Debug)]
pub enum Since {
    Changes(Vec<Change>),
    FellBehind { seq: u64 },
}

#[derive(Debug, Default)]
struct Inner {
    journeys: HashMap<String, Journey>,
    /// Message ids in the order their journeys began (the oldest is forgotten first).
    order: VecDeque<String>,
    /// CallbackId → message id, so a callback refused before its input was read still finds its
    /// journey.
    by_callback: HashMap<String, String>,
    feed: VecDeque<Change>,
    seq: u64,
    /// The sequence number of the newest change no longer kept: a reader before it fell behind.
    dropped_through: u64,
}

impl Inner {
    /// Drops the CallbackIds of a journey no longer kept.
    fn forget_callbacks(&mut self, journey: Journey) {
        for step in journey.steps {
            if let Step::Invoked { callback_id, .. } = step.step {
                self.by_callback.remove(&callback_id);
            }
        }
    }
}

/// Every journey and the change feed.
#[derive(Debug)]
pub struct Journal {
    inner: Mutex<Inner>,
    /// The latest change's sequence number, for live readers to wait on.
    latest: tokio::sync::watch::Sender<u64>,
}

impl Default for Journal {
    fn default() -> Self {
        Self {
            inner: Mutex::default(),
            latest: tokio::sync::watch::Sender::new(0),
        }
    }
}

impl Journal {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Message `message_id` of `channel_arn` changed: readers of the feed hear of it. With no
    /// reader, nothing is kept (a reader starts from the moment it subscribes).
    pub fn changed(&self, channel_arn: &str, message_id: &str) {
        if self.latest.receiver_count() == 0 {
            return;
        }
        let seq = {
            let mut inner = self.lock();
            inner.seq += 1;
            let seq = inner.seq;
            // Consecutive changes of one message (its steps) are one entry.
            let repeat = inner
                .feed
                .back()
                .is_some_and(|last| last.message_id == message_id);
            if repeat {
                if let Some(last) = inner.feed.back_mut() {
                    last.seq = seq;
                }
            } else {
                if inner.feed.len() == FEED_KEPT
                    && let Some(dropped) = inner.feed.pop_front()
                {
                    inner.dropped_through = dropped.seq;
                }
                inner.feed.push_back(Change {
                    seq,
                    channel_arn: Arc::from(channel_arn),
                    message_id: message_id.to_owned(),
                });
            }
            seq
        };
        self.latest.send_replace(seq);
    }

    /// A new journey: the message (or an edit of it) entered its flow with `text`.
    pub fn entered(
        &self,
        (channel_arn, message_id): (&str, &str),
        text: &str,
        processors: Vec<String>,
        (edit, staged): (bool, bool),
    ) {
        {
            let mut inner = self.lock();
            let journey = Journey {
                channel_arn: channel_arn.to_owned(),
                message_id: message_id.to_owned(),
                text: text.to_owned(),
                processors,
                steps: vec![Stamped {
                    at: now_micros(),
                    step: Step::Entered { edit, staged },
                }],
            };
            // An edit starts the message's journey afresh; its earlier one is replaced.
            match inner.journeys.insert(message_id.to_owned(), journey) {
                Some(earlier) => inner.forget_callbacks(earlier),
                None => inner.order.push_back(message_id.to_owned()),
            }
            while inner.order.len() > JOURNEYS_KEPT {
                let Some(oldest) = inner.order.pop_front() else {
                    break;
                };
                if let Some(forgotten) = inner.journeys.remove(&oldest) {
                    inner.forget_callbacks(forgotten);
                }
            }
        }
        self.changed(channel_arn, message_id);
    }

    /// A step of message `message_id`'s journey (nothing when it has none, e.g. it was forgotten).
    pub fn step(&self, message_id: &str, step: Step) {
        let channel = {
            let mut guard = self.lock();
            let inner = &mut *guard;
            let Some(journey) = inner.journeys.get_mut(message_id) else {
                return;
            };
            if let Step::Invoked { callback_id, .. } = &step {
                inner
                    .by_callback
                    .insert(callback_id.clone(), message_id.to_owned());
            }
            if journey.steps.len() < STEPS_KEPT {
                journey.steps.push(Stamped {
                    at: now_micros(),
                    step,
                });
            }
            journey.channel_arn.clone()
        };
        self.changed(&channel, message_id);
    }

    /// A callback with `callback_id` belongs to message `message_id`'s journey (a staged event,
    /// whose processor chime-local does not invoke itself).
    pub fn awaiting(&self, message_id: &str, callback_id: &str) {
        let mut inner = self.lock();
        if inner.journeys.contains_key(message_id) {
            inner
                .by_callback
                .insert(callback_id.to_owned(), message_id.to_owned());
        }
    }

    /// A processor's answer to its invocation, when it is a `chime-flow` report (see
    /// [`Step::reported`]).
    pub fn report(&self, function: &str, answer: &Value) {
        if let Some((message_id, step)) = Step::reported(function, answer) {
            self.step(&message_id, step);
        }
    }

    /// A step of the journey whose processor holds `callback_id`.
    pub fn step_by_callback(&self, callback_id: &str, step: Step) {
        let message_id = self.lock().by_callback.get(callback_id).cloned();
        if let Some(message_id) = message_id {
            self.step(&message_id, step);
        }
    }

    /// Message `message_id`'s journey, if it has one.
    pub fn journey(&self, message_id: &str) -> Option<Journey> {
        self.lock().journeys.get(message_id).cloned()
    }

    /// The changes after `seq`, each message once (its latest), at most `limit`; or word that the
    /// reader fell behind what the feed keeps (or has more than `limit` to catch up on).
    pub fn since(&self, seq: u64, limit: usize) -> Since {
        let inner = self.lock();
        if seq < inner.dropped_through {
            return Since::FellBehind { seq: inner.seq };
        }
        let mut seen = std::collections::HashSet::new();
        let mut changes: Vec<Change> = inner
            .feed
            .iter()
            .rev()
            .take_while(|c| c.seq > seq)
            .filter(|c| seen.insert(c.message_id.as_str()))
            .cloned()
            .collect();
        if changes.len() > limit {
            return Since::FellBehind { seq: inner.seq };
        }
        changes.reverse();
        Since::Changes(changes)
    }

    /// The latest change's sequence number, to wait on.
    pub fn watch(&self) -> tokio::sync::watch::Receiver<u64> {
        self.latest.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invoked(callback_id: &str) -> Step {
        Step::Invoked {
            processor: "pipeline".into(),
            callback_id: callback_id.into(),
            delivery: 1,
        }
    }

    #[test]
    fn a_journey_collects_its_steps_and_timings() {
        let journal = Journal::default();
        journal.entered(("c", "m1"), "hi", vec!["pipeline".into()], (false, false));
        journal.step("m1", invoked("cb1"));
        journal.step_by_callback(
            "cb1",
            Step::Callback {
                callback_id: "cb1".into(),
                status: 429,
                code: Some("ThrottledClientException".into()),
                injected: true,
            },
        );
        journal.step_by_callback(
            "cb1",
            Step::Callback {
                callback_id: "cb1".into(),
                status: 200,
                code: None,
                injected: false,
            },
        );
        journal.step(
            "m1",
            Step::Settled {
                status: "SENT",
                detail: None,
            },
        );
        let journey = journal.journey("m1").expect("a journey for m1");
        let kinds: Vec<_> = journey
            .steps
            .iter()
            .map(|s| serde_json::to_value(s).expect("a step serializes")["Kind"].clone())
            .collect();
        assert_eq!(
            kinds,
            ["Entered", "Invoked", "Callback", "Callback", "Settled"]
        );
        let timings = journey.timings();
        let accepted = timings.callback_accepted.expect("an accepted callback");
        let last_callback = journey.steps[3].at - journey.steps[0].at;
        assert_eq!(accepted, last_callback, "the 429 is not the accepted one");
        assert!(timings.settled.expect("settled") >= accepted);
        assert!(journal.journey("other").is_none());
    }

    #[test]
    fn a_chime_flow_processors_answer_is_its_report() {
        let answer = serde_json::json!({"callback_id": "cb", "message_id": "m1", "decision": "update",
            "rule_id": null, "outcome": "sent", "attempts": 2, "redacted": {"email": 1}});
        let (message_id, step) = Step::reported("flow-pipeline", &answer).expect("a report");
        assert_eq!(message_id, "m1");
        assert_eq!(
            step,
            Step::Handled {
                function: "flow-pipeline".into(),
                decision: Some("update".into()),
                rule_id: None,
                redacted: [("email".to_owned(), 1)].into(),
                outcome: "sent".into(),
                attempts: 2,
            }
        );
        let other = serde_json::json!({"statusCode": 200});
        assert!(Step::reported("someone-elses", &other).is_none());
    }

    #[test]
    fn without_a_reader_the_feed_keeps_nothing() {
        let journal = Journal::default();
        journal.changed("c", "a");
        let reader = journal.watch();
        assert_eq!(*reader.borrow(), 0);
        let Since::Changes(none) = journal.since(0, 10) else {
            panic!("nothing to fall behind on");
        };
        assert!(none.is_empty());
    }

    #[test]
    fn the_feed_gives_each_changed_message_once_in_order() {
        let journal = Journal::default();
        let _reader = journal.watch();
        journal.changed("c", "a");
        journal.changed("c", "b");
        journal.changed("c", "a");
        journal.changed("c", "a");
        let Since::Changes(changes) = journal.since(0, 10) else {
            panic!("a reader from the start is not behind");
        };
        let ids: Vec<_> = changes.iter().map(|c| c.message_id.as_str()).collect();
        assert_eq!(ids, ["b", "a"]);
        let Since::Changes(none) = journal.since(changes[1].seq, 10) else {
            panic!("an up-to-date reader is not behind");
        };
        assert!(none.is_empty());
        assert!(matches!(journal.since(0, 1), Since::FellBehind { seq: 4 }));
    }

    #[test]
    fn a_reader_past_what_the_feed_keeps_reads_afresh() {
        let journal = Journal::default();
        let reader = journal.watch();
        for i in 0..FEED_KEPT + 10 {
            journal.changed("c", &i.to_string());
        }
        assert!(matches!(
            journal.since(3, usize::MAX),
            Since::FellBehind { .. }
        ));
        let latest = *reader.borrow();
        assert_eq!(latest, (FEED_KEPT + 10) as u64);
        let Since::Changes(recent) = journal.since(latest - 5, usize::MAX) else {
            panic!("a recent reader is not behind");
        };
        assert_eq!(recent.len(), 5);
    }

    #[test]
    fn an_edit_starts_the_journey_afresh_and_forgets_the_earlier_callbacks() {
        let journal = Journal::default();
        journal.entered(("c", "m"), "first", Vec::new(), (false, false));
        journal.step("m", invoked("old"));
        journal.entered(("c", "m"), "edited", Vec::new(), (true, false));
        let journey = journal.journey("m").expect("the edit's journey");
        assert_eq!(journey.text, "edited");
        assert_eq!(journey.steps.len(), 1);
        let refused = Step::FailureQueue { deliveries: 3 };
        journal.step_by_callback("old", refused);
        assert_eq!(journal.journey("m").expect("kept").steps.len(), 1);
        assert!(journal.lock().by_callback.is_empty());
    }

    #[test]
    fn old_journeys_are_forgotten_first() {
        let journal = Journal::default();
        for i in 0..JOURNEYS_KEPT + 3 {
            journal.entered(("c", &i.to_string()), "", Vec::new(), (false, false));
        }
        assert!(journal.journey("0").is_none());
        assert!(journal.journey("2").is_none());
        assert!(journal.journey("3").is_some());
        let last = (JOURNEYS_KEPT + 2).to_string();
        assert!(journal.journey(&last).is_some());
    }
}
