//! What the admin tests share: chime-local on 127.0.0.1 with SDK clients for it, and an app
//! instance whose service user is an AppInstanceAdmin.

#![allow(dead_code)]

use chime_admin::Clients;
use chime_admin::api::{AdminApi, AdminConfig};
use chime_local::testing;

/// chime-local on a free loopback port, and clients signed for it.
pub async fn local() -> (chime_local::Running, Clients) {
    local_with(chime_local::Config::default()).await
}

/// The same with a configuration of the test's own.
pub async fn local_with(config: chime_local::Config) -> (chime_local::Running, Clients) {
    let region = config.region.clone();
    let running = chime_local::start(config, ([127, 0, 0, 1], 0).into())
        .await
        .expect("chime-local starts");
    let sdk = testing::Clients::connect(&running.endpoint, &region, true).await;
    (running, Clients::new(&sdk.sdk))
}

fn set_up(clients: &Clients) -> testing::SetUp<'_> {
    testing::SetUp {
        chime: &clients.messaging,
        identity: &clients.identity,
    }
}

/// A new app instance and its service user, made an AppInstanceAdmin.
pub async fn instance_with_admin(clients: &Clients, name: &str) -> (String, String) {
    let set_up = set_up(clients);
    let instance = set_up.app_instance(name).await.expect("app instance");
    let admin = set_up.admin(&instance, "service").await.expect("admin");
    (instance, admin)
}

pub async fn user(clients: &Clients, instance: &str, id: &str) -> String {
    set_up(clients).user(instance, id).await.expect("user")
}

/// The admin API's layer acting as `service_user`, everything allowed to everyone, no queue.
pub fn admin_api(clients: &Clients, service_user: &str) -> AdminApi {
    let model = chime_api::Model::load().expect("the models load");
    let config = AdminConfig::allowing_all(service_user, &model);
    AdminApi::new(model, clients.clone(), config)
}

/// An API Gateway HTTP API (payload 2.0) event for the admin API's `ANY /{proxy+}` route, made from
/// `aws_lambda_events`' own fixture (`tests/events/`): only what a request changes is set. `path` is
/// the `rawPath` as delivered (HTTP APIs decode it; pass an encoded one to test that form too);
/// `stage` other than `$default` prefixes it, as a named stage's execute-api URL does.
pub fn http_event(
    method: &str,
    path: &str,
    query: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
    stage: &str,
) -> serde_json::Value {
    let mut event: serde_json::Value =
        serde_json::from_str(include_str!("../events/http-api-iam.json")).expect("the fixture");
    let raw_path = if stage == "$default" {
        path.to_owned()
    } else {
        format!("/{stage}{path}")
    };
    let headers: serde_json::Map<String, serde_json::Value> = [
        ("content-type", "application/json"),
        ("host", "api-id.execute-api.us-east-1.amazonaws.com"),
    ]
    .iter()
    .chain(headers)
    .map(|(k, v)| ((*k).to_owned(), serde_json::json!(v)))
    .collect();
    let params: serde_json::Map<String, serde_json::Value> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (k.to_owned(), serde_json::json!(v))
        })
        .collect();
    event["routeKey"] = serde_json::json!("ANY /{proxy+}");
    event["rawPath"] = serde_json::json!(raw_path);
    event["rawQueryString"] = serde_json::json!(query);
    event["headers"] = serde_json::Value::Object(headers);
    event["queryStringParameters"] = serde_json::Value::Object(params);
    event["pathParameters"] = serde_json::json!({"proxy": path.trim_start_matches('/')});
    event["requestContext"]["routeKey"] = serde_json::json!("ANY /{proxy+}");
    event["requestContext"]["stage"] = serde_json::json!(stage);
    event["requestContext"]["http"]["method"] = serde_json::json!(method);
    event["requestContext"]["http"]["path"] = serde_json::json!(raw_path);
    match body {
        Some(body) => event["body"] = serde_json::json!(body),
        None => {
            if let Some(fields) = event.as_object_mut() {
                fields.remove("body");
            }
        }
    }
    event
}

/// A path as an HTTP API hands it to the function: percent-decoded.
pub fn decoded(path: &str) -> String {
    percent_encoding::percent_decode_str(path)
        .decode_utf8_lossy()
        .into_owned()
}
