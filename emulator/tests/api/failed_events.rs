//! No message silently stuck: an event whose three deliveries all failed goes to chime-local's
//! failure queue as Lambda's invocation record (its on-failure destination), PENDING messages are
//! reported by age, and the replay (`chime_flow::redrive`, as the admin API runs it on SQS) settles
//! the message once the cause is fixed — and changes nothing the second time.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_chimesdkmessaging::types::ChannelMessageStatus;
use chime_local::Config;
use chime_local::emulator::faults::{FaultRule, Faults};
use serde_json::{Value, json};

use crate::common::{World, pipeline_processor, raw};

async fn get(world: &World, path: &str) -> Value {
    let answer = raw(&world.running.endpoint, "GET", path, None, "").await;
    assert_eq!(answer.status, 200, "{path}: {}", answer.body);
    serde_json::from_str(&answer.body).unwrap_or_default()
}

async fn redrive(world: &World, request: Value) -> Value {
    let (status, report) = chime_local::tools::sample_events::post(
        &world.running.endpoint,
        "/_chime-local/failed-events/redrive",
        &request,
    )
    .await
    .expect("the redrive endpoint answers");
    assert_eq!(status, 200, "{report}");
    report
}

#[tokio::test]
async fn an_event_that_failed_three_times_is_kept_and_its_replay_settles_the_message_once() {
    let config = Config {
        async_retry_delays: vec![Duration::from_millis(20), Duration::from_millis(40)],
        ..Config::default()
    };
    let world = World::with_config(config, 1).await;
    let arn = world.flow(vec![pipeline_processor()]).await;
    let channel = world.channel_with_flow(&arn).await;
    let user = &world.users[0];
    // The cause: every callback refused, three deliveries in a row.
    let faults = Faults(BTreeMap::from([(
        "ChannelFlowCallback".to_owned(),
        FaultRule {
            reject_first: 3,
            ..FaultRule::default()
        },
    )]));
    world.running.emulator.set_faults(faults).expect("rules");
    let (id, _) = world.send(&channel, user, "stuck until replayed").await;
    let mut kept = Value::Null;
    for _ in 0..300 {
        kept = get(&world, "/_chime-local/failed-events").await;
        if kept["FailedEvents"]
            .as_array()
            .is_some_and(|r| !r.is_empty())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let records = kept["FailedEvents"].as_array().cloned().unwrap_or_default();
    assert_eq!(records.len(), 1, "{kept}");
    let record = &records[0]["Record"];
    assert_eq!(record["requestContext"]["condition"], "RetriesExhausted");
    assert_eq!(record["requestContext"]["approximateInvokeCount"], 3);
    assert_eq!(record["responsePayload"]["errorType"], "CallbackRejected");
    assert_eq!(
        record["requestPayload"]["ChannelMessage"]["MessageId"],
        id.as_str()
    );
    assert_eq!(
        world.status_now(&channel, user, &id).await,
        ChannelMessageStatus::Pending
    );
    let pending = get(&world, "/_chime-local/pending?older-than-seconds=0").await;
    assert_eq!(pending["Total"], 1, "{pending}");
    assert_eq!(pending["Pending"][0]["MessageId"], id.as_str());
    let none_older = get(&world, "/_chime-local/pending?older-than-seconds=3600").await;
    assert_eq!(none_older["Total"], 0);

    // A dry run changes nothing.
    let dry = redrive(&world, json!({"DryRun": true})).await;
    assert_eq!(dry["Examined"], 1);
    assert_eq!(dry["Records"][0]["Result"], "WouldReplay");
    assert_eq!(
        get(&world, "/_chime-local/failed-events").await["FailedEvents"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    // The fix (the rule is spent), then the replay: the same CallbackId settles the message.
    world
        .running
        .emulator
        .set_faults(Faults::default())
        .expect("no rules");
    let report = redrive(&world, json!({"Limit": 10})).await;
    assert_eq!(
        (
            &report["Examined"],
            &report["Settled"],
            &report["StillFailing"]
        ),
        (&json!(1), &json!(1), &json!(0)),
        "{report}"
    );
    assert_eq!(report["Records"][0]["MessageId"], id.as_str());
    assert_eq!(report["Records"][0]["Result"], "Settled");
    assert_eq!(
        world.status_now(&channel, user, &id).await,
        ChannelMessageStatus::Sent
    );
    assert!(
        !report.to_string().contains("stuck until replayed"),
        "never content"
    );
    // The second replay: nothing left, nothing changed.
    let again = redrive(&world, json!({})).await;
    assert_eq!(again["Examined"], 0, "{again}");
    assert_eq!(
        get(&world, "/_chime-local/pending").await["Total"],
        0,
        "nothing pending"
    );
    world.stop().await;
}

/// A record replayed after its message settled by other means (the record kept twice, say) is
/// reported as already settled and does not change the message.
#[tokio::test]
async fn a_record_of_a_settled_message_is_reported_as_already_settled() {
    let world = World::new(1).await;
    let arn = world.flow(vec![pipeline_processor()]).await;
    let channel = world.channel_with_flow(&arn).await;
    let user = &world.users[0];
    let (id, _) = world.send(&channel, user, "settled at once").await;
    assert_eq!(
        world.settled(&channel, user, &id, None).await,
        ChannelMessageStatus::Sent
    );
    let event = json!({"EventType": "CHANNEL_MESSAGE_EVENT", "CallbackId": "c".repeat(32),
        "ChannelMessage": {"MessageId": id, "ChannelArn": channel, "Content": "rewritten?",
            "Type": "STANDARD", "Persistence": "PERSISTENT"}});
    world.running.emulator.failed_events().push(
        &chime_flow::redrive::InvocationRecord::retries_exhausted(
            "arn:aws:lambda:us-east-1:000000000000:function:flow-pipeline:$LATEST",
            event,
            3,
            "CallbackFailed",
            "throttled",
            "2026-12-02T00:00:00Z".into(),
        ),
    );
    let report = redrive(&world, json!({})).await;
    assert_eq!(report["Examined"], 1, "{report}");
    assert_eq!(report["AlreadySettled"], 1, "{report}");
    assert_eq!(report["Records"][0]["Result"], "AlreadySettled");
    assert!(
        world.running.emulator.failed_events().is_empty(),
        "done with: off the queue"
    );
    let message = world
        .chime
        .get_channel_message()
        .channel_arn(&channel)
        .message_id(&id)
        .chime_bearer(user)
        .send()
        .await
        .expect("GetChannelMessage");
    assert_eq!(
        message.channel_message().and_then(|m| m.content()),
        Some("settled at once")
    );
    world.stop().await;
}
