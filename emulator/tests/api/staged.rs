//! Staged sample events (`chime-local seed`, `POST /_chime-local/events`): what `cargo lambda invoke
//! --data-file` needs to land its callback here, checked without cargo-lambda by calling back with
//! the real SDK as a processor would.

use aws_sdk_chimesdkmessaging::types::ChannelMessageCallback;
use chime_local::Config;
use chime_local::tools::sample_events::{read_back, seed};

use crate::common::{REGION, clients_with, code, raw, start_with};

fn events_dir() -> String {
    format!("{}/../tests/events", env!("CARGO_MANIFEST_DIR"))
}

fn event(name: &str) -> String {
    format!("{}/{name}", events_dir())
}

#[tokio::test]
async fn staged_events_wait_for_their_own_callback_and_can_be_replayed() {
    let running = start_with(Config::default()).await;
    let endpoint = running.endpoint.clone();
    let report = seed(&endpoint, &[events_dir()]).await.expect("seeded");
    assert!(report.contains("staged  "), "{report}");
    // The directory's malformed events are named, each with what is wrong, and skipped.
    assert!(
        report.contains("skipped") && report.contains("CallbackId: length 12, must be 32–64"),
        "{report}"
    );
    let rows = read_back(&endpoint, REGION, &[events_dir()]).await.unwrap();
    assert!(rows.iter().all(|r| r.status == "PENDING"), "{rows:#?}");
    let elastic = rows
        .iter()
        .find(|r| r.label == "elastic-subchannel")
        .unwrap();
    assert_eq!(elastic.sub_channel, "subchannel-3");

    // A processor's callback with the event's CallbackId settles the message.
    let pii: serde_json::Value =
        serde_json::from_slice(&std::fs::read(event("pii.json")).unwrap()).unwrap();
    let message = &pii["ChannelMessage"];
    let (chime, _) = clients_with(&endpoint, "AKIDCHIMELOCAL", "chime-local-secret").await;
    let callback = |content: &str| {
        chime
            .channel_flow_callback()
            .callback_id(pii["CallbackId"].as_str().unwrap())
            .channel_arn(message["ChannelArn"].as_str().unwrap())
            .channel_message(
                ChannelMessageCallback::builder()
                    .message_id(message["MessageId"].as_str().unwrap())
                    .content(content)
                    .build()
                    .unwrap(),
            )
            .send()
    };
    callback("Mail me at [EMAIL]")
        .await
        .expect("callback accepted");
    let rows = read_back(&endpoint, REGION, &[event("pii.json")])
        .await
        .unwrap();
    assert_eq!(
        (rows[0].status.as_str(), rows[0].content.as_str()),
        ("SENT", "Mail me at [EMAIL]")
    );
    // A repeat is refused as non-pending (chime-flow processors treat that as already done) …
    let repeat = callback("again").await.unwrap_err();
    let (error, text) = code(&repeat);
    assert_eq!(error, "BadRequestException");
    assert!(text.contains("non-pending"), "{text}");
    // … until the event is seeded again: the message is PENDING with the event's content once more.
    seed(&endpoint, &[event("pii.json")])
        .await
        .expect("re-seeded");
    let rows = read_back(&endpoint, REGION, &[event("pii.json")])
        .await
        .unwrap();
    assert_eq!(rows[0].status, "PENDING");
    callback("replayed")
        .await
        .expect("the replayed callback is accepted");
    running.stop().await;
}

#[tokio::test]
async fn unusable_events_are_refused_naming_the_field() {
    let running = start_with(Config::default()).await;
    let endpoint = running.endpoint.clone();
    // Named explicitly, a malformed event is an error (the others named beside it are still staged).
    let error = seed(
        &endpoint,
        &[
            event("malformed-missing-callback-id.json"),
            event("plain.json"),
        ],
    )
    .await
    .unwrap_err();
    assert!(error.contains("CallbackId: missing"), "{error}");
    assert!(
        error.contains("staged  ") && error.contains("plain.json"),
        "{error}"
    );
    assert!(error.contains("1 event(s) could not be staged"), "{error}");
    // The control endpoint itself: not JSON, no sender, a sub-channel on a regular channel.
    let post = |body: String| {
        let endpoint = endpoint.clone();
        async move { raw(&endpoint, "POST", "/_chime-local/events", None, &body).await }
    };
    let answer = post("{".into()).await;
    assert_eq!(answer.status, 400);
    assert!(answer.body.contains("processor event"), "{}", answer.body);
    let mut plain: serde_json::Value =
        serde_json::from_slice(&std::fs::read(event("plain.json")).unwrap()).unwrap();
    plain["ChannelMessage"]
        .as_object_mut()
        .unwrap()
        .remove("Sender");
    let answer = post(plain.to_string()).await;
    assert_eq!(answer.status, 400);
    assert!(
        answer.body.contains("ChannelMessage.Sender.Arn"),
        "{}",
        answer.body
    );
    let mut elsewhere: serde_json::Value =
        serde_json::from_slice(&std::fs::read(event("plain.json")).unwrap()).unwrap();
    elsewhere["ChannelMessage"]["SubChannelId"] = "subchannel-1".into();
    elsewhere["ChannelMessage"]["MessageId"] = "msg-other".into();
    let answer = post(elsewhere.to_string()).await;
    assert_eq!(answer.status, 400);
    assert!(answer.body.contains("is not elastic"), "{}", answer.body);
    running.stop().await;
}
