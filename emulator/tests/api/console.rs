//! The console: its page and API over HTTP, each message's journey as the SDK's messages make it
//! (a denial with its rule, a redaction with its kinds, an injected callback fault), the live feed;
//! and the whole page in Debian's headless Chromium (`emulator/tests/browser/`, playwright-core).
//! CI installs Chromium, runs `npm ci` there and sets CHIME_LOCAL_REQUIRE_BROWSER=1 so the browser
//! test never goes unrun; elsewhere, without them, it says so and passes.

use std::path::Path;
use std::time::Duration;

use aws_sdk_chimesdkmessaging::types::FallbackAction;
use bytes::Bytes;
use chime_local::emulator::faults::{FaultRule, Faults};
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

use crate::common::{
    Answer, StubServer, World, encode, node_report, outside_client_runs, pipeline_processor,
    processor, raw,
};

const BROWSER_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser");
const CHROMIUM: &str = "/usr/bin/chromium";

/// `GET` of a console API path; the status and the JSON answered.
async fn get(world: &World, path: &str) -> (u16, Value) {
    let answer = raw(&world.running.endpoint, "GET", path, None, "").await;
    let body = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
    (answer.status, body)
}

/// A world with the pipeline as its flow, a channel with it, and `text` sent by the first user and
/// settled: the channel, the message id and its console detail.
async fn sent_through_the_pipeline(world: &World, text: &str) -> (String, String, Value) {
    let flow = world.flow(vec![pipeline_processor()]).await;
    let channel = world.channel_with_flow(&flow).await;
    let (id, _) = world.send(&channel, &world.users[0], text).await;
    world.settled(&channel, &world.users[0], &id, None).await;
    let detail = detail_when_handled(world, &channel, &id).await;
    (channel, id, detail)
}

/// The console's detail of a message once its processor has reported (bounded: 5 s).
async fn detail_when_handled(world: &World, channel: &str, id: &str) -> Value {
    let path = format!(
        "/_chime-local/console/api/message?channel={}&id={id}",
        encode(channel)
    );
    let mut detail = Value::Null;
    for _ in 0..500 {
        let (status, body) = get(world, &path).await;
        assert_eq!(status, 200, "{body}");
        detail = body;
        if kinds(&detail).contains(&"Handled".to_owned()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    detail
}

fn kinds(detail: &Value) -> Vec<String> {
    detail["Journey"]["Steps"]
        .as_array()
        .map(|steps| {
            steps
                .iter()
                .filter_map(|s| s["Kind"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn step<'a>(detail: &'a Value, kind: &str) -> &'a Value {
    detail["Journey"]["Steps"]
        .as_array()
        .and_then(|steps| steps.iter().find(|s| s["Kind"] == kind))
        .unwrap_or_else(|| panic!("no {kind} step in {detail}"))
}

#[tokio::test]
async fn the_console_serves_its_page_script_and_style_from_the_binary() {
    let world = World::new(1).await;
    let endpoint = world.running.endpoint.clone();
    let page = raw(&endpoint, "GET", "/_chime-local/console/", None, "").await;
    assert_eq!(page.status, 200);
    assert!(
        page.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.body.contains("<script src=\"console.js\"></script>"));
    assert!(!page.body.contains("http"), "nothing loaded from elsewhere");
    for (asset, kind) in [
        ("console.js", "text/javascript"),
        ("console.css", "text/css"),
    ] {
        let answer = raw(
            &endpoint,
            "GET",
            &format!("/_chime-local/console/{asset}"),
            None,
            "",
        )
        .await;
        assert_eq!(answer.status, 200, "{asset}");
        assert!(
            answer.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with(kind)
        );
    }
    let (status, samples) = get(&world, "/_chime-local/console/api/samples").await;
    assert_eq!(status, 200);
    assert!(
        samples["Samples"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["Name"] == "pii.json")
    );
    let (status, overview) = get(&world, "/_chime-local/console/api/overview").await;
    assert_eq!(status, 200);
    assert_eq!(overview["Instances"][0]["Arn"], world.instance.as_str());
    world.stop().await;
}

#[tokio::test]
async fn bad_console_requests_name_what_was_wrong() {
    let world = World::new(1).await;
    let endpoint = world.running.endpoint.clone();
    let cases = [
        (
            "GET",
            "/_chime-local/console/api/messages".to_owned(),
            400,
            "channel: missing",
        ),
        (
            "GET",
            format!(
                "/_chime-local/console/api/messages?channel={}&limit=9999",
                encode(&world.instance)
            ),
            400,
            "limit: \\\"9999\\\" is not a whole number up to 500",
        ),
        (
            "GET",
            format!(
                "/_chime-local/console/api/message?channel={}",
                encode(&world.instance)
            ),
            400,
            "id: missing",
        ),
        (
            "GET",
            format!(
                "/_chime-local/console/api/messages?channel={}/channel/none",
                encode(&world.instance)
            ),
            404,
            "not found",
        ),
        (
            "GET",
            "/_chime-local/console/nothing.png".to_owned(),
            404,
            "the console has no",
        ),
        (
            "POST",
            "/_chime-local/console/api/overview".to_owned(),
            400,
            "GET only",
        ),
    ];
    for (method, path, status, says) in cases {
        let answer = raw(&endpoint, method, &path, None, "").await;
        assert_eq!(answer.status, status, "{method} {path}: {}", answer.body);
        assert!(answer.body.contains(says), "{path}: {}", answer.body);
    }
    world.stop().await;
}

#[tokio::test]
async fn a_denied_message_shows_its_rule_and_keeps_its_text_in_its_journey_only() {
    let world = World::new(1).await;
    let (channel, id, detail) = sent_through_the_pipeline(&world, "this build is shit").await;
    assert_eq!(detail["Status"], "DENIED");
    assert_eq!(detail["Content"], Value::Null, "hidden outside the journey");
    assert_eq!(detail["Journey"]["Text"], "this build is shit");
    assert_eq!(
        kinds(&detail),
        [
            "Entered", "Invoked", "Callback", "Decided", "Settled", "Handled"
        ]
    );
    assert_eq!(step(&detail, "Decided")["Decision"], "deny");
    assert_eq!(step(&detail, "Settled")["Status"], "DENIED");
    let rule = step(&detail, "Handled")["RuleId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(rule.starts_with("moderation/profanity"), "{rule}");
    let timings = &detail["Timings"];
    let started = timings["ProcessorStartedMicros"].as_i64().unwrap();
    let accepted = timings["CallbackAcceptedMicros"].as_i64().unwrap();
    assert!(0 <= started && started <= accepted, "{timings}");
    assert!(accepted <= timings["SettledMicros"].as_i64().unwrap());
    // The list shows the verdict in brief, newest first.
    let path = format!(
        "/_chime-local/console/api/messages?channel={}",
        encode(&channel)
    );
    let (_, page) = get(&world, &path).await;
    let listed = &page["Messages"][0];
    assert_eq!(listed["MessageId"], id.as_str());
    assert_eq!(listed["Verdict"]["RuleId"], rule.as_str());
    world.stop().await;
}

#[tokio::test]
async fn a_redacted_message_shows_the_kinds_masked_and_attributes_added() {
    let world = World::new(1).await;
    let text = "Card 4242 4242 4242 4242, mail bob@example.com";
    let (_, _, detail) = sent_through_the_pipeline(&world, text).await;
    assert_eq!(detail["Status"], "SENT");
    assert_eq!(detail["Content"], "Card [CARD], mail [EMAIL]");
    assert_eq!(detail["Journey"]["Text"], text);
    assert_eq!(
        step(&detail, "Handled")["Redacted"],
        json!({"card": 1, "email": 1})
    );
    let decided = step(&detail, "Decided");
    assert_eq!(decided["Decision"], "update");
    assert!(
        decided["Changed"]
            .as_array()
            .unwrap()
            .contains(&json!("Content"))
    );
    assert!(
        decided["AttributesAdded"]
            .as_array()
            .unwrap()
            .contains(&json!("redactions")),
        "{decided}"
    );
    world.stop().await;
}

#[tokio::test]
async fn an_injected_callback_fault_and_lambdas_retry_are_in_the_journey() {
    let world = World::new(1).await;
    let reject_once = FaultRule {
        reject_first: 1,
        ..FaultRule::default()
    };
    let faults = Faults([("ChannelFlowCallback".to_owned(), reject_once)].into());
    world.running.emulator.set_faults(faults).unwrap();
    let flow = world.flow(vec![pipeline_processor()]).await;
    let channel = world.channel_with_flow(&flow).await;
    let (id, _) = world.send(&channel, &world.users[0], "hello").await;
    let path = format!(
        "/_chime-local/console/api/message?channel={}&id={id}",
        encode(&channel)
    );
    // Lambda's asynchronous retry waits a second before the second delivery (bounded: 10 s).
    let mut detail = Value::Null;
    for _ in 0..200 {
        detail = get(&world, &path).await.1;
        if kinds(&detail).ends_with(&["Settled".to_owned(), "Handled".to_owned()]) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let refused = step(&detail, "Callback");
    assert_eq!(refused["Status"], 400, "{detail}");
    assert_eq!(refused["Injected"], true);
    assert_eq!(
        kinds(&detail),
        [
            "Entered",
            "Invoked",
            "Callback",
            "FunctionError",
            "AsyncRetry",
            "Callback",
            "Decided",
            "Settled",
            "Handled"
        ]
    );
    assert_eq!(detail["Verdict"]["RefusedCallbacks"], 1);
    world.stop().await;
}

#[tokio::test]
async fn a_processor_behind_the_lambda_api_reports_through_its_answer() {
    // A `chime-flow` processor answers its invocation with its report (`Handled`); this stand-in
    // answers as one that denied, and never calls back, so the message stays PENDING.
    let stub = StubServer::start(Vec::new(), |request| {
        let message_id = request.json()["ChannelMessage"]["MessageId"].clone();
        Answer::json(
            200,
            &json!({"callback_id": "cb", "message_id": message_id, "decision": "deny",
                "rule_id": "moderation/profanity:en-1", "outcome": "sent", "attempts": 1}),
        )
    })
    .await
    .expect("the Lambda stand-in starts");
    let config = chime_local::Config {
        lambda_endpoint: Some(stub.url()),
        in_process_functions: false,
        ..chime_local::Config::default()
    };
    let world = World::with_config(config, 1).await;
    let flow = world
        .flow(vec![processor(
            "mine",
            "my-function",
            1,
            FallbackAction::Abort,
        )])
        .await;
    let channel = world.channel_with_flow(&flow).await;
    let (id, status) = world.send(&channel, &world.users[0], "hello").await;
    assert_eq!(status, "PENDING");
    let detail = detail_when_handled(&world, &channel, &id).await;
    let handled = step(&detail, "Handled");
    assert_eq!(handled["Function"], "my-function");
    assert_eq!(handled["RuleId"], "moderation/profanity:en-1");
    assert_eq!(kinds(&detail), ["Entered", "Invoked", "Handled"]);
    assert_eq!(detail["Status"], "PENDING", "no callback came");
    world.stop().await;
    stub.stop();
}

/// Reads the console's live feed until an event mentions `needle` (bounded: 5 s).
async fn feed_until(
    endpoint: &str,
    channel: &str,
    needle: &str,
    send: impl Future<Output = ()>,
) -> String {
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let uri = format!(
        "{endpoint}/_chime-local/console/api/events?channel={}",
        encode(channel)
    );
    let response = client
        .get(uri.parse().unwrap())
        .await
        .expect("the feed answers");
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response.into_body();
    let mut seen = String::new();
    let read = async {
        let mut sent = Some(send);
        while let Some(frame) = body.frame().await {
            let frame = frame.expect("a frame");
            if let Some(data) = frame.data_ref() {
                seen.push_str(&String::from_utf8_lossy(data));
            }
            // Once the feed says hello, the message is sent.
            if let Some(send) = sent.take_if(|_| seen.contains("event: hello")) {
                send.await;
            }
            if seen.contains(needle) {
                return;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(5), read)
        .await
        .unwrap_or_else(|_| panic!("no event mentioned {needle} in 5 s: {seen}"));
    seen
}

#[tokio::test]
async fn the_live_feed_sends_each_change_of_the_watched_channel() {
    let world = World::new(1).await;
    let flow = world.flow(vec![pipeline_processor()]).await;
    let channel = world.channel_with_flow(&flow).await;
    let endpoint = world.running.endpoint.clone();
    let send = async {
        world.send(&channel, &world.users[0], "live hello").await;
    };
    let seen = feed_until(&endpoint, &channel, "\"Status\":\"SENT\"", send).await;
    let changes: Vec<Value> = seen
        .split("\n\n")
        .filter_map(|event| event.strip_prefix("event: changes\ndata: "))
        .map(|data| serde_json::from_str(data).expect("JSON data"))
        .collect();
    let last = changes.last().expect("a changes event");
    assert_eq!(last["Messages"][0]["Content"], "live hello");
    assert_eq!(last["Messages"][0]["ChannelArn"], channel.as_str());
    world.stop().await;
}

#[tokio::test]
async fn the_console_in_headless_chromium() {
    let installed = Path::new(BROWSER_DIR)
        .join("node_modules/playwright-core")
        .is_dir()
        && Path::new(CHROMIUM).exists();
    let missing = format!(
        "node, {CHROMIUM} (apt install chromium) or {BROWSER_DIR}/node_modules (npm ci there) is missing"
    );
    if !outside_client_runs(
        installed,
        &["node", "--version"],
        "CHIME_LOCAL_REQUIRE_BROWSER",
        &missing,
    ) {
        return;
    }
    let running = crate::common::start_with(chime_local::Config::default()).await;
    let shots = concat!(env!("CARGO_TARGET_TMPDIR"), "/console");
    let args = vec![
        format!("{BROWSER_DIR}/console.mjs"),
        running.endpoint.clone(),
        shots.to_owned(),
    ];
    let report = node_report(args).await;
    running.stop().await;
    let report = report.unwrap_or_else(|stderr| {
        panic!("the browser test failed (screenshots in {shots}): {stderr}")
    });
    eprintln!("console in Chromium: {report}");
    assert!(
        report["deniedRule"]
            .as_str()
            .unwrap()
            .starts_with("moderation/"),
        "{report}"
    );
    assert_eq!(report["redactionStep"], "card ×1, email ×1");
    assert_eq!(report["faultRowLive"], "SENT");
    assert_eq!(report["editRedacted"], true);
    assert_eq!(report["actsWork"], true);
    assert!(
        report["stagedRefusal"].as_str().unwrap().contains("400"),
        "{report}"
    );
    assert_eq!(report["sampleKept"], "malformed-bad-channel-arn.json");
    assert_eq!(
        report["narrowOverflowPx"], 0,
        "no sideways scrolling at 420 px"
    );
    assert_eq!(report["firstRowsCount"], 50, "a page of the 1,000 messages");
    assert!(report["load"]["messagesSent"].as_u64().unwrap() > 0);
    assert!(Path::new(shots).join("console.png").exists());
}
