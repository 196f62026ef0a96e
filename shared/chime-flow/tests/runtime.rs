//! The runtime's exactly-once guarantee, failure policies, idempotency and log hygiene, with a
//! recording sender (no network: the wire is tested in `flow-tests`).

use chime_flow::callback::{CallbackError, CallbackSender, Delivered, Failure, RecordingSender};
use chime_flow::runtime::{Fallback, Processor, ProcessorError};
use chime_flow::{
    CallbackRequest, Decision, Edits, Env, FailurePolicy, ProcessorConfig, Stage, StageError,
};
use serde_json::{Value, json};

mod common;
use common::{Fixed, Panics, config, event};

async fn run_one<S: Stage>(
    stage: S,
    policy: FailurePolicy,
    payload: Value,
) -> (
    Result<chime_flow::runtime::Handled, ProcessorError>,
    Vec<CallbackRequest>,
) {
    let processor = Processor::new(stage, RecordingSender::default(), config(policy, &[]));
    let handled = processor.handle(&payload).await;
    (handled, processor.sender().requests())
}

#[tokio::test]
async fn a_stage_error_still_calls_back_with_the_policy() {
    let failing = || Fixed(Err(StageError("rules unavailable".into())));
    let (handled, sent) = run_one(failing(), FailurePolicy::Deny, event("hi")).await;
    let handled = handled.unwrap();
    assert_eq!(sent.len(), 1);
    assert!(sent[0].delete_resource);
    assert_eq!(handled.fallback, Some(Fallback::StageError));
    assert_eq!(handled.rule_id.as_deref(), Some("failure-policy"));

    let (_, sent) = run_one(failing(), FailurePolicy::Pass, event("hi")).await;
    assert_eq!(sent.len(), 1);
    assert!(!sent[0].delete_resource);
    assert_eq!(
        sent[0].message.content.as_deref(),
        Some("hi"),
        "pass keeps the original"
    );
    assert_eq!(sent[0].message.sub_channel_id.as_deref(), Some("sub-7"));
}

#[tokio::test]
async fn a_stage_panic_still_calls_back() {
    let (handled, sent) = run_one(Panics, FailurePolicy::Deny, event("boom")).await;
    assert_eq!(handled.unwrap().fallback, Some(Fallback::StagePanic));
    assert_eq!(sent.len(), 1);
    assert!(sent[0].delete_resource);
}

#[tokio::test]
async fn a_result_over_the_limits_falls_back_instead_of_being_rejected() {
    let stage = Fixed(Ok(Decision::Update(
        Edits::default().with_metadata("m".repeat(2000)),
    )));
    let (handled, sent) = run_one(stage, FailurePolicy::Pass, event("hi")).await;
    assert_eq!(handled.unwrap().fallback, Some(Fallback::OverLimits));
    assert_eq!(
        sent[0].message.metadata.as_deref(),
        Some("{\"secretMeta\":\"Zorblax\"}")
    );
}

#[tokio::test]
async fn an_unreadable_body_is_answered_by_ids() {
    let mut payload = event("hi");
    payload["ChannelMessage"]["Content"] = json!(["not", "text"]);
    let (handled, sent) = run_one(Fixed(Ok(Decision::Pass)), FailurePolicy::Pass, payload).await;
    assert_eq!(handled.unwrap().fallback, Some(Fallback::UnreadableBody));
    assert_eq!(sent[0].message.content, None);
    assert_eq!(sent[0].message.message_id, "msg-1");
}

#[tokio::test]
async fn unusable_ids_are_a_lambda_error_without_callback() {
    let mut payload = event("hi");
    payload["CallbackId"] = json!("short");
    let (handled, sent) = run_one(Fixed(Ok(Decision::Pass)), FailurePolicy::Pass, payload).await;
    let error = handled.unwrap_err();
    assert!(sent.is_empty());
    let diagnostic = lambda_runtime::Diagnostic::from(error);
    assert_eq!(diagnostic.error_type, "InvalidEvent");
    assert_eq!(
        diagnostic.error_message,
        "unusable event, no callback possible: CallbackId: length 5, must be 32–64"
    );
}

#[tokio::test]
async fn a_repeat_delivery_to_the_same_container_is_skipped() {
    let processor = Processor::new(
        Fixed(Ok(Decision::Pass)),
        RecordingSender::default(),
        config(FailurePolicy::Pass, &[]),
    );
    let first = processor.handle(&event("hi")).await.unwrap();
    let second = processor.handle(&event("hi")).await.unwrap();
    assert_eq!(first.outcome, "sent");
    assert_eq!(second.outcome, "duplicate-skipped");
    assert_eq!(processor.sender().requests().len(), 1);
}

/// A sender whose callback fails for good: the handler returns an error so Lambda retries.
struct Broken;
impl CallbackSender for Broken {
    async fn send(&self, _: &CallbackRequest) -> Result<Delivered, CallbackError> {
        Err(CallbackError::GaveUp {
            attempts: 3,
            last: Failure::classify(None, Some(503), "down", false),
        })
    }
}

#[tokio::test]
async fn a_failed_callback_is_a_lambda_error_and_not_remembered() {
    let processor = Processor::new(
        Fixed(Ok(Decision::Pass)),
        Broken,
        config(FailurePolicy::Pass, &[]),
    );
    let error = processor.handle(&event("hi")).await.unwrap_err();
    assert_eq!(
        lambda_runtime::Diagnostic::from(error).error_type,
        "CallbackFailed"
    );
    // Not remembered as done: the retry of the same event is processed again.
    assert!(processor.handle(&event("hi")).await.is_err());
}

/// Every Embedded Metric Format line the runtime writes — over every sample event through the
/// pipeline (passes, updates with redactions, denials, unreadable bodies), a stage that errors, one
/// that panics and a repeat — meets the format's specification and carries no message content.
#[tokio::test]
async fn every_metrics_line_meets_the_embedded_metric_format() {
    use std::sync::{Arc, Mutex};

    let lines: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink_lines = Arc::clone(&lines);
    let sink: chime_flow::runtime::MetricsSink = Arc::new(move |line: &str| {
        sink_lines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(line.to_owned());
    });
    let env = Env::from_pairs([("AWS_LAMBDA_FUNCTION_NAME", "flow-pipeline")]);
    let config = ProcessorConfig::from_env(&env, FailurePolicy::Deny).unwrap();
    assert_eq!(config.metrics_function.as_deref(), Some("flow-pipeline"));
    let pipeline = chime_flow::stages::pipeline::Pipeline::from_env(&Env::default()).unwrap();
    let processor = Processor::new(pipeline, RecordingSender::default(), config.clone())
        .with_metrics_sink(Arc::clone(&sink));
    let events_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/events");
    let mut contents = Vec::new();
    let mut handled = 0;
    for entry in std::fs::read_dir(events_dir).expect("tests/events") {
        let path = entry.expect("an entry").path();
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(payload) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        if let Some(content) = payload
            .pointer("/ChannelMessage/Content")
            .and_then(Value::as_str)
            && content.len() > 6
        {
            contents.push(content.to_owned());
        }
        if processor.handle(&payload).await.is_ok() {
            handled += 1;
        }
    }
    assert!(handled >= 10, "{handled} sample events handled");
    // The repeat of the last handled event is skipped, and says so.
    let repeat = event("hello again");
    processor.handle(&repeat).await.unwrap();
    processor.handle(&repeat).await.unwrap();
    for stage in [
        Box::new(Fixed(Err(StageError("rules unavailable".into())))) as Box<dyn Stage>,
        Box::new(Panics),
    ] {
        let failing = Processor::new(stage, RecordingSender::default(), config.clone())
            .with_metrics_sink(Arc::clone(&sink));
        failing.handle(&event("Zorblax")).await.unwrap();
    }
    let lines = lines.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert!(lines.len() >= handled + 4, "{} lines", lines.len());
    for line in &lines {
        assert_eq!(chime_flow::metrics::check_line(line), Ok(()), "{line}");
        for content in &contents {
            assert!(!line.contains(content.as_str()), "content in {line}");
        }
        assert!(!line.contains("Zorblax"), "content in {line}");
    }
    let parsed: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_default())
        .collect();
    let count = |field: &str, value: &str| parsed.iter().filter(|l| l[field] == value).count();
    assert!(count("Decision", "deny") >= 1, "a denial among the samples");
    assert!(
        count("Decision", "update") >= 1,
        "an update among the samples"
    );
    assert!(parsed.iter().any(|l| l["Redactions"].as_u64() > Some(0)));
    assert_eq!(count("CallbackOutcome", "duplicate-skipped"), 1);
    assert_eq!(count("Fallback", "stage-error"), 1);
    assert_eq!(count("Fallback", "stage-panic"), 1);
    assert!(count("RuleCategory", "none") >= 1);
    // The process's first event (maybe another test's: they share the process) is its cold start.
    assert!(parsed.iter().filter(|l| l["ColdStart"] == 1).count() <= 1);
}

/// Redaction counts reach the metrics from the stage itself, wherever its record goes: here to the
/// metadata only (no attribute at all) — and through the pipeline, which sums them.
#[tokio::test]
async fn redaction_counts_reach_the_metrics_whatever_the_record() {
    use std::sync::{Arc, Mutex};

    let lines: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink_lines = Arc::clone(&lines);
    let sink: chime_flow::runtime::MetricsSink = Arc::new(move |line: &str| {
        sink_lines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(line.to_owned());
    });
    let env = Env::from_pairs([("REDACTION_RECORD", "metadata")]);
    let pipeline = chime_flow::stages::pipeline::Pipeline::from_env(&env).unwrap();
    let processor = Processor::new(
        pipeline,
        RecordingSender::default(),
        config(FailurePolicy::Deny, &[]),
    )
    .with_metrics_sink(sink);
    processor
        .handle(&event(
            "mail a@example.com or b@example.org, call +1 415 555 0132",
        ))
        .await
        .unwrap();
    let sent = processor.sender().requests();
    assert!(
        !sent[0].message.attributes.contains_key("redactions"),
        "no attribute written"
    );
    let line: Value = lines
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .first()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or_default();
    assert_eq!(line["Redactions.email"], 2, "{line}");
    assert_eq!(line["Redactions.phone"], 1, "{line}");
    assert_eq!(line["Redactions"], 3);
}
