//! What the emulator's tests share beyond `chime_local::testing` (the world, the stub server): SDK
//! clients with other credentials, raw HTTP requests, error codes.

use std::net::SocketAddr;

use aws_sdk_chimesdkidentity as identity;
use aws_sdk_chimesdkmessaging as messaging;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use bytes::Bytes;
use chime_local::config::{LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY};
use chime_local::{Config, Running, start};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

pub const REGION: &str = "us-east-1";

pub use chime_local::testing::{
    Answer, StubServer, World, pipeline_processor, test_processor as processor,
};

/// Every item of every page of a list, walked by the SDK's own paginator (which follows NextToken).
macro_rules! all_pages {
    ($paginator:expr, $items:ident) => {
        $paginator
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .unwrap()
            .iter()
            .flat_map(|page| page.$items().to_vec())
            .collect::<Vec<_>>()
    };
}
pub(crate) use all_pages;

/// chime-local's default configuration with SigV4 signatures verified against its own credentials.
pub fn verifying() -> Config {
    Config {
        verify_signatures: Some(chime_local::server::sigv4::LocalCredentials {
            access_key_id: LOCAL_ACCESS_KEY_ID.into(),
            secret_access_key: LOCAL_SECRET_ACCESS_KEY.into(),
        }),
        ..Config::default()
    }
}

pub async fn start_with(config: Config) -> Running {
    let addr: SocketAddr = ([127, 0, 0, 1], 0).into();
    start(config, addr).await.expect("chime-local starts")
}

/// SDK clients for `endpoint` signed with `key` and `secret`, with the SDK's retries off so injected
/// faults surface as they are.
pub async fn clients_with(
    endpoint: &str,
    key: &str,
    secret: &str,
) -> (messaging::Client, identity::Client) {
    let clients =
        chime_local::testing::Clients::connect_as(endpoint, REGION, (key, secret), false).await;
    (clients.chime, clients.identity)
}

/// The error code an SDK error carries (`ForbiddenException`…), and its message.
pub fn code<E: ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(
    error: &aws_smithy_runtime_api::client::result::SdkError<E, R>,
) -> (String, String) {
    match error.as_service_error() {
        Some(e) => (
            e.code().unwrap_or_default().to_owned(),
            e.message().unwrap_or_default().to_owned(),
        ),
        None => (format!("not a service error: {error:?}"), String::new()),
    }
}

/// A raw HTTP response: status, headers, body text.
pub struct Raw {
    pub status: u16,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

/// Sends a request as-is (no SDK): `auth` becomes the Authorization header when given.
pub async fn raw(endpoint: &str, method: &str, path: &str, auth: Option<&str>, body: &str) -> Raw {
    let mut headers = vec![
        ("x-amz-date", "20260101T000000Z".to_owned()),
        ("content-type", "application/json".to_owned()),
        (chime_local::server::guard::CONTROL_HEADER, "1".to_owned()),
    ];
    if let Some(auth) = auth {
        headers.push(("authorization", auth.to_owned()));
    }
    raw_with(endpoint, method, path, &headers, body).await
}

/// Sends a request with exactly these headers (a `host` among them replaces the URL's).
pub async fn raw_with(
    endpoint: &str,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &str,
) -> Raw {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut request = axum::http::Request::builder()
        .method(method)
        .uri(format!("{endpoint}{path}"));
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let request = request
        .body(Full::new(Bytes::from(body.to_owned())))
        .expect("a request");
    let response = client.request(request).await.expect("a response");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("a body")
        .to_bytes();
    Raw {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// A well-formed (not verified) SigV4 Authorization header.
pub fn fake_auth() -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/chime/aws4_request, SignedHeaders=host;x-amz-date, Signature={}",
        "0".repeat(64)
    )
}

/// Percent-encodes an ARN for a path, `/` and `:` included.
pub fn encode(arn: &str) -> String {
    chime_flow::callback::percent_encode(arn)
}

/// A stub of the Lambda Invoke API on 127.0.0.1 that records each invocation and accepts it (202).
pub async fn lambda_stub() -> StubServer {
    StubServer::start(Vec::new(), |_| Answer::status(202))
        .await
        .expect("the stub listens")
}

/// Whether a client from outside Rust can run here: its packages are `installed` and `command`
/// succeeds. When it cannot, the test fails if `require` (an environment variable CI sets) is set,
/// so it never goes unrun there; elsewhere it says `missing` and passes without running.
pub fn outside_client_runs(
    installed: bool,
    command: &[&str],
    require: &str,
    missing: &str,
) -> bool {
    let runs = installed
        && std::process::Command::new(command[0])
            .args(&command[1..])
            .output()
            .is_ok_and(|o| o.status.success());
    if !runs {
        assert!(
            std::env::var_os(require).is_none(),
            "{require} is set but {missing}"
        );
        eprintln!("{missing}: this test does not run here");
    }
    runs
}

/// Runs a node script with `args` to its end (off the async runtime): the one JSON line it printed,
/// or its standard error when it failed.
pub async fn node_report(args: Vec<String>) -> Result<serde_json::Value, String> {
    let output =
        tokio::task::spawn_blocking(move || std::process::Command::new("node").args(args).output())
            .await
            .map_err(|e| format!("the node task: {e}"))?
            .map_err(|e| format!("node does not run: {e}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    serde_json::from_slice(&output.stdout).map_err(|e| format!("not one JSON line: {e}"))
}

/// Moves chime-local's expiry clock forward and sweeps; what it deleted.
pub async fn advance(world: &World, seconds: i64) -> serde_json::Value {
    let answer = raw(
        &world.running.endpoint,
        "POST",
        "/_chime-local/clock",
        None,
        &format!(r#"{{"AdvanceSeconds": {seconds}}}"#),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    serde_json::from_str::<serde_json::Value>(&answer.body).expect("JSON")["Swept"].clone()
}
