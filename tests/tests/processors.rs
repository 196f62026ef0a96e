//! Every processor on every valid sample event: the right decision, and the right callback.

use chime_flow::callback::RecordingSender;
use chime_flow::runtime::Processor;
use chime_flow::stages::enrichment::Enrichment;
use chime_flow::stages::moderation::Moderation;
use chime_flow::stages::pipeline::{Pipeline, default_policy};
use chime_flow::stages::redaction::Redaction;
use chime_flow::{CallbackRequest, Env, ProcessorConfig, Stage};
use flow_tests::event_json;

/// fixture → expected decision for (moderation, redaction, enrichment, pipeline).
const TABLE: &[(&str, [&str; 4])] = &[
    ("plain.json", ["pass", "pass", "update", "update"]),
    (
        "elastic-subchannel.json",
        ["pass", "pass", "update", "update"],
    ),
    (
        "metadata-attributes.json",
        ["pass", "pass", "update", "update"],
    ),
    ("unicode.json", ["pass", "pass", "update", "update"]),
    ("timestamps-iso.json", ["pass", "pass", "update", "update"]),
    ("non-persistent.json", ["pass", "pass", "update", "update"]),
    ("unknown-fields.json", ["pass", "pass", "update", "update"]),
    ("profanity.json", ["deny", "update", "update", "deny"]),
    (
        "profanity-evasion.json",
        ["deny", "update", "update", "deny"],
    ),
    (
        "innocent-lookalikes.json",
        ["pass", "pass", "update", "update"],
    ),
    ("pii.json", ["pass", "update", "update", "update"]),
    ("mentions-links.json", ["pass", "pass", "update", "update"]),
    ("edit.json", ["pass", "pass", "update", "update"]),
];

fn stage(index: usize) -> (Box<dyn Stage>, &'static str) {
    let env = Env::default();
    match index {
        0 => (Box::new(Moderation::from_env(&env).unwrap()), "moderation"),
        1 => (Box::new(Redaction::from_env(&env).unwrap()), "redaction"),
        2 => (Box::new(Enrichment::from_env(&env).unwrap()), "enrichment"),
        _ => (Box::new(Pipeline::from_env(&env).unwrap()), "pipeline"),
    }
}

async fn callback(index: usize, fixture: &str) -> (String, CallbackRequest) {
    let (stage, name) = stage(index);
    let config = ProcessorConfig::from_env(&Env::default(), default_policy(name)).unwrap();
    let processor = Processor::new(stage, RecordingSender::default(), config);
    let handled = processor.handle(&event_json(fixture)).await.unwrap();
    assert_eq!(handled.fallback, None, "{name} on {fixture}");
    let sent = processor.sender().requests();
    assert_eq!(sent.len(), 1, "exactly one callback");
    (
        handled.decision.unwrap().to_owned(),
        sent.into_iter().next().unwrap(),
    )
}

#[tokio::test]
async fn every_processor_on_every_sample_event() {
    for (fixture, expected) in TABLE {
        let original = event_json(fixture);
        for (index, want) in expected.iter().enumerate() {
            let (decision, request) = callback(index, fixture).await;
            assert_eq!(&decision, want, "stage {index} on {fixture}");
            assert_eq!(
                request.callback_id,
                original["CallbackId"].as_str().unwrap()
            );
            assert_eq!(
                request.message.message_id,
                original["ChannelMessage"]["MessageId"].as_str().unwrap()
            );
            assert_eq!(
                request.message.sub_channel_id.as_deref(),
                original["ChannelMessage"]["SubChannelId"].as_str()
            );
            assert_eq!(request.delete_resource, decision == "deny");
            if decision != "deny" {
                assert!(
                    request.message.content.is_some(),
                    "pass and update carry the content"
                );
            }
        }
    }
}

#[tokio::test]
async fn redaction_and_enrichment_results_on_samples() {
    let (_, request) = callback(3, "pii.json").await;
    let content = request.message.content.unwrap();
    assert_eq!(
        content,
        "Mail me at [EMAIL] or call [PHONE]; card [CARD], IBAN [IBAN]."
    );
    assert_eq!(
        request.message.attributes["redactions"],
        vec!["card:1", "iban:1", "email:1", "phone:1"]
    );

    let (_, request) = callback(3, "mentions-links.json").await;
    let attrs = &request.message.attributes;
    assert_eq!(attrs["hasLink"], vec!["true"]);
    assert_eq!(attrs["hashtags"], vec!["release"]);
    assert!(attrs["mentions"].contains(&"bob".to_owned()));
    assert!(attrs["mentions"].iter().any(|m| m.ends_with("/user/alice")));

    let (_, request) = callback(3, "metadata-attributes.json").await;
    let meta: serde_json::Value =
        serde_json::from_str(request.message.metadata.as_deref().unwrap()).unwrap();
    assert_eq!(meta["ticket"], "OPS-42", "sender metadata kept");
    assert!(meta["chimeFlow"]["enrichment"]["words"].is_number());
    assert_eq!(
        request.message.attributes["topic"],
        vec!["ops", "alerts"],
        "sender attributes kept"
    );
}

fn event_with(content: Option<&str>) -> serde_json::Value {
    let mut event = event_json("plain.json");
    match content {
        Some(text) => event["ChannelMessage"]["Content"] = serde_json::json!(text),
        None => {
            event["ChannelMessage"]
                .as_object_mut()
                .unwrap()
                .remove("Content");
        }
    }
    event
}

async fn run_all(payload: &serde_json::Value) -> Vec<(String, CallbackRequest)> {
    let mut results = Vec::new();
    for index in 0..4 {
        let (stage, name) = stage(index);
        let config = ProcessorConfig::from_env(&Env::default(), default_policy(name)).unwrap();
        let processor = Processor::new(stage, RecordingSender::default(), config);
        let handled = processor.handle(payload).await.unwrap();
        assert_eq!(handled.fallback, None, "{name}: no failure policy needed");
        let request = processor.sender().requests().pop().unwrap();
        request
            .message
            .check_limits()
            .expect("within the service's limits");
        results.push((handled.decision.unwrap().to_owned(), request));
    }
    results
}

#[tokio::test]
async fn messages_at_the_4_kb_limit() {
    let sentence =
        "Grüße aus Köln 👋🏽 — la réunion est à 9 h; see https://example.com/x #plan @ana ";
    let mut clean = sentence.repeat(4096 / sentence.len());
    clean.push_str(&"z".repeat(4096 - clean.len()));
    assert_eq!(clean.len(), 4096);
    for (decision, request) in run_all(&event_with(Some(&clean))).await {
        assert_ne!(decision, "deny");
        assert_eq!(request.message.content.as_deref().map(str::len), Some(4096));
    }

    // Full of personal data: redacting it must not make it too long to call back.
    let unit = "mail a@b.io ";
    let mut pii = unit.repeat(4096 / unit.len());
    pii.push_str(&"z".repeat(4096 - pii.len()));
    let results = run_all(&event_with(Some(&pii))).await;
    for (index, (decision, request)) in results.iter().enumerate() {
        let content = request.message.content.as_deref().unwrap();
        assert!(content.len() <= 4096);
        if index == 1 || index == 3 {
            assert_eq!(decision, "update");
            assert!(
                !content.contains("a@b.io"),
                "stage {index} redacted every address"
            );
        }
    }
}

#[tokio::test]
async fn empty_or_absent_content() {
    for payload in [event_with(Some("")), event_with(None)] {
        for (decision, request) in run_all(&payload).await {
            assert_ne!(decision, "deny");
            assert_eq!(request.message.content, None, "never sent empty");
        }
    }
}
