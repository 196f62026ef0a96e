//! Stages that await I/O: the runtime gives each event a budget from the invocation's deadline less
//! the callback's reserve, cancels a stage that overruns, lets its failure policy decide, and still
//! calls back exactly once — also when the stage hangs, panics across an `.await`, or finishes its
//! work after being cancelled. A pipeline mixes both kinds.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chime_flow::callback::RecordingSender;
use chime_flow::mixed::{MixedPipeline, Step};
use chime_flow::runtime::{Fallback, Processor};
use chime_flow::stage::{AsyncStage, Awaits, StageFuture};
use chime_flow::stages::enrichment::Enrichment;
use chime_flow::{ChannelMessage, Decision, Edits, FailurePolicy, Stage, StageError};

mod common;
use common::{config, event};

/// What a stage under test does after its first await.
enum Behaviour {
    /// Never answers.
    Hangs,
    /// Panics across an `.await`.
    Panics,
    /// Answers after this long, adding an attribute.
    Slow(Duration),
    /// Hands its work to a task that finishes after the stage is cancelled, then sets the flag.
    OutlivesCancellation(Arc<AtomicBool>),
}

struct Remote(Behaviour);

impl AsyncStage for Remote {
    fn name(&self) -> &str {
        "remote"
    }

    fn decide<'a>(&'a self, _message: &'a ChannelMessage, _budget: Duration) -> StageFuture<'a> {
        Box::pin(async move {
            tokio::task::yield_now().await;
            match &self.0 {
                Behaviour::Hangs => std::future::pending().await,
                Behaviour::Panics => panic!("the remote service's answer could not be read"),
                Behaviour::Slow(wait) => {
                    tokio::time::sleep(*wait).await;
                    Ok(Decision::update(
                        Edits::default().with_attribute("ticket", vec!["T-1".into()]),
                    ))
                }
                Behaviour::OutlivesCancellation(done) => {
                    let done = Arc::clone(done);
                    let work = tokio::spawn(async move {
                        tokio::time::sleep(Duration::from_millis(150)).await;
                        done.store(true, Ordering::SeqCst);
                        Decision::Pass
                    });
                    work.await.map_err(|e| StageError(e.to_string()))
                }
            }
        })
    }
}

async fn handled(
    stage: Remote,
    policy: FailurePolicy,
    pairs: &[(&str, &str)],
    deadline: Option<Instant>,
) -> (
    chime_flow::runtime::Handled,
    Processor<Awaits<Remote>, RecordingSender>,
    Duration,
) {
    let processor = Processor::new(
        Awaits(stage),
        RecordingSender::default(),
        config(policy, pairs),
    );
    let started = Instant::now();
    let handled = processor
        .handle_until(&event("hello"), deadline)
        .await
        .expect("a callback");
    (handled, processor, started.elapsed())
}

#[tokio::test]
async fn a_stage_that_hangs_is_cancelled_and_the_callback_still_made() {
    let (handled, processor, took) = handled(
        Remote(Behaviour::Hangs),
        FailurePolicy::Deny,
        &[("STAGE_TIMEOUT_MS", "80")],
        None,
    )
    .await;
    assert_eq!(handled.fallback, Some(Fallback::StageTimeout));
    assert_eq!(handled.rule_id.as_deref(), Some("failure-policy"));
    let sent = processor.sender().requests();
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0].delete_resource,
        "deny: the message is not let through"
    );
    assert!(
        took >= Duration::from_millis(80) && took < Duration::from_secs(2),
        "{took:?}"
    );
}

#[tokio::test]
async fn a_stage_that_panics_across_an_await_falls_back_once() {
    let (handled, processor, _) =
        handled(Remote(Behaviour::Panics), FailurePolicy::Pass, &[], None).await;
    assert_eq!(handled.fallback, Some(Fallback::StagePanic));
    let sent = processor.sender().requests();
    assert_eq!(sent.len(), 1);
    assert!(!sent[0].delete_resource);
    assert_eq!(
        sent[0].message.content.as_deref(),
        Some("hello"),
        "pass keeps the original"
    );
}

#[tokio::test]
async fn work_that_finishes_after_cancellation_sends_nothing_twice() {
    let done = Arc::new(AtomicBool::new(false));
    let (handled, processor, _) = handled(
        Remote(Behaviour::OutlivesCancellation(Arc::clone(&done))),
        FailurePolicy::Pass,
        &[("STAGE_TIMEOUT_MS", "30")],
        None,
    )
    .await;
    assert_eq!(handled.fallback, Some(Fallback::StageTimeout));
    for _ in 0..200 {
        if done.load(Ordering::SeqCst) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        done.load(Ordering::SeqCst),
        "the handed-off work did finish, later"
    );
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(
        processor.sender().requests().len(),
        1,
        "one callback, never a second"
    );
}

#[tokio::test]
async fn a_slow_stage_with_lambdas_deadline_near_is_cut_to_leave_the_callback_its_reserve() {
    // 400 ms to the deadline, 250 ms kept for the callback: the stage gets 150 ms, not its 10 s.
    let deadline = Instant::now() + Duration::from_millis(400);
    let (handled, processor, took) = handled(
        Remote(Behaviour::Slow(Duration::from_secs(10))),
        FailurePolicy::Deny,
        &[("CALLBACK_RESERVE_MS", "250")],
        Some(deadline),
    )
    .await;
    assert_eq!(handled.fallback, Some(Fallback::StageTimeout));
    assert_eq!(processor.sender().requests().len(), 1);
    assert!(
        Instant::now() < deadline,
        "called back before the deadline ({took:?})"
    );
    assert_eq!(
        processor.stage_budget(Some(Instant::now() + Duration::from_secs(60))),
        Duration::from_secs(10),
        "far from the deadline the stage timeout bounds the budget"
    );
    assert_eq!(processor.stage_budget(Some(Instant::now())), Duration::ZERO);
}

#[tokio::test]
async fn a_stage_within_its_budget_decides() {
    let (handled, processor, _) = handled(
        Remote(Behaviour::Slow(Duration::from_millis(5))),
        FailurePolicy::Deny,
        &[],
        None,
    )
    .await;
    assert_eq!(handled.fallback, None);
    assert_eq!(handled.decision, Some("update"));
    let sent = processor.sender().requests();
    assert_eq!(sent.len(), 1);
    assert!(sent[0].message.attributes.contains_key("ticket"));
}

/// A synchronous stage that denies one word: for the mixed pipeline.
struct Denies(&'static str);

impl Stage for Denies {
    fn name(&self) -> &str {
        "words"
    }

    fn decide(&self, message: &ChannelMessage) -> Result<Decision, StageError> {
        Ok(if message.text().contains(self.0) {
            Decision::deny("custom:word")
        } else {
            Decision::Pass
        })
    }
}

#[tokio::test]
async fn a_pipeline_mixes_synchronous_and_awaiting_stages_each_under_its_policy() {
    let pipeline = |remote: Behaviour, policy: FailurePolicy| {
        MixedPipeline::new(vec![
            (
                Step::Now(Box::new(Denies("forbidden"))),
                FailurePolicy::Deny,
            ),
            (Step::Awaits(Box::new(Remote(remote))), policy),
            (
                Step::Now(Box::new(Enrichment::default())),
                FailurePolicy::Pass,
            ),
        ])
    };
    let run = |pipeline: MixedPipeline, content: &'static str| async move {
        let processor = Processor::new(
            Awaits(pipeline),
            RecordingSender::default(),
            config(FailurePolicy::Deny, &[("STAGE_TIMEOUT_MS", "300")]),
        );
        let handled = processor.handle(&event(content)).await.expect("a callback");
        (handled, processor.sender().requests())
    };
    // Every stage ran: the awaiting one's attribute and enrichment's, merged into one callback.
    let (handled, sent) = run(
        pipeline(
            Behaviour::Slow(Duration::from_millis(1)),
            FailurePolicy::Deny,
        ),
        "see you at noon",
    )
    .await;
    assert_eq!(handled.decision, Some("update"));
    let attributes = sent[0].message.attributes.clone();
    assert!(
        attributes.contains_key("ticket") && attributes.contains_key("hasLink"),
        "{attributes:?}"
    );
    // The synchronous stage denies before the awaiting one is asked.
    let (handled, _) = run(
        pipeline(Behaviour::Hangs, FailurePolicy::Deny),
        "a forbidden word",
    )
    .await;
    assert_eq!(handled.rule_id.as_deref(), Some("words/custom:word"));
    // The awaiting stage runs out of time: `pass` skips it, `deny` stops with its rule.
    let (handled, sent) = run(pipeline(Behaviour::Hangs, FailurePolicy::Pass), "hello").await;
    assert_eq!(handled.decision, Some("update"));
    assert_eq!(sent.len(), 1);
    let (handled, _) = run(pipeline(Behaviour::Hangs, FailurePolicy::Deny), "hello").await;
    assert_eq!(handled.rule_id.as_deref(), Some("remote/failed"));
    let names = pipeline(Behaviour::Hangs, FailurePolicy::Pass);
    assert_eq!(names.stage_names(), ["words", "remote", "enrichment"]);
}
