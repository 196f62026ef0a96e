//! The Comprehend escalation through the real AWS SDK against a loopback stand-in that speaks
//! Comprehend's JSON 1.1 protocol (`X-Amz-Target: Comprehend_20171127.DetectToxicContent`): a toxic
//! message is denied with its worst label, a calm one passes, throttling is retried by the SDK,
//! a 5xx that persists and a slow answer fall to the failure policy — and every event gets exactly
//! one callback. The pipeline's word lists run first: what they deny never reaches Comprehend.
#![cfg(feature = "comprehend")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chime_flow::callback::RecordingSender;
use chime_flow::comprehend::{Escalation, EscalationConfig, SdkToxicity};
use chime_flow::mixed::MixedPipeline;
use chime_flow::runtime::Processor;
use chime_flow::stage::Awaits;
use chime_flow::stages::pipeline::Pipeline;
use chime_flow::{Env, FailurePolicy, ProcessorConfig};
use serde_json::{Value, json};

/// How the stand-in answers.
#[derive(Clone, Copy)]
enum Mode {
    /// Scores each segment: `0.92` (INSULT) when it says "worthless", `0.04` otherwise.
    Scores,
    /// `TooManyRequestsException` for the first two requests, then scores.
    ThrottlesTwice,
    /// `InternalServerException` (500), always.
    Fails,
    /// Scores after three seconds.
    Slow,
    /// Answers 200 with results that carry no `Toxicity` (labels only).
    NoScore,
}

struct StandIn {
    mode: Mode,
    requests: AtomicUsize,
    /// Each request's (language, segment count), for the assertions.
    seen: std::sync::Mutex<Vec<(String, usize)>>,
}

async fn detect(State(stand_in): State<Arc<StandIn>>, headers: HeaderMap, body: Bytes) -> Response {
    let number = stand_in.requests.fetch_add(1, Ordering::SeqCst) + 1;
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok());
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok());
    if target != Some("Comprehend_20171127.DetectToxicContent")
        || content_type != Some("application/x-amz-json-1.1")
        || !headers.contains_key("authorization")
    {
        return error(StatusCode::BAD_REQUEST, "InvalidRequestException");
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "InvalidRequestException");
    };
    let segments: Vec<&str> = request["TextSegments"]
        .as_array()
        .map(|list| list.iter().filter_map(|s| s["Text"].as_str()).collect())
        .unwrap_or_default();
    let language = request["LanguageCode"].as_str().unwrap_or_default();
    stand_in
        .seen
        .lock()
        .expect("seen")
        .push((language.to_owned(), segments.len()));
    if segments.is_empty() || segments.iter().any(|s| s.len() > 1_024) {
        return error(StatusCode::BAD_REQUEST, "TextSizeLimitExceededException");
    }
    match stand_in.mode {
        Mode::ThrottlesTwice if number <= 2 => {
            return error(StatusCode::BAD_REQUEST, "TooManyRequestsException");
        }
        Mode::Fails => return error(StatusCode::INTERNAL_SERVER_ERROR, "InternalServerException"),
        Mode::Slow => tokio::time::sleep(Duration::from_secs(3)).await,
        _ => {}
    }
    let results: Vec<Value> = segments
        .iter()
        .map(|text| {
            let toxic = text.contains("worthless");
            let score = if toxic { 0.92 } else { 0.04 };
            if matches!(stand_in.mode, Mode::NoScore) {
                return json!({"Labels": [{"Name": "INSULT", "Score": score}]});
            }
            json!({"Toxicity": score, "Labels": [
                {"Name": "INSULT", "Score": score},
                {"Name": "PROFANITY", "Score": score / 2.0},
            ]})
        })
        .collect();
    (
        [("content-type", "application/x-amz-json-1.1")],
        json!({"ResultList": results}).to_string(),
    )
        .into_response()
}

fn error(status: StatusCode, code: &str) -> Response {
    (
        status,
        [
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amzn-errortype", code),
        ],
        json!({"__type": code, "Message": "stand-in"}).to_string(),
    )
        .into_response()
}

/// A running stand-in on 127.0.0.1; stopped when dropped.
struct Running {
    stand_in: Arc<StandIn>,
    url: String,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn start(mode: Mode) -> Running {
    let stand_in = Arc::new(StandIn {
        mode,
        requests: AtomicUsize::new(0),
        seen: std::sync::Mutex::new(Vec::new()),
    });
    let app = Router::new()
        .route("/", post(detect))
        .with_state(Arc::clone(&stand_in));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Running {
        stand_in,
        url,
        server,
    }
}

async fn sdk_config(url: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(url)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_comprehend::config::Credentials::new(
            "AKIDSTANDIN",
            "stand-in-secret",
            None,
            None,
            "test",
        ))
        .load()
        .await
}

/// The flow pipeline as `COMPREHEND_ESCALATION=on` deploys it: the word-list stages, then Comprehend.
async fn processor(
    running: &Running,
    policy: FailurePolicy,
) -> Processor<Awaits<MixedPipeline>, RecordingSender> {
    let stages = MixedPipeline::from(Pipeline::from_env(&Env::default()).expect("pipeline"));
    escalating(running, stages, policy, &[]).await
}

/// `before`, then the Comprehend step under `policy`, run by a processor configured with `env`.
async fn escalating(
    running: &Running,
    before: MixedPipeline,
    policy: FailurePolicy,
    env: &[(&str, &str)],
) -> Processor<Awaits<MixedPipeline>, RecordingSender> {
    let sdk = sdk_config(&running.url).await;
    let escalation = Escalation::new(SdkToxicity::new(&sdk), EscalationConfig::default());
    let pipeline = before.then_awaiting(Box::new(escalation), policy);
    let env = Env::from_pairs(env.iter().copied());
    let config = ProcessorConfig::from_env(&env, FailurePolicy::Deny).expect("config");
    Processor::new(Awaits(pipeline), RecordingSender::default(), config)
}

/// A processor event; each content its own CallbackId (one callback per processing).
fn event(content: &str) -> Value {
    use std::hash::{BuildHasher, RandomState};
    let callback_id = format!("{:032x}", RandomState::new().hash_one(content));
    json!({"EventType": "CHANNEL_MESSAGE_EVENT", "CallbackId": callback_id,
        "ChannelMessage": {"MessageId": "msg-1",
            "ChannelArn": "arn:aws:chime:us-east-1:123456789012:app-instance/app/channel/chan",
            "Content": content}})
}

#[tokio::test]
async fn toxic_text_the_lists_missed_is_denied_by_its_worst_label() {
    let running = start(Mode::Scores).await;
    let processor = processor(&running, FailurePolicy::Pass).await;
    let denied = processor
        .handle(&event("honestly you are worthless and everyone knows it"))
        .await
        .expect("handled");
    assert_eq!(denied.decision, Some("deny"));
    assert_eq!(
        denied.rule_id.as_deref(),
        Some("comprehend/toxicity:insult")
    );
    let passed = processor
        .handle(&event("see you at the standup tomorrow morning, thanks"))
        .await
        .expect("handled");
    assert_eq!(passed.decision, Some("update"), "enrichment's attributes");
    let requests = processor.sender().requests();
    assert_eq!(requests.len(), 2, "one callback per event");
    assert!(requests[0].delete_resource && !requests[1].delete_resource);
    assert_eq!(
        running.stand_in.seen.lock().expect("seen").clone(),
        [("en".to_owned(), 1), ("en".to_owned(), 1)]
    );
}

#[tokio::test]
async fn what_the_lists_deny_and_other_languages_never_reach_comprehend() {
    let running = start(Mode::Scores).await;
    let processor = processor(&running, FailurePolicy::Pass).await;
    let listed = processor
        .handle(&event("you are a b1tch"))
        .await
        .expect("handled");
    assert!(
        listed
            .rule_id
            .as_deref()
            .is_some_and(|r| r.starts_with("moderation/")),
        "{:?}",
        listed.rule_id
    );
    processor
        .handle(&event(
            "nous nous retrouverons demain matin pour la réunion hebdomadaire",
        ))
        .await
        .expect("handled");
    assert_eq!(running.stand_in.requests.load(Ordering::SeqCst), 0);
    assert_eq!(processor.sender().requests().len(), 2);
}

#[tokio::test]
async fn a_long_message_goes_in_segments_under_the_size_limit() {
    let running = start(Mode::Scores).await;
    let processor = processor(&running, FailurePolicy::Pass).await;
    let long = "the quarterly report is ready for everyone to review today ".repeat(60);
    processor.handle(&event(&long)).await.expect("handled");
    let seen = running.stand_in.seen.lock().expect("seen").clone();
    assert_eq!(seen, [("en".to_owned(), long.len().div_ceil(1_000))]);
}

#[tokio::test]
async fn throttling_is_retried_by_the_sdk_within_the_budget() {
    let running = start(Mode::ThrottlesTwice).await;
    let processor = processor(&running, FailurePolicy::Deny).await;
    let handled = processor
        .handle(&event("honestly you are worthless and everyone knows it"))
        .await
        .expect("handled");
    assert_eq!(
        handled.rule_id.as_deref(),
        Some("comprehend/toxicity:insult")
    );
    assert_eq!(running.stand_in.requests.load(Ordering::SeqCst), 3);
    assert_eq!(processor.sender().requests().len(), 1);
}

#[tokio::test]
async fn a_failing_comprehend_falls_to_its_policy_once() {
    for (policy, delete) in [(FailurePolicy::Pass, false), (FailurePolicy::Deny, true)] {
        let running = start(Mode::Fails).await;
        let processor = processor(&running, policy).await;
        let handled = processor
            .handle(&event("honestly you are worthless and everyone knows it"))
            .await
            .expect("handled");
        let requests = processor.sender().requests();
        assert_eq!(requests.len(), 1, "{policy:?}");
        assert_eq!(requests[0].delete_resource, delete, "{policy:?}");
        if delete {
            assert_eq!(handled.rule_id.as_deref(), Some("comprehend/failed"));
        }
        // The SDK's standard retries: three attempts at a 500.
        assert_eq!(running.stand_in.requests.load(Ordering::SeqCst), 3);
    }
}

#[tokio::test]
async fn an_answer_without_a_toxicity_score_is_a_failure_never_a_pass() {
    let running = start(Mode::NoScore).await;
    let processor = processor(&running, FailurePolicy::Deny).await;
    let handled = processor
        .handle(&event("honestly you are worthless and everyone knows it"))
        .await
        .expect("handled");
    let requests = processor.sender().requests();
    assert_eq!(requests.len(), 1);
    assert!(
        requests[0].delete_resource,
        "the Deny policy decided, not a score of 0"
    );
    assert_eq!(handled.rule_id.as_deref(), Some("comprehend/failed"));
}

#[tokio::test]
async fn a_slow_answer_is_cut_at_the_budget_and_the_callback_made_once() {
    let running = start(Mode::Slow).await;
    let started = Instant::now();
    // Lambda's deadline 1.4 s away, 1 s of it reserved for the callback: Comprehend gets < 0.4 s.
    let deadline = Instant::now() + Duration::from_millis(1_400);
    let processor = escalating(
        &running,
        MixedPipeline::new(Vec::new()),
        FailurePolicy::Pass,
        &[("CALLBACK_RESERVE_MS", "1000")],
    )
    .await;
    let handled = processor
        .handle_until(
            &event("honestly you are worthless and everyone knows it"),
            Some(deadline),
        )
        .await
        .expect("handled");
    assert!(
        started.elapsed() < Duration::from_millis(1_400),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(processor.sender().requests().len(), 1);
    assert!(
        !processor.sender().requests()[0].delete_resource,
        "pass policy"
    );
    assert_eq!(
        handled.fallback, None,
        "the step's own policy decided, before the runtime's timeout"
    );
    assert_eq!(handled.decision, Some("pass"));
}
