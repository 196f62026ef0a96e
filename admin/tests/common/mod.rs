//! What the admin tests share: chime-local on 127.0.0.1 with SDK clients for it, and an app
//! instance whose service user is an AppInstanceAdmin.

#![allow(dead_code)]

use chime_admin::Clients;
use chime_admin::api::{AdminApi, AdminConfig, Allowed};

/// chime-local on a free loopback port, and clients signed for it.
pub async fn local() -> (chime_local::Running, Clients) {
    local_with(chime_local::Config::default()).await
}

/// The same with a configuration of the test's own.
pub async fn local_with(config: chime_local::Config) -> (chime_local::Running, Clients) {
    let running = chime_local::start(config, ([127, 0, 0, 1], 0).into())
        .await
        .expect("chime-local starts");
    let sdk = chime_local::tools::demo::local_config(&running.endpoint, "us-east-1")
        .load()
        .await;
    (running, Clients::new(&sdk))
}

/// A new app instance and its service user, made an AppInstanceAdmin.
pub async fn instance_with_admin(clients: &Clients, name: &str) -> (String, String) {
    let instance = clients
        .identity
        .create_app_instance()
        .name(name)
        .send()
        .await
        .expect("CreateAppInstance")
        .app_instance_arn
        .unwrap_or_default();
    let admin = user(clients, &instance, "service").await;
    clients
        .identity
        .create_app_instance_admin()
        .app_instance_arn(&instance)
        .app_instance_admin_arn(&admin)
        .send()
        .await
        .expect("CreateAppInstanceAdmin");
    (instance, admin)
}

pub async fn user(clients: &Clients, instance: &str, id: &str) -> String {
    clients
        .identity
        .create_app_instance_user()
        .app_instance_arn(instance)
        .app_instance_user_id(id)
        .name(id)
        .send()
        .await
        .expect("CreateAppInstanceUser")
        .app_instance_user_arn
        .unwrap_or_default()
}

/// The admin API's layer acting as `service_user`, everything allowed, no queue.
pub fn admin_api(clients: &Clients, service_user: &str) -> AdminApi {
    AdminApi {
        model: chime_api::Model::load().expect("the models load"),
        clients: clients.clone(),
        config: AdminConfig {
            service_user: service_user.to_owned(),
            allowed: Allowed::All,
            caller_bearer: false,
            batch_concurrency: 4,
        },
        queue: None,
        failed_events: None,
    }
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
