//! The admin API's layer against chime-local on 127.0.0.1, through both entry points as Lambda
//! delivers them: HTTP API events on the service's own routes and direct invocations; the service
//! user as bearer, allowed operations, batches over 100 split and merged, pages followed, elastic
//! channels listed across sub-channels, idempotency keys.

use std::collections::BTreeSet;

mod common;

use chime_admin::api::{AdminApi, Allowed};
use chime_admin::lambda::handle;
use chime_flow::callback::percent_encode;
use serde_json::{Value, json};

struct Setup {
    running: chime_local::Running,
    api: AdminApi,
    instance: String,
    users: Vec<String>,
}

async fn setup(users: usize, allowed: Allowed, caller_bearer: bool) -> Setup {
    let (running, clients) = common::local().await;
    let (instance, service_user) = common::instance_with_admin(&clients, "admin-api").await;
    let mut arns = Vec::new();
    for i in 0..users {
        arns.push(common::user(&clients, &instance, &format!("user{i}")).await);
    }
    let mut api = common::admin_api(&clients, &service_user);
    api.config.allowed = allowed;
    api.config.caller_bearer = caller_bearer;
    Setup {
        running,
        api,
        instance,
        users: arns,
    }
}

/// An API Gateway HTTP API (payload 2.0) event.
fn http(method: &str, path: &str, query: &str, headers: Value, body: Option<Value>) -> Value {
    json!({
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query,
        "headers": headers, "requestContext": {"http": {"method": method, "path": path}},
        "body": body.map(|b| b.to_string()), "isBase64Encoded": false,
    })
}

/// The status and parsed body of an HTTP answer.
async fn answer(setup: &Setup, event: Value) -> (u16, Value) {
    let answered = handle(&setup.api, &event)
        .await
        .expect("HTTP events always answer");
    let status = answered["statusCode"].as_u64().unwrap_or_default() as u16;
    let body = answered["body"].as_str().unwrap_or_default();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_services_routes_and_direct_invocation_reach_the_same_operations() {
    let setup = setup(2, Allowed::All, false).await;
    // CreateChannel on its own route, without a bearer: the service user acts.
    let (status, created) = answer(
        &setup,
        http(
            "POST",
            "/channels",
            "",
            json!({"content-type": "application/json"}),
            Some(
                json!({"AppInstanceArn": setup.instance, "Name": "general", "Mode": "RESTRICTED",
                "Privacy": "PRIVATE", "ClientRequestToken": "channel-general"}),
            ),
        ),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let channel = created["ChannelArn"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    // The same API by direct invocation.
    let members = handle(
        &setup.api,
        &json!({"Operation": "BatchCreateChannelMembership",
            "Input": {"ChannelArn": channel, "MemberArns": setup.users}}),
    )
    .await
    .expect("a batch");
    assert_eq!(
        members["BatchChannelMemberships"]["Members"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    let (status, listed) = answer(
        &setup,
        http(
            "GET",
            &format!("/channels/{}/memberships", percent_encode(&channel)),
            "max-results=1",
            json!({}),
            None,
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        listed["ChannelMemberships"].as_array().map(Vec::len),
        Some(1)
    );
    assert!(listed["NextToken"].is_string());
    // Following pages up to a caller's limit.
    let (_, all) = answer(
        &setup,
        http(
            "GET",
            &format!("/channels/{}/memberships", percent_encode(&channel)),
            "max-results=1",
            json!({"x-chime-admin-max-items": "10"}),
            None,
        ),
    )
    .await;
    assert_eq!(
        all["ChannelMemberships"].as_array().map(Vec::len),
        Some(3),
        "the creator too: {all}"
    );
    assert!(all.get("NextToken").is_none());

    // Validation before any call, the member named; an unknown route; a Chime error kept.
    let (status, refused) = answer(
        &setup,
        http(
            "GET",
            "/channels",
            "app-instance-arn=x&max-results=51",
            json!({}),
            None,
        ),
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["field"], "AppInstanceArn");
    let (status, unknown) = answer(&setup, http("GET", "/rockets", "", json!({}), None)).await;
    assert_eq!(
        (status, unknown["error"].as_str()),
        (404, Some("UnknownRoute"))
    );
    let ghost = format!("{}/channel/ghost", setup.instance);
    let failed = handle(
        &setup.api,
        &json!({"Operation": "DescribeChannel", "Input": {"ChannelArn": ghost}}),
    )
    .await
    .expect_err("no such channel");
    assert_eq!((failed.status, failed.error.as_str()), (403, "Forbidden"));
    let mixed = handle(
        &setup.api,
        &json!({"Operation": "DescribeChannel", "Input": {"ChannelArn": setup.users[0]}}),
    )
    .await
    .expect_err("a user ARN where a channel belongs");
    assert_eq!(mixed.field.as_deref(), Some("ChannelArn"));
    assert!(
        mixed.message.contains("is not the ARN of a channel"),
        "{}",
        mixed.message
    );
    // A caller's bearer is not honoured unless configured.
    let (status, bearer) = answer(
        &setup,
        http(
            "GET",
            &format!("/channels/{}", percent_encode(&channel)),
            "",
            json!({"x-amz-chime-bearer": setup.users[0]}),
            None,
        ),
    )
    .await;
    assert_eq!(
        (status, bearer["error"].as_str()),
        (403, Some("BearerNotAllowed"))
    );
    setup.running.stop().await;
}

#[tokio::test]
async fn batches_over_a_hundred_are_split_and_elastic_channels_listed_across_sub_channels() {
    let setup = setup(250, Allowed::All, false).await;
    let created = handle(
        &setup.api,
        &json!({"Operation": "CreateChannel", "IdempotencyKey": "town-hall",
            "Input": {"AppInstanceArn": setup.instance, "Name": "town-hall", "Mode": "RESTRICTED",
                "ElasticChannelConfiguration": {"MaximumSubChannels": 10,
                    "TargetMembershipsPerSubChannel": 100, "MinimumMembershipPercentage": 10}}}),
    )
    .await
    .expect("an elastic channel");
    let channel = created["ChannelArn"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let again = handle(
        &setup.api,
        &json!({"Operation": "CreateChannel", "IdempotencyKey": "town-hall",
            "Input": {"AppInstanceArn": setup.instance, "Name": "town-hall", "Mode": "RESTRICTED",
                "ElasticChannelConfiguration": {"MaximumSubChannels": 10,
                    "TargetMembershipsPerSubChannel": 100, "MinimumMembershipPercentage": 10}}}),
    )
    .await
    .expect("the same key again");
    assert_eq!(
        again["ChannelArn"],
        channel.as_str(),
        "one channel for one key"
    );

    let mut members = setup.users.clone();
    members.push(format!("{}/user/nobody", setup.instance));
    let batch = handle(
        &setup.api,
        &json!({"Operation": "BatchCreateChannelMembership",
            "Input": {"ChannelArn": channel, "MemberArns": members}}),
    )
    .await
    .expect("a split batch");
    let added: BTreeSet<String> = batch["BatchChannelMemberships"]["Members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["Arn"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(added.len(), 250, "every real member, once");
    assert_eq!(
        batch["Errors"].as_array().map(Vec::len),
        Some(1),
        "the unknown one, reported"
    );

    let everyone = handle(
        &setup.api,
        &json!({"Operation": "ListChannelMemberships", "AllSubChannels": true,
            "Input": {"ChannelArn": channel}}),
    )
    .await
    .expect("across sub-channels");
    let listed = everyone["ChannelMemberships"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let arns: BTreeSet<String> = listed
        .iter()
        .filter_map(|m| m["Member"]["Arn"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(arns, added, "each member exactly once");
    assert_eq!(listed.len(), 250);
    let subs: BTreeSet<&str> = listed
        .iter()
        .filter_map(|m| m["SubChannelId"].as_str())
        .collect();
    assert_eq!(subs.len(), 3, "250 members at 100 per sub-channel");
    setup.running.stop().await;
}

#[tokio::test]
async fn a_read_only_deployment_refuses_writes_and_a_configured_one_honours_callers() {
    let setup = setup(1, Allowed::ReadOnly, true).await;
    let refused = handle(
        &setup.api,
        &json!({"Operation": "CreateChannel", "Input": {"AppInstanceArn": setup.instance, "Name": "x"}}),
    )
    .await
    .expect_err("read-only");
    assert_eq!(
        (refused.status, refused.error.as_str()),
        (403, "OperationNotAllowed")
    );
    let listed = handle(
        &setup.api,
        &json!({"Operation": "ListChannels", "Input": {"AppInstanceArn": setup.instance,
            "ChimeBearer": setup.users[0]}}),
    )
    .await
    .expect("a caller's bearer, allowed here");
    assert_eq!(listed["Channels"], json!([]));
    let callback = handle(
        &setup.api,
        &json!({"Operation": "ChannelFlowCallback", "Input": {}}),
    )
    .await
    .expect_err("never offered");
    assert_eq!(callback.status, 404);
    setup.running.stop().await;
}

#[tokio::test]
async fn bulk_onboarding_queues_batches_that_the_worker_path_adds() {
    let mut setup = setup(150, Allowed::All, false).await;
    let queue = std::sync::Arc::new(chime_admin::onboarding::MemoryQueue::default());
    setup.api.queue = Some(queue.clone());
    let created = handle(
        &setup.api,
        &json!({"Operation": "CreateChannel", "Input": {"AppInstanceArn": setup.instance,
            "Name": "bulk", "Mode": "RESTRICTED"}}),
    )
    .await
    .expect("a channel");
    let channel = created["ChannelArn"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let path = format!("/channels/{}/memberships/bulk", percent_encode(&channel));
    let mut members = setup.users.clone();
    members.push("not-an-arn".into());
    let (status, refused) = answer(
        &setup,
        http(
            "POST",
            &path,
            "",
            json!({}),
            Some(json!({"MemberArns": members})),
        ),
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused["field"]
            .as_str()
            .is_some_and(|f| f.starts_with("MemberArns[")),
        "{refused}"
    );
    assert!(
        queue.take().is_none(),
        "nothing queued when one member is wrong"
    );

    let (status, queued) = answer(
        &setup,
        http(
            "POST",
            &path,
            "",
            json!({}),
            Some(json!({"MemberArns": setup.users})),
        ),
    )
    .await;
    assert_eq!(status, 202, "{queued}");
    assert_eq!(
        (queued["Batches"].as_u64(), queued["Members"].as_u64()),
        (Some(2), Some(150))
    );
    let done =
        chime_admin::onboarding::drain(&setup.api, &queue, 2, std::time::Duration::from_secs(60))
            .await
            .expect("drained");
    assert_eq!(done.added, 150);
    let listed = handle(
        &setup.api,
        &json!({"Operation": "ListChannelMemberships", "MaxItems": 1000, "Input": {"ChannelArn": channel}}),
    )
    .await
    .expect("the members");
    assert_eq!(
        listed["ChannelMemberships"].as_array().map(Vec::len),
        Some(151),
        "and the creator"
    );
    setup.running.stop().await;
}
