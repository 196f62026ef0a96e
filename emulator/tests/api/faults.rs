//! Fault injection: throttling and errors arrive as the SDK's typed errors, latency is added, and
//! duplicate processor deliveries are absorbed (the second callback is refused as non-pending and the
//! processor treats that as already done).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_chimesdkmessaging::types::ChannelMessageStatus;
use chime_local::Config;
use chime_local::emulator::faults::{FaultRule, Faults};

use crate::common::{World, code, lambda_stub, pipeline_processor, raw};

fn rules(pairs: &[(&str, FaultRule)]) -> Faults {
    Faults(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect::<BTreeMap<_, _>>(),
    )
}

#[tokio::test]
async fn throttling_errors_and_latency_per_operation() {
    let world = World::new(1).await;
    let channel = world.private_channel("f", &world.users).await;
    let throttled = FaultRule {
        throttle_rate: 1.0,
        ..FaultRule::default()
    };
    world
        .running
        .emulator
        .set_faults(rules(&[("ListChannelMessages", throttled)]))
        .unwrap();
    let list = || {
        world
            .chime
            .list_channel_messages()
            .channel_arn(&channel)
            .chime_bearer(&world.users[0])
            .send()
    };
    let error = list().await.unwrap_err();
    assert_eq!(code(&error).0, "ThrottledClientException");
    // Other operations are untouched.
    world.send(&channel, &world.users[0], "still works").await;

    // The same through the control endpoint, as a tool outside the process would do it.
    let put = raw(
        &world.running.endpoint,
        "PUT",
        "/_chime-local/faults",
        None,
        r#"{"ListChannelMessages": {"error_rate": 1.0}}"#,
    )
    .await;
    assert_eq!(put.status, 204);
    let error = list().await.unwrap_err();
    assert_eq!(code(&error).0, "ServiceFailureException");
    let bad = raw(
        &world.running.endpoint,
        "PUT",
        "/_chime-local/faults",
        None,
        r#"{"*": {"error_rate": 3}}"#,
    )
    .await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.body.contains("*.error_rate: 3 is not within 0–1"),
        "{}",
        bad.body
    );

    let slow = FaultRule {
        latency_ms: 150,
        ..FaultRule::default()
    };
    world
        .running
        .emulator
        .set_faults(rules(&[("*", slow)]))
        .unwrap();
    let started = Instant::now();
    list().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(150));
    world.stop().await;
}

#[tokio::test]
async fn duplicate_deliveries_reach_the_processor_twice_and_settle_once() {
    let duplicate = FaultRule {
        duplicate_rate: 1.0,
        ..FaultRule::default()
    };
    // Through a stub Lambda: the same CallbackId arrives twice.
    let stub = lambda_stub().await;
    let config = Config {
        lambda_endpoint: Some(stub.url()),
        in_process_functions: false,
        faults: rules(&[("SendChannelMessage", duplicate.clone())]),
        ..Config::default()
    };
    let world = World::with_config(config, 1).await;
    let flow_arn = world.flow(vec![pipeline_processor()]).await;
    let channel = world.channel_with_flow(&flow_arn).await;
    world.send(&channel, &world.users[0], "twice").await;
    let seen = stub.wait_for(2).await;
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].json()["CallbackId"], seen[1].json()["CallbackId"]);
    world.stop().await;
    stub.stop();

    // In-process: the pipeline answers both; the message is SENT once, with the redaction applied.
    let config = Config {
        faults: rules(&[("SendChannelMessage", duplicate)]),
        ..Config::default()
    };
    let world = World::with_config(config, 1).await;
    let flow_arn = world.flow(vec![pipeline_processor()]).await;
    let channel = world.channel_with_flow(&flow_arn).await;
    let (id, _) = world
        .send(&channel, &world.users[0], "mail x@example.com")
        .await;
    assert_eq!(
        world.settled(&channel, &world.users[0], &id, None).await,
        ChannelMessageStatus::Sent
    );
    // Give the duplicate time to arrive and be refused; the message stays as the first callback left it.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let message = world
        .chime
        .get_channel_message()
        .channel_arn(&channel)
        .message_id(&id)
        .chime_bearer(&world.users[0])
        .send()
        .await
        .unwrap()
        .channel_message
        .unwrap();
    assert_eq!(message.content(), Some("mail [EMAIL]"));
    world.stop().await;
}

/// A processor that fails (its callback rejected) is delivered its event twice more, after a wait,
/// as Lambda's asynchronous retry does: a message whose first two deliveries failed still settles;
/// one whose three deliveries all failed stays PENDING, as in AWS, after exactly three attempts.
#[tokio::test]
async fn a_failing_in_process_processor_gets_lambdas_two_retries() {
    let config = Config {
        async_retry_delays: vec![Duration::from_millis(50), Duration::from_millis(100)],
        ..Config::default()
    };
    let world = World::with_config(config, 1).await;
    let arn = world.flow(vec![pipeline_processor()]).await;
    let channel = world.channel_with_flow(&arn).await;
    let reject = |n: u64| {
        rules(&[(
            "ChannelFlowCallback",
            FaultRule {
                reject_first: n,
                ..FaultRule::default()
            },
        )])
    };
    let user = &world.users[0];

    world.running.emulator.set_faults(reject(2)).expect("rules");
    let started = Instant::now();
    let (id, _) = world.send(&channel, user, "third time lucky").await;
    let status = world.settled(&channel, user, &id, None).await;
    assert_eq!(
        status,
        ChannelMessageStatus::Sent,
        "the third delivery called back"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "after both waits (50 + 100 ms), not before"
    );

    world.running.emulator.set_faults(reject(3)).expect("rules");
    let (id, _) = world.send(&channel, user, "never answered").await;
    // Every delivery has been made once the three rejections are used up; then the rule is spent.
    for _ in 0..500 {
        let left = world.running.emulator.faults_snapshot();
        if left
            .0
            .get("ChannelFlowCallback")
            .is_some_and(|r| r.reject_first == 0)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        world.status_now(&channel, user, &id).await,
        ChannelMessageStatus::Pending,
        "no fourth delivery: the event is dropped, as Lambda drops it"
    );
    world.stop().await;
}

/// The built-in processors can also call back the way a deployed Lambda does, through the real SDK
/// over HTTP: the same outcomes, injected faults included.
#[tokio::test]
async fn in_process_callbacks_through_the_sdk_over_http_settle_the_same() {
    let config = Config {
        in_process_callbacks: chime_local::processors::in_process::CallbackPath::Http,
        async_retry_delays: vec![Duration::from_millis(50)],
        ..Config::default()
    };
    let world = World::with_config(config, 1).await;
    let arn = world.flow(vec![pipeline_processor()]).await;
    let channel = world.channel_with_flow(&arn).await;
    let user = &world.users[0];
    let (kept, _) = world.send(&channel, user, "see you at noon").await;
    let (denied, _) = world.send(&channel, user, "you are a fucking idiot").await;
    assert_eq!(
        world.settled(&channel, user, &kept, None).await,
        ChannelMessageStatus::Sent
    );
    assert_eq!(
        world.settled(&channel, user, &denied, None).await,
        ChannelMessageStatus::Denied
    );
    world
        .running
        .emulator
        .set_faults(rules(&[(
            "ChannelFlowCallback",
            FaultRule {
                reject_first: 1,
                ..FaultRule::default()
            },
        )]))
        .expect("rules");
    let (retried, _) = world.send(&channel, user, "second delivery").await;
    assert_eq!(
        world.settled(&channel, user, &retried, None).await,
        ChannelMessageStatus::Sent,
        "the rejected callback's event was delivered again"
    );
    world.stop().await;
}
