//! 100,000 members into an elastic channel through the worker path (split into batches of 100 on a
//! queue, drained by eight membership workers) against chime-local with its quota on
//! BatchCreateChannelMembership — every member ends in exactly one sub-channel, none lost, none
//! duplicated, and the ones that cannot be added are dead-lettered with their reason.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

mod common;

use chime_admin::onboarding::{MemoryQueue, Queue, drain, split};
use chime_local::emulator::faults::{FaultRule, Faults};

const MEMBERS: usize = 100_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_thousand_members_through_the_worker_path_under_a_quota() {
    let (running, clients) = common::local().await;
    let (instance, service_user) = common::instance_with_admin(&clients, "onboarding").await;
    let seeded = chime_local::tools::sample_events::post(
        &running.endpoint,
        "/_chime-local/seed-users",
        &serde_json::json!({"AppInstanceArn": instance, "Prefix": "m", "Count": MEMBERS}),
    )
    .await
    .expect("seed-users");
    assert_eq!(seeded.1["Seeded"], MEMBERS);
    let channel = clients
        .messaging
        .create_channel()
        .app_instance_arn(&instance)
        .name("everyone")
        .chime_bearer(&service_user)
        .mode(aws_sdk_chimesdkmessaging::types::ChannelMode::Restricted)
        .elastic_channel_configuration(
            aws_sdk_chimesdkmessaging::types::ElasticChannelConfiguration::builder()
                .maximum_sub_channels(1000)
                .target_memberships_per_sub_channel(1000)
                .minimum_membership_percentage(1)
                .build()
                .expect("a configuration"),
        )
        .send()
        .await
        .expect("CreateChannel")
        .channel_arn
        .unwrap_or_default();

    // The quota: 200 batch calls a second (20,000 members/s), so the workers meet it many times.
    running
        .emulator
        .set_faults(Faults(BTreeMap::from([(
            "BatchCreateChannelMembership".to_owned(),
            FaultRule {
                rate_limit_tps: 200.0,
                ..FaultRule::default()
            },
        )])))
        .expect("a quota");
    let mut members: Vec<String> = (0..MEMBERS)
        .map(|n| format!("{instance}/user/m{n}"))
        .collect();
    // Two that can never be added, and every thousandth member asked for twice.
    members.push(format!("{instance}/user/nobody"));
    members.push(format!(
        "{}/user/elsewhere",
        instance.replace("app-instance/", "app-instance/other-")
    ));
    members.extend(
        (0..MEMBERS)
            .step_by(1000)
            .map(|n| format!("{instance}/user/m{n}")),
    );
    let api = common::admin_api(&clients, &service_user);
    let queue = MemoryQueue::default();
    let batches = split(&channel, &members, None, None);
    assert_eq!(batches.len(), 1001);
    queue
        .enqueue(batches, Duration::ZERO)
        .await
        .expect("queued");
    let delivered = drain(&api, &queue, 8, Duration::from_secs(600))
        .await
        .expect("drained");
    assert_eq!(delivered.added, MEMBERS, "{delivered:?}");

    let dead = queue.dead.lock().map(|d| d.clone()).unwrap_or_default();
    let dead_members: BTreeSet<&str> = dead.iter().map(|d| d.member_arn.as_str()).collect();
    assert_eq!(dead.len(), 2, "{dead:?}");
    assert!(dead_members.contains(format!("{instance}/user/nobody").as_str()));
    assert!(
        dead.iter()
            .all(|d| !d.error_code.is_empty() && !d.reason.is_empty())
    );
    running
        .emulator
        .set_faults(Faults::default())
        .expect("no quota");

    // Every member in exactly one sub-channel: the sub-channel counts add up, and listing each
    // sub-channel finds every member once.
    let subs: Vec<_> = clients
        .messaging
        .list_sub_channels()
        .channel_arn(&channel)
        .chime_bearer(&service_user)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("ListSubChannels")
        .into_iter()
        .flat_map(|page| page.sub_channels.unwrap_or_default())
        .collect();
    let mut counted = 0;
    let mut seen = BTreeSet::new();
    let mut duplicates = 0;
    for sub in subs {
        counted += sub.membership_count().unwrap_or_default() as usize;
        let id = sub.sub_channel_id().unwrap_or_default().to_owned();
        let pages = clients
            .messaging
            .list_channel_memberships()
            .channel_arn(&channel)
            .chime_bearer(&service_user)
            .sub_channel_id(id)
            .max_results(50)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .expect("ListChannelMemberships");
        for member in pages
            .into_iter()
            .flat_map(|p| p.channel_memberships.unwrap_or_default())
        {
            let arn = member.member.and_then(|m| m.arn).unwrap_or_default();
            if !seen.insert(arn) {
                duplicates += 1;
            }
        }
    }
    running.stop().await;
    assert_eq!(counted, MEMBERS, "sub-channel counts");
    assert_eq!(duplicates, 0, "no member in two sub-channels");
    assert_eq!(seen.len(), MEMBERS, "none lost");
    println!(
        "100,000 members: {} calls, {} re-queued, {} already members, {} dead-lettered",
        delivered.calls, delivered.requeued, delivered.already, delivered.dead
    );
}

/// The membership worker's SQS handler on an event as Lambda delivers it: a good batch is added (a
/// member that does not exist dead-lettered with its reason), an unreadable message is reported for
/// redelivery (and so, by SQS's redrive policy, ends in its dead-letter queue).
#[tokio::test]
async fn an_sqs_event_adds_good_batches_and_reports_unreadable_messages() {
    use aws_lambda_events::event::sqs::SqsEvent;
    use chime_admin::onboarding::{Worker, handle_sqs};

    let (running, clients) = common::local().await;
    let (instance, service_user) = common::instance_with_admin(&clients, "worker").await;
    let a = common::user(&clients, &instance, "a").await;
    let b = common::user(&clients, &instance, "b").await;
    let channel = clients
        .messaging
        .create_channel()
        .app_instance_arn(&instance)
        .name("c")
        .chime_bearer(&service_user)
        .send()
        .await
        .expect("CreateChannel")
        .channel_arn
        .unwrap_or_default();
    let worker = Worker {
        api: common::admin_api(&clients, &service_user),
        queue: MemoryQueue::default(),
    };
    let ghost = format!("{instance}/user/ghost");
    let batch = serde_json::json!({"ChannelArn": channel, "MemberArns": [a, b, ghost]});
    // The shape of aws_lambda_events' own SQS fixture, with our bodies.
    let event: SqsEvent = serde_json::from_value(serde_json::json!({"Records": [
        {"messageId": "good", "receiptHandle": "r1", "body": batch.to_string(),
         "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1523232000000",
            "SenderId": "123456789012", "ApproximateFirstReceiveTimestamp": "1523232000001"},
         "messageAttributes": {}, "md5OfBody": "7b270e59b47ff90a553787216d55d91d",
         "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:MembershipQueue",
         "awsRegion": "us-east-1"},
        {"messageId": "bad", "receiptHandle": "r2", "body": "{not json", "attributes": {},
         "messageAttributes": {}, "eventSource": "aws:sqs", "awsRegion": "us-east-1"},
    ]}))
    .expect("an SQS event");
    let response = handle_sqs(&worker, event).await;
    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, ["bad"]);
    let dead = worker
        .queue
        .dead
        .lock()
        .map(|d| d.clone())
        .unwrap_or_default();
    assert_eq!(dead.len(), 1);
    assert_eq!(
        (dead[0].member_arn.as_str(), dead[0].error_code.as_str()),
        (ghost.as_str(), "NotFound")
    );
    let members = clients
        .messaging
        .list_channel_memberships()
        .channel_arn(&channel)
        .chime_bearer(&service_user)
        .send()
        .await
        .expect("ListChannelMemberships");
    assert_eq!(
        members.channel_memberships().len(),
        3,
        "a, b and the creator"
    );
    running.stop().await;
}
