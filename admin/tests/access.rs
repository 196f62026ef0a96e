//! Who may act as whom, through the admin API's Lambda entry point: API Gateway HTTP API events
//! carrying an IAM or a JWT authorizer context as AWS sends them (`aws_lambda_events`' fixtures,
//! `tests/events/`), against chime-local on 127.0.0.1 through the real SDK; every call leaves one
//! audit line.

mod common;

use std::sync::Arc;

use chime_admin::access::{AccessPolicy, MemoryAudit};
use chime_admin::api::{AdminApi, grantable};
use chime_admin::lambda::handle;
use chime_flow::callback::percent_encode;
use serde_json::{Value, json};

/// Operators (one IAM role) may do everything but administer identities; chat users signed in
/// through the JWT authorizer may read and send in the channels named `open-*` as themselves.
const POLICY: &str = r#"{"Version": "1", "Statements": [
  {"Sid": "Operators", "Principals": ["arn:aws:sts::123456789012:assumed-role/chat-ops/*"],
   "Operations": ["*"], "NotOperations": ["@identity-admin"]},
  {"Sid": "ChatUsers", "Principals": ["jwt"], "Claims": {"cognito:groups": "chat-users"},
   "Operations": ["SendChannelMessage", "ListChannelMessages"],
   "Channels": ["arn:aws:chime:*/channel/open-*"],
   "Bearer": {"FromClaim": "sub"}}]}"#;

const OPERATOR: &str = "arn:aws:sts::123456789012:assumed-role/chat-ops/alice";

struct World {
    running: chime_local::Running,
    api: AdminApi,
    audit: Arc<MemoryAudit>,
    instance: String,
    open: String,
    staff: String,
    user: String,
}

async fn world() -> World {
    let (running, clients) = common::local().await;
    let (instance, service_user) = common::instance_with_admin(&clients, "access").await;
    let user = common::user(&clients, &instance, "u-1").await;
    let mut api = common::admin_api(&clients, &service_user);
    let channel = async |name: &str| {
        let created = handle(
            &api,
            &json!({"Operation": "CreateChannel", "Input": {"AppInstanceArn": instance,
                "Name": name, "ChannelId": name, "Mode": "RESTRICTED"}}),
        )
        .await
        .expect("a channel");
        created["ChannelArn"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let open = channel("open-general").await;
    let staff = channel("staff").await;
    handle(
        &api,
        &json!({"Operation": "CreateChannelMembership", "Input": {"ChannelArn": open,
            "MemberArn": user, "Type": "DEFAULT"}}),
    )
    .await
    .expect("u-1 joins open-general");
    api.config.policy = AccessPolicy::parse(POLICY, &grantable(&api.model)).expect("the policy");
    let audit = Arc::new(MemoryAudit::default());
    api.audit = audit.clone();
    World {
        running,
        api,
        audit,
        instance,
        open,
        staff,
        user,
    }
}

/// The `aws_lambda_events` fixture `fixture` (`http-api-iam`, `http-api-jwt`,
/// `http-api-no-authorizer`) with its authorizer context set by `authorize`, for a request.
fn event(
    fixture: &str,
    authorize: impl FnOnce(&mut Value),
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> Value {
    let body = body.map(|b| b.to_string());
    let mut event = common::http_event(method, path, "", headers, body.as_deref(), "$default");
    let fixture: Value = serde_json::from_str(match fixture {
        "http-api-jwt" => include_str!("events/http-api-jwt.json"),
        "http-api-no-authorizer" => include_str!("events/http-api-no-authorizer.json"),
        _ => include_str!("events/http-api-iam.json"),
    })
    .expect("the fixture");
    match fixture["requestContext"].get("authorizer") {
        Some(authorizer) => event["requestContext"]["authorizer"] = authorizer.clone(),
        None => {
            if let Some(context) = event["requestContext"].as_object_mut() {
                context.remove("authorizer");
            }
        }
    }
    event["requestContext"]["requestId"] = json!("req-1");
    authorize(&mut event["requestContext"]["authorizer"]);
    event
}

fn iam_as(user_arn: &str, account: &str) -> impl FnOnce(&mut Value) {
    let (user_arn, account) = (user_arn.to_owned(), account.to_owned());
    move |authorizer| {
        authorizer["iam"]["userArn"] = json!(user_arn);
        authorizer["iam"]["accountId"] = json!(account);
    }
}

fn jwt_with(sub: &str, groups: &str) -> impl FnOnce(&mut Value) {
    let (sub, groups) = (sub.to_owned(), groups.to_owned());
    move |authorizer| {
        authorizer["jwt"]["claims"] = json!({"sub": sub, "cognito:groups": groups,
            "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_pool"});
    }
}

async fn answer(api: &AdminApi, event: Value) -> (u16, Value) {
    let answered = handle(api, &event)
        .await
        .expect("HTTP events always answer");
    let status = answered["statusCode"].as_u64().unwrap_or_default() as u16;
    let body = answered["body"].as_str().unwrap_or_default();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// A signed-in user's request (`sub` and its `cognito:groups`) through the JWT authorizer.
async fn as_user(
    w: &World,
    (sub, groups): (&str, &str),
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> (u16, Value) {
    let event = event(
        "http-api-jwt",
        jwt_with(sub, groups),
        method,
        path,
        headers,
        body,
    );
    answer(&w.api, event).await
}

/// An operator's SigV4 request (the `chat-ops` role of the API's account).
async fn as_operator(
    w: &World,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> (u16, Value) {
    let event = event(
        "http-api-iam",
        iam_as(OPERATOR, "123456789012"),
        method,
        path,
        headers,
        body,
    );
    answer(&w.api, event).await
}

fn messages_path(channel: &str) -> String {
    format!("/channels/{}/messages", percent_encode(channel))
}

fn send_body() -> Value {
    json!({"Content": "a secret plan", "Type": "STANDARD", "Persistence": "PERSISTENT",
        "ClientRequestToken": "token-123"})
}

#[tokio::test]
async fn an_ungranted_principal_is_refused_naming_it_and_the_operation() {
    let mut w = world().await;
    // The fixture's own principal: an IAM user the policy names nowhere.
    let create_admin = |authorize: Box<dyn FnOnce(&mut Value)>| {
        event(
            "http-api-iam",
            authorize,
            "POST",
            &format!("/app-instances/{}/admins", percent_encode(&w.instance)),
            &[],
            Some(json!({"AppInstanceAdminArn": w.user})),
        )
    };
    let (status, body) = answer(&w.api, create_admin(Box::new(|_| {}))).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"], "AccessDenied");
    assert_eq!(
        body["message"],
        "arn:aws:iam::1234567890:user/Admin may not call CreateAppInstanceAdmin"
    );
    // The operators may not administer identities either.
    let (status, body) = answer(
        &w.api,
        create_admin(Box::new(iam_as(OPERATOR, "123456789012"))),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("AccessDenied"))
    );
    // A request with no authorizer context at all (a route left without auth).
    let (status, body) = answer(
        &w.api,
        event(
            "http-api-no-authorizer",
            |_| {},
            "GET",
            "/channels",
            &[],
            None,
        ),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("anonymous may not call")),
        "{body}"
    );
    let lines = w.audit.lines();
    assert_eq!(lines.len(), 3);
    assert!(
        lines
            .iter()
            .all(|l| l.outcome == "denied" && l.status == 403)
    );
    assert_eq!(lines[0].principal, "arn:aws:iam::1234567890:user/Admin");
    assert_eq!(lines[0].operation, "CreateAppInstanceAdmin");
    assert!(lines[0].targets.contains(&w.user), "{:?}", lines[0]);
    assert_eq!(lines[0].request_id.as_deref(), Some("req-1"));
    // Nothing was created: the service user is still the only admin.
    w.api.config.policy = AccessPolicy::allow_all(&grantable(&w.api.model));
    let admins = handle(
        &w.api,
        &json!({"Operation": "ListAppInstanceAdmins", "Input": {"AppInstanceArn": w.instance}}),
    )
    .await
    .expect("admins listed");
    assert_eq!(
        admins["AppInstanceAdmins"].as_array().map(Vec::len),
        Some(1),
        "{admins}"
    );
    w.running.stop().await;
}

#[tokio::test]
async fn an_operator_acts_as_the_service_user_and_every_call_is_audited() {
    let w = world().await;
    let (status, body) =
        as_operator(&w, "POST", &messages_path(&w.staff), &[], Some(send_body())).await;
    assert_eq!(status, 201, "{body}");
    // Naming another bearer is refused: operators act as the service user.
    let (status, body) = as_operator(
        &w,
        "POST",
        &messages_path(&w.staff),
        &[("x-amz-chime-bearer", w.user.as_str())],
        Some(send_body()),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("BearerNotAllowed")),
        "{body}"
    );
    let lines = w.audit.lines();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        (
            lines[0].principal.as_str(),
            lines[0].operation.as_str(),
            lines[0].outcome,
            lines[0].status
        ),
        (OPERATOR, "SendChannelMessage", "ok", 201)
    );
    assert_eq!(
        lines[0].bearer.as_deref(),
        Some(w.api.config.service_user.as_str())
    );
    assert_eq!(lines[0].statement.as_deref(), Some("Operators"));
    assert_eq!(lines[0].targets, std::slice::from_ref(&w.staff));
    let written = serde_json::to_string(&lines).unwrap_or_default();
    assert!(!written.contains("secret"), "never content: {written}");
    w.running.stop().await;
}

#[tokio::test]
async fn a_signed_in_user_acts_as_itself_where_granted_and_chimes_own_rules_apply() {
    let mut w = world().await;
    // Through the template's JWT route, /as-user/{proxy+}.
    let (status, body) = as_user(
        &w,
        ("u-1", "[chat-users]"),
        "POST",
        &format!("/as-user{}", messages_path(&w.open)),
        &[],
        Some(send_body()),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let message_id = body["MessageId"].clone();
    let lines = w.audit.lines();
    assert_eq!(
        lines[0].bearer.as_deref(),
        Some(w.user.as_str()),
        "as itself"
    );
    assert_eq!(
        lines[0].principal,
        "jwt:https://cognito-idp.us-east-1.amazonaws.com/us-east-1_pool#u-1"
    );
    // Another user's bearer: refused before any call.
    let other = format!("{}/user/u-2", w.instance);
    let (status, body) = as_user(
        &w,
        ("u-1", "[chat-users]"),
        "POST",
        &messages_path(&w.open),
        &[("x-amz-chime-bearer", other.as_str())],
        Some(send_body()),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("BearerNotAllowed")),
        "{body}"
    );
    // A channel outside the statement's pattern: refused, naming it.
    let (status, body) = as_user(
        &w,
        ("u-1", "[chat-users]"),
        "POST",
        &messages_path(&w.staff),
        &[],
        Some(send_body()),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.ends_with(&format!("on {}", w.staff))),
        "{body}"
    );
    // Without the group: refused.
    let (status, _) = as_user(
        &w,
        ("u-1", "[guests]"),
        "GET",
        &messages_path(&w.open),
        &[],
        None,
    )
    .await;
    assert_eq!(status, 403);
    // A claim that would name another resource is no user.
    let (status, body) = as_user(
        &w,
        ("u-1/channel/staff", "[chat-users]"),
        "GET",
        &messages_path(&w.open),
        &[],
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("AccessDenied")),
        "{body}"
    );
    // Granted, but u-9 is no member of the channel: Chime's own rules refuse it.
    let (status, body) = as_user(
        &w,
        ("u-9", "[chat-users]"),
        "GET",
        &messages_path(&w.open),
        &[],
        None,
    )
    .await;
    assert!(matches!(status, 403 | 404), "{status} {body}");
    assert_ne!(
        body["error"], "AccessDenied",
        "the policy granted it: {body}"
    );
    // The message was sent by u-1 itself.
    w.api.config.policy = AccessPolicy::allow_all(&grantable(&w.api.model));
    let sent = handle(
        &w.api,
        &json!({"Operation": "GetChannelMessage", "Input": {"ChannelArn": w.open,
            "MessageId": message_id}}),
    )
    .await
    .expect("the message");
    assert_eq!(
        sent["ChannelMessage"]["Sender"]["Arn"],
        json!(w.user),
        "{sent}"
    );
    w.running.stop().await;
}

#[tokio::test]
async fn the_bulk_route_is_its_own_operation_and_carries_the_granted_bearer() {
    let mut w = world().await;
    let queue = Arc::new(chime_admin::onboarding::MemoryQueue::default());
    w.api.queue = Some(queue.clone());
    let path = format!("/channels/{}/memberships/bulk", percent_encode(&w.open));
    let body = json!({"MemberArns": [w.user]});
    // Granted BatchCreateChannelMembership alone: the bulk route is refused.
    w.api.config.policy = AccessPolicy::parse(
        r#"{"Statements": [{"Principals": ["same-account"], "Operations": ["BatchCreateChannelMembership"]}]}"#,
        &grantable(&w.api.model),
    )
    .expect("policy");
    let (status, refused) = as_operator(&w, "POST", &path, &[], Some(body.clone())).await;
    assert_eq!(status, 403, "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.ends_with("may not call BulkCreateChannelMembership")),
        "{refused}"
    );
    assert!(queue.take().is_none());
    // Granted with the caller's choice of bearer: the batch carries it to the worker.
    w.api.config.policy = AccessPolicy::parse(
        r#"{"Statements": [{"Principals": ["same-account"], "Operations": ["BulkCreateChannelMembership"], "Bearer": "AnyUser"}]}"#,
        &grantable(&w.api.model),
    )
    .expect("policy");
    let (status, queued) = as_operator(
        &w,
        "POST",
        &path,
        &[("x-amz-chime-bearer", w.user.as_str())],
        Some(body),
    )
    .await;
    assert_eq!(status, 202, "{queued}");
    let batch = queue.take().and_then(Result::ok).expect("a batch");
    assert_eq!(batch.chime_bearer.as_deref(), Some(w.user.as_str()));
    w.running.stop().await;
}

#[tokio::test]
async fn max_items_has_a_documented_maximum() {
    let w = world().await;
    let mut api = w.api;
    api.config.policy = AccessPolicy::allow_all(&grantable(&api.model));
    let refused = handle(
        &api,
        &json!({"Operation": "ListChannels", "MaxItems": 10_001, "Input": {"AppInstanceArn": w.instance}}),
    )
    .await
    .expect_err("too many");
    assert_eq!(refused.field.as_deref(), Some("MaxItems"));
    assert!(refused.message.contains("10000"), "{}", refused.message);
    w.running.stop().await;
}
