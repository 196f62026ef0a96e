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

async fn setup(users: usize, allowed: Allowed, policy: Option<&str>) -> Setup {
    let (running, clients) = common::local().await;
    let (instance, service_user) = common::instance_with_admin(&clients, "admin-api").await;
    let mut arns = Vec::new();
    for i in 0..users {
        arns.push(common::user(&clients, &instance, &format!("user{i}")).await);
    }
    let mut api = common::admin_api(&clients, &service_user);
    api.config.allowed = allowed;
    if let Some(policy) = policy {
        api.config.policy = chime_admin::access::AccessPolicy::parse(
            policy,
            &chime_admin::api::grantable(&api.model),
        )
        .expect("the test's policy");
    }
    Setup {
        running,
        api,
        instance,
        users: arns,
    }
}

/// An API Gateway HTTP API (payload 2.0) event, from `aws_lambda_events`' fixture (`common`).
fn http(method: &str, path: &str, query: &str, headers: Value, body: Option<Value>) -> Value {
    let headers: Vec<(String, String)> = headers
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect();
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let body = body.map(|b| b.to_string());
    common::http_event(method, path, query, &headers, body.as_deref(), "$default")
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
    let setup = setup(2, Allowed::All, None).await;
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
        mixed
            .message
            .ends_with("is the ARN of an AppInstanceUser, not of a channel"),
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
    let setup = setup(250, Allowed::All, None).await;
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
    // Across sub-channels with MaxItems: the tokens resume across sub-channel boundaries, also when
    // an answer ends exactly on one (100 per sub-channel).
    for max_items in [40, 100, 7] {
        let (walked, answers) = walk_members(&setup, &channel, None, max_items, true).await;
        assert_eq!(walked.len(), 250, "MaxItems {max_items}");
        let unique: BTreeSet<&String> = walked.iter().collect();
        assert_eq!(
            unique.len(),
            250,
            "each exactly once with MaxItems {max_items}"
        );
        assert_eq!(
            answers,
            250_usize.div_ceil(max_items),
            "MaxItems {max_items}"
        );
    }
    setup.running.stop().await;
}

/// Lists a channel's members by direct invocation with `MaxItems`, resuming with each answer's
/// `NextToken` until there is none: the member ARNs in order and how many answers it took.
async fn walk_members(
    setup: &Setup,
    channel: &str,
    max_results: Option<u64>,
    max_items: usize,
    all_sub_channels: bool,
) -> (Vec<String>, usize) {
    let mut walked = Vec::new();
    let mut token: Option<String> = None;
    for answers in 1..=1000 {
        let mut input = json!({"ChannelArn": channel});
        if let Some(max_results) = max_results {
            input["MaxResults"] = json!(max_results);
        }
        if let Some(token) = &token {
            input["NextToken"] = json!(token);
        }
        let page = handle(
            &setup.api,
            &json!({"Operation": "ListChannelMemberships", "MaxItems": max_items,
                "AllSubChannels": all_sub_channels, "Input": input}),
        )
        .await
        .expect("a page");
        let items = page["ChannelMemberships"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(
            items.len() <= max_items,
            "{} > MaxItems {max_items}",
            items.len()
        );
        walked.extend(
            items
                .iter()
                .filter_map(|m| m["Member"]["Arn"].as_str().map(str::to_owned)),
        );
        match page["NextToken"].as_str() {
            Some(next) => token = Some(next.to_owned()),
            None => return (walked, answers),
        }
    }
    panic!("the walk did not end");
}

/// `MaxItems` as the AWS CLI's `--max-items`: a token exactly when items remain, and resuming with
/// it continues where the answer stopped — mid-page (120, 30 with the service's default page) and on
/// a page boundary (100 with MaxResults 50).
#[tokio::test]
async fn max_items_tokens_resume_where_the_answer_stopped() {
    let setup = setup(230, Allowed::All, None).await;
    let created = handle(
        &setup.api,
        &json!({"Operation": "CreateChannel",
            "Input": {"AppInstanceArn": setup.instance, "Name": "big", "Mode": "RESTRICTED"}}),
    )
    .await
    .expect("a channel");
    let channel = created["ChannelArn"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    handle(
        &setup.api,
        &json!({"Operation": "BatchCreateChannelMembership",
            "Input": {"ChannelArn": channel, "MemberArns": setup.users}}),
    )
    .await
    .expect("230 members and the creator");
    for (max_items, max_results) in [
        (120, None),
        (30, None),
        (100, Some(50)),
        (231, Some(50)),
        (1, Some(7)),
    ] {
        let (walked, answers) = walk_members(&setup, &channel, max_results, max_items, false).await;
        let unique: BTreeSet<&String> = walked.iter().collect();
        assert_eq!(
            (walked.len(), unique.len()),
            (231, 231),
            "every member exactly once with MaxItems {max_items}, MaxResults {max_results:?}"
        );
        assert_eq!(
            answers,
            231_usize.div_ceil(max_items),
            "MaxItems {max_items}"
        );
    }
    // On the HTTP route (the path as API Gateway delivers it), the token in the query.
    let path = format!("/channels/{channel}/memberships");
    let page = |query: String, max_items: &'static str| {
        common::http_event(
            "GET",
            &path,
            &query,
            &[("x-chime-admin-max-items", max_items)],
            None,
            "$default",
        )
    };
    let (status, body) = answer(&setup, page("max-results=50".into(), "100")).await;
    assert_eq!(status, 200, "{body}");
    let token = body["NextToken"]
        .as_str()
        .expect("members remain after 100 of 231");
    let query = format!("max-results=50&next-token={}", percent_encode(token));
    let (_, rest) = answer(&setup, page(query, "200")).await;
    assert_eq!(
        rest["ChannelMemberships"].as_array().map(Vec::len),
        Some(131),
        "{rest}"
    );
    assert!(rest.get("NextToken").is_none(), "nothing remains");
    let refused = handle(
        &setup.api,
        &json!({"Operation": "ListChannelMemberships", "MaxItems": 5,
            "Input": {"ChannelArn": channel, "NextToken": "chime-admin-1.garbage"}}),
    )
    .await
    .expect_err("a token this API never returned");
    assert_eq!(refused.field.as_deref(), Some("NextToken"));
    setup.running.stop().await;
}

/// The variants of an HTTP API event a deployed API sees: a base64 body (binary media types), cookies,
/// repeated query parameters (API Gateway joins them with commas in `queryStringParameters`; the
/// function reads `rawQueryString`), admin/README.md's `jq @uri` path decoded, and a named stage.
#[tokio::test]
async fn http_api_event_variants_reach_their_operations() {
    use base64::Engine as _;
    let setup = setup(1, Allowed::All, None).await;
    let body = json!({"AppInstanceArn": setup.instance, "Name": "variants", "Mode": "RESTRICTED"});
    let mut created = http("POST", "/channels", "", json!({}), None);
    created["body"] =
        json!(base64::engine::general_purpose::STANDARD.encode(body.to_string().as_bytes()));
    created["isBase64Encoded"] = json!(true);
    created["cookies"] = json!(["session=abc", "theme=dark"]);
    let (status, channel) = answer(&setup, created).await;
    assert_eq!(status, 201, "{channel}");
    let channel = channel["ChannelArn"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    let mut multi: Value = serde_json::from_str(include_str!("events/http-api-multi-value.json"))
        .expect("the fixture");
    let query = format!(
        "app-instance-arn={}&max-results=5&tag=a&tag=b",
        percent_encode(&setup.instance)
    );
    multi["rawPath"] = json!("/channels");
    multi["rawQueryString"] = json!(query);
    multi["queryStringParameters"] =
        json!({"app-instance-arn": setup.instance, "max-results": "5", "tag": "a,b"});
    multi["requestContext"]["http"]["method"] = json!("GET");
    multi["requestContext"]["http"]["path"] = json!("/channels");
    // That fixture's route has no authorizer: such a request is refused as anonymous; behind
    // AWS_IAM it carries the IAM fixture's principal.
    let (status, refused) = answer(&setup, multi.clone()).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (403, Some("AccessDenied")),
        "{refused}"
    );
    let iam: Value =
        serde_json::from_str(include_str!("events/http-api-iam.json")).expect("the fixture");
    multi["requestContext"]["authorizer"] = iam["requestContext"]["authorizer"].clone();
    let (status, listed) = answer(&setup, multi).await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["Channels"].as_array().map(Vec::len), Some(1));

    // admin/README.md's example: `/channels/$(jq -rn --arg a "$ARN" '$a|@uri')/memberships`, as an HTTP
    // API hands it over (decoded), and on a named stage.
    let member = setup.users[0].clone();
    let path = format!("/channels/{channel}/memberships");
    for stage in ["$default", "prod"] {
        let event = common::http_event(
            "POST",
            &path,
            "",
            &[],
            Some(&json!({"MemberArn": member, "Type": "DEFAULT"}).to_string()),
            stage,
        );
        let (status, added) = answer(&setup, event).await;
        assert!(
            status == 201 || (stage == "prod" && status == 409),
            "{stage}: {status} {added}"
        );
    }
    let event = common::http_event("GET", &path, "", &[], None, "prod");
    let (status, members) = answer(&setup, event).await;
    assert_eq!(status, 200, "{members}");
    assert_eq!(
        members["ChannelMemberships"].as_array().map(Vec::len),
        Some(2)
    );
    setup.running.stop().await;
}

/// A direct invocation must be a JSON object; anything else is refused as such, not as a missing
/// `Operation`.
#[tokio::test]
async fn a_direct_invocation_that_is_not_an_object_is_refused_as_such() {
    let setup = setup(0, Allowed::All, None).await;
    for (event, kind) in [
        (json!("x"), "a string"),
        (json!([]), "an array"),
        (Value::Null, "null"),
        (json!(7), "a number"),
    ] {
        let refused = handle(&setup.api, &event).await.expect_err("not an object");
        assert_eq!(refused.error, "InvalidEvent", "{event}");
        assert!(
            refused
                .message
                .starts_with("the event must be a JSON object")
                && refused.message.ends_with(&format!("not {kind}")),
            "{}",
            refused.message
        );
    }
    setup.running.stop().await;
}

#[tokio::test]
async fn a_read_only_deployment_refuses_writes_and_a_configured_one_honours_callers() {
    // A trusted backend may name its users as the bearer.
    let setup = setup(
        1,
        Allowed::ReadOnly,
        Some(r#"{"Statements": [{"Principals": ["direct"], "Operations": ["*"], "Bearer": "AnyUser"}]}"#),
    )
    .await;
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
    let mut setup = setup(150, Allowed::All, None).await;
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

/// A direct invocation that must succeed.
async fn ok(api: &AdminApi, operation: &str, input: Value) -> Value {
    handle(api, &json!({"Operation": operation, "Input": input}))
        .await
        .unwrap_or_else(|f| panic!("{operation}: {} {}", f.error, f.message))
}

/// A direct invocation that must fail.
async fn refused(api: &AdminApi, operation: &str, input: Value) -> chime_admin::api::ErrorReply {
    match handle(api, &json!({"Operation": operation, "Input": input})).await {
        Ok(answer) => panic!("{operation} answered {answer}"),
        Err(failure) => failure,
    }
}

/// `RedriveFailedEvents` through the admin layer (direct and on its HTTP route), its ports
/// chime-local's failure queue and processors: an event whose three deliveries failed is reported
/// by a dry run, then settled by the replay; a read-only deployment may only dry-run, and one
/// without the queue says it is not configured.
#[tokio::test]
async fn failed_events_are_replayed_through_the_admin_api() {
    use chime_local::emulator::faults::{FaultRule, Faults};
    let config = chime_local::Config {
        async_retry_delays: vec![
            std::time::Duration::from_millis(20),
            std::time::Duration::from_millis(40),
        ],
        ..chime_local::Config::default()
    };
    let (running, clients) = common::local_with(config).await;
    let (instance, admin) = common::instance_with_admin(&clients, "redrive").await;
    let mut api = common::admin_api(&clients, &admin);
    let lambda = "arn:aws:lambda:us-east-1:000000000000:function:flow-pipeline";
    let flow = ok(
        &api,
        "CreateChannelFlow",
        json!({"AppInstanceArn": instance, "Name": "pipeline",
        "Processors": [{"Name": "pipeline", "ExecutionOrder": 1, "FallbackAction": "ABORT",
            "Configuration": {"Lambda": {"InvocationType": "ASYNC", "ResourceArn": lambda}}}]}),
    )
    .await;
    let created = ok(
        &api,
        "CreateChannel",
        json!({"AppInstanceArn": instance, "Name": "c"}),
    )
    .await;
    let channel = created["ChannelArn"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let association = json!({"ChannelArn": channel, "ChannelFlowArn": flow["ChannelFlowArn"]});
    ok(&api, "AssociateChannelFlow", association).await;
    let unconfigured = refused(&api, "RedriveFailedEvents", json!({})).await;
    assert_eq!(unconfigured.status, 501);

    let every_callback_refused = FaultRule {
        reject_first: 3,
        ..FaultRule::default()
    };
    let faults = Faults(std::collections::BTreeMap::from([(
        "ChannelFlowCallback".to_owned(),
        every_callback_refused,
    )]));
    running.emulator.set_faults(faults).expect("rules");
    let sent = ok(
        &api,
        "SendChannelMessage",
        json!({"ChannelArn": channel,
        "Content": "held by a failing flow", "Type": "STANDARD", "Persistence": "PERSISTENT"}),
    )
    .await;
    let queue = running.emulator.failed_events();
    for _ in 0..300 {
        if !queue.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(queue.len(), 1, "three failed deliveries keep the event");
    api.failed_events = Some(chime_admin::api::FailedEventPorts {
        queue: queue.clone(),
        processors: running.emulator.processors().expect("processors"),
    });
    api.config.allowed = Allowed::ReadOnly;
    let dry = ok(
        &api,
        "RedriveFailedEvents",
        json!({"DryRun": true, "Limit": 5}),
    )
    .await;
    assert_eq!(dry["Records"][0]["Result"], "WouldReplay");
    assert_eq!(dry["Records"][0]["MessageId"], sent["MessageId"]);
    let not_allowed = refused(&api, "RedriveFailedEvents", json!({})).await;
    assert_eq!(not_allowed.error, "OperationNotAllowed");
    let bad_limit = refused(&api, "RedriveFailedEvents", json!({"Limit": 0})).await;
    assert_eq!(bad_limit.field.as_deref(), Some("Limit"));

    api.config.allowed = Allowed::All;
    running
        .emulator
        .set_faults(Faults::default())
        .expect("fixed");
    let event = common::http_event(
        "POST",
        "/failed-events/redrive",
        "",
        &[],
        Some(r#"{"Limit": 5}"#),
        "$default",
    );
    let answered = handle(&api, &event).await.expect("an HTTP answer");
    let report: Value =
        serde_json::from_str(answered["body"].as_str().unwrap_or_default()).unwrap_or_default();
    assert_eq!(answered["statusCode"], 200, "{report}");
    assert_eq!(
        (&report["Settled"], &report["Examined"]),
        (&json!(1), &json!(1)),
        "{report}"
    );
    assert!(queue.is_empty(), "settled: off the queue");
    let status = ok(
        &api,
        "GetChannelMessageStatus",
        json!({"ChannelArn": channel, "MessageId": sent["MessageId"]}),
    )
    .await;
    assert_eq!(status["Status"]["Value"], "SENT", "{status}");
    running.stop().await;
}
