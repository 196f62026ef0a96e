//! What the SDK adapter puts on the wire, and how it reacts to the service's answers, against a
//! loopback HTTP server: retries on 429/5xx, repeat delivery (409, 400 non-pending) counted as done,
//! 403 not retried.

use std::time::Duration;

use chime_flow::callback::{
    CallbackError, CallbackSender, Delivered, FailureKind, SdkCallbackSender,
};
use chime_flow::retry::RetryPolicy;
use chime_flow::runtime::Processor;
use chime_flow::stages::moderation::Moderation;
use chime_flow::{
    CallbackRequest, Decision, Edits, Env, FailurePolicy, ProcessorConfig, ProcessorEvent,
};
use flow_tests::{Answer, StubServer, callback_stub, event_bytes, event_json, sdk_config};

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        budget: Duration::from_secs(10),
    }
}

async fn sender_for(stub: &StubServer) -> SdkCallbackSender {
    SdkCallbackSender::new(
        &sdk_config(&stub.url()).await,
        fast_retries(),
        Duration::from_secs(2),
    )
}

fn request(fixture: &str, decision: &Decision) -> CallbackRequest {
    let event = ProcessorEvent::from_slice(&event_bytes(fixture)).expect("fixture parses");
    CallbackRequest::for_decision(&event.channel_message, &event.callback_id, decision)
        .expect("within limits")
}

#[tokio::test]
async fn update_callback_wire_format() {
    let stub = callback_stub(vec![]).await;
    let sender = sender_for(&stub).await;
    let edits = Edits::default()
        .with_content("Welcome!")
        .with_attribute("checked", vec!["yes".into()]);
    let sent = request("elastic-subchannel.json", &Decision::Update(edits));
    let delivered = sender.send(&sent).await.unwrap();
    assert_eq!(delivered, Delivered::Sent { attempts: 1 });

    let seen = stub.requests();
    assert_eq!(seen.len(), 1);
    let call = &seen[0];
    assert_eq!(call.method, "POST");
    assert_eq!(
        call.uri.path(),
        "/channels/arn%3Aaws%3Achime%3Aus-east-1%3A123456789012%3Aapp-instance%2F11111111-2222-3333-4444-555555555555%2Fchannel%2Fchan-elastic"
    );
    assert_eq!(call.uri.query(), Some("operation=channel-flow-callback"));
    assert!(call.header("authorization").is_some_and(|a| a.starts_with("AWS4-HMAC-SHA256") && a.contains("/chime/aws4_request")));
    assert_eq!(
        call.header("x-amz-chime-bearer"),
        None,
        "the callback carries no bearer"
    );
    let body = call.json();
    // The SDK's typed request writes exactly what the one JSON writer of a callback says.
    let written = sent.to_wire_json();
    assert_eq!(body, written["body"]);
    assert_eq!(
        written["path"],
        format!(
            "{}?{}",
            call.uri.path(),
            call.uri.query().unwrap_or_default()
        )
    );
    assert_eq!(
        body["CallbackId"],
        event_json("elastic-subchannel.json")["CallbackId"]
    );
    assert_eq!(body["DeleteResource"], false);
    let message = &body["ChannelMessage"];
    assert_eq!(message["MessageId"], "msg-elastic-0002");
    assert_eq!(message["SubChannelId"], "subchannel-3");
    assert_eq!(message["Content"], "Welcome!");
    assert_eq!(
        message["Metadata"], "",
        "unchanged metadata is sent as it was"
    );
    assert_eq!(
        message["MessageAttributes"]["checked"]["StringValues"][0],
        "yes"
    );
}

#[tokio::test]
async fn deny_callback_wire_format_and_pass_through_fields() {
    let stub = callback_stub(vec![]).await;
    let sender = sender_for(&stub).await;
    let sent = [
        request("metadata-attributes.json", &Decision::deny("term-1")),
        request("metadata-attributes.json", &Decision::Pass),
    ];
    for request in &sent {
        sender.send(request).await.unwrap();
    }
    let seen = stub.requests();
    for (request, call) in sent.iter().zip(&seen) {
        assert_eq!(call.json(), request.to_wire_json()["body"]);
    }
    let deny = seen[0].json();
    assert_eq!(deny["DeleteResource"], true);
    assert_eq!(
        deny["ChannelMessage"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        vec!["MessageId"]
    );
    let pass = seen[1].json();
    let message = &pass["ChannelMessage"];
    assert_eq!(
        message["Metadata"],
        "{\"ticket\":\"OPS-42\",\"priority\":\"high\"}"
    );
    assert_eq!(message["ContentType"], "text/plain");
    assert_eq!(
        message["MessageAttributes"]["topic"]["StringValues"],
        serde_json::json!(["ops", "alerts"])
    );
    assert_eq!(message["PushNotification"]["Title"], "Ops");
    assert_eq!(message["PushNotification"]["Type"], "DEFAULT");
}

#[tokio::test]
async fn throttling_and_server_errors_are_retried() {
    let script = vec![
        Answer::service_error(429, "ThrottledClient", "Rate exceeded"),
        Answer::service_error(500, "ServiceFailure", "internal"),
        Answer::service_error(503, "ServiceUnavailable", "try later"),
    ];
    let stub = callback_stub(script).await;
    let sender = sender_for(&stub).await;
    let delivered = sender
        .send(&request("plain.json", &Decision::Pass))
        .await
        .unwrap();
    assert_eq!(delivered, Delivered::Sent { attempts: 4 });
    let seen = stub.requests();
    assert_eq!(seen.len(), 4);
    assert!(
        seen.windows(2).all(|w| w[0].body == w[1].body),
        "every retry sends the same callback"
    );
}

#[tokio::test]
async fn retries_stop_at_the_budget() {
    let script = (0..10)
        .map(|_| Answer::service_error(500, "ServiceFailure", "internal"))
        .collect();
    let stub = callback_stub(script).await;
    let sender = sender_for(&stub).await;
    let error = sender
        .send(&request("plain.json", &Decision::Pass))
        .await
        .unwrap_err();
    match error {
        CallbackError::GaveUp { attempts, last } => {
            assert_eq!(attempts, 4);
            assert_eq!(last.kind, FailureKind::Retryable);
            assert_eq!(last.status, Some(500));
        }
        other => panic!("expected GaveUp, got {other:?}"),
    }
    assert_eq!(stub.requests().len(), 4);
}

#[tokio::test]
async fn repeat_deliveries_count_as_done() {
    for answer in [
        Answer::service_error(
            409,
            "Conflict",
            "The request could not be processed because of conflict",
        ),
        Answer::service_error(
            400,
            "BadRequest",
            "Callback for a non-pending message is not allowed",
        ),
    ] {
        let stub = callback_stub(vec![answer]).await;
        let sender = sender_for(&stub).await;
        let delivered = sender
            .send(&request("plain.json", &Decision::Pass))
            .await
            .unwrap();
        assert_eq!(delivered, Delivered::AlreadyHandled { attempts: 1 });
        assert_eq!(stub.requests().len(), 1, "no retry");
    }
}

#[tokio::test]
async fn forbidden_and_other_bad_requests_are_not_retried() {
    let stub = callback_stub(vec![Answer::service_error(403, "Forbidden", "not allowed")]).await;
    let error = sender_for(&stub)
        .await
        .send(&request("plain.json", &Decision::Pass))
        .await
        .unwrap_err();
    assert!(matches!(error, CallbackError::Forbidden(_)));
    assert!(error.to_string().contains("48-hour"), "{error}");
    assert_eq!(stub.requests().len(), 1);

    let stub = callback_stub(vec![Answer::service_error(
        400,
        "BadRequest",
        "Metadata is invalid",
    )])
    .await;
    let error = sender_for(&stub)
        .await
        .send(&request("plain.json", &Decision::Pass))
        .await
        .unwrap_err();
    assert!(matches!(error, CallbackError::Rejected(_)));
    assert_eq!(stub.requests().len(), 1);
}

#[tokio::test]
async fn an_unreachable_endpoint_is_retried_then_given_up() {
    // Nothing listens on the port once the stub is dropped: a connection failure is retried, then given up.
    let url = {
        let stub = callback_stub(vec![]).await;
        stub.url()
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let sender = SdkCallbackSender::new(
        &sdk_config(&url).await,
        fast_retries(),
        Duration::from_millis(500),
    );
    let error = sender
        .send(&request("plain.json", &Decision::Pass))
        .await
        .unwrap_err();
    assert!(
        matches!(error, CallbackError::GaveUp { attempts: 4, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn the_processor_denies_profanity_on_the_wire() {
    let stub = callback_stub(vec![]).await;
    let config = ProcessorConfig::from_env(&Env::default(), FailurePolicy::Deny).unwrap();
    let stage = Moderation::from_env(&Env::default()).unwrap();
    let processor = Processor::new(stage, sender_for(&stub).await, config);
    let handled = processor
        .handle(&event_json("profanity-evasion.json"))
        .await
        .unwrap();
    assert_eq!(handled.decision, Some("deny"));
    let clean = processor.handle(&event_json("plain.json")).await.unwrap();
    assert_eq!(clean.decision, Some("pass"));
    let seen = stub.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].json()["DeleteResource"], true);
    assert_eq!(
        seen[1].json()["ChannelMessage"]["Content"],
        "Hello team, the build is green."
    );
}
