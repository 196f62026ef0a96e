//! Shared set-up: chime-local on 127.0.0.1 (a free port), the real SDK clients pointed at it, and an
//! app instance with users and an admin.

use std::net::SocketAddr;
use std::time::Duration;

use aws_sdk_chimesdkidentity as identity;
use aws_sdk_chimesdkmessaging as messaging;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use bytes::Bytes;
use chime_local::config::{LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY};
use chime_local::{Config, Running, start};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use messaging::types::{
    ChannelMessagePersistenceType, ChannelMessageStatus, ChannelMessageType, ChannelMode,
    ChannelPrivacy, ElasticChannelConfiguration, FallbackAction, InvocationType,
    LambdaConfiguration, Processor, ProcessorConfiguration,
};

pub const REGION: &str = "us-east-1";

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

/// SDK clients for `endpoint`, with the SDK's retries off so injected faults surface as they are.
pub async fn clients_with(
    endpoint: &str,
    key: &str,
    secret: &str,
) -> (messaging::Client, identity::Client) {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new(REGION))
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .credentials_provider(aws_credential_types::Credentials::new(
            key, secret, None, None, "test",
        ))
        .load()
        .await;
    (
        messaging::Client::new(&config),
        identity::Client::new(&config),
    )
}

/// A running chime-local with an app instance, `n` users (`user0`…) and an admin (`admin`).
pub struct World {
    pub running: Running,
    pub chime: messaging::Client,
    pub ident: identity::Client,
    pub instance: String,
    pub admin: String,
    pub users: Vec<String>,
}

impl World {
    pub async fn new(users: usize) -> Self {
        Self::with_config(Config::default(), users).await
    }

    pub async fn with_config(config: Config, users: usize) -> Self {
        let running = start_with(config).await;
        let (chime, ident) = clients_with(
            &running.endpoint,
            LOCAL_ACCESS_KEY_ID,
            LOCAL_SECRET_ACCESS_KEY,
        )
        .await;
        let instance = ident
            .create_app_instance()
            .name("tests")
            .send()
            .await
            .expect("CreateAppInstance")
            .app_instance_arn
            .expect("an ARN");
        let mut world = Self {
            running,
            chime,
            ident,
            instance,
            admin: String::new(),
            users: Vec::new(),
        };
        world.admin = world.user("admin").await;
        world
            .ident
            .create_app_instance_admin()
            .app_instance_arn(&world.instance)
            .app_instance_admin_arn(&world.admin)
            .send()
            .await
            .expect("CreateAppInstanceAdmin");
        for i in 0..users {
            let arn = world.user(&format!("user{i}")).await;
            world.users.push(arn);
        }
        world
    }

    pub async fn user(&self, id: &str) -> String {
        self.ident
            .create_app_instance_user()
            .app_instance_arn(&self.instance)
            .app_instance_user_id(id)
            .name(id)
            .send()
            .await
            .expect("CreateAppInstanceUser")
            .app_instance_user_arn
            .expect("an ARN")
    }

    /// A channel created by the admin with the given members.
    pub async fn channel(
        &self,
        name: &str,
        privacy: ChannelPrivacy,
        mode: ChannelMode,
        members: &[String],
    ) -> String {
        self.chime
            .create_channel()
            .app_instance_arn(&self.instance)
            .name(name)
            .chime_bearer(&self.admin)
            .privacy(privacy)
            .mode(mode)
            .set_member_arns((!members.is_empty()).then(|| members.to_vec()))
            .send()
            .await
            .expect("CreateChannel")
            .channel_arn
            .expect("an ARN")
    }

    /// An elastic channel created by the admin (who moderates it), with no members yet.
    pub async fn elastic_channel(&self, max: i32, target: i32, percent: i32) -> String {
        let elastic = ElasticChannelConfiguration::builder()
            .maximum_sub_channels(max)
            .target_memberships_per_sub_channel(target)
            .minimum_membership_percentage(percent)
            .build()
            .expect("a complete configuration");
        self.chime
            .create_channel()
            .app_instance_arn(&self.instance)
            .name("elastic")
            .chime_bearer(&self.admin)
            .mode(ChannelMode::Restricted)
            .elastic_channel_configuration(elastic)
            .send()
            .await
            .expect("CreateChannel")
            .channel_arn
            .expect("an ARN")
    }

    pub async fn send(&self, channel: &str, bearer: &str, text: &str) -> (String, String) {
        let sent = self
            .chime
            .send_channel_message()
            .channel_arn(channel)
            .chime_bearer(bearer)
            .content(text)
            .r#type(ChannelMessageType::Standard)
            .persistence(ChannelMessagePersistenceType::Persistent)
            .send()
            .await
            .expect("SendChannelMessage");
        let status = sent
            .status()
            .and_then(|s| s.value())
            .map(|v| v.as_str().to_owned())
            .unwrap_or_default();
        (sent.message_id.unwrap_or_default(), status)
    }

    /// Polls (bounded: 5 s) until the message leaves PENDING; returns its status.
    pub async fn settled(
        &self,
        channel: &str,
        bearer: &str,
        id: &str,
        sub: Option<&str>,
    ) -> ChannelMessageStatus {
        for _ in 0..500 {
            let status = self
                .chime
                .get_channel_message_status()
                .channel_arn(channel)
                .message_id(id)
                .chime_bearer(bearer)
                .set_sub_channel_id(sub.map(str::to_owned))
                .send()
                .await
                .expect("GetChannelMessageStatus")
                .status
                .and_then(|s| s.value)
                .expect("a status");
            if status != ChannelMessageStatus::Pending {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        ChannelMessageStatus::Pending
    }

    /// The status right now, without waiting.
    pub async fn status_now(&self, channel: &str, bearer: &str, id: &str) -> ChannelMessageStatus {
        self.chime
            .get_channel_message_status()
            .channel_arn(channel)
            .message_id(id)
            .chime_bearer(bearer)
            .send()
            .await
            .expect("GetChannelMessageStatus")
            .status
            .and_then(|s| s.value)
            .expect("a status")
    }

    pub async fn stop(self) {
        self.running.stop().await;
    }
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
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut request = axum::http::Request::builder()
        .method(method)
        .uri(format!("{endpoint}{path}"))
        .header("x-amz-date", "20260101T000000Z")
        .header("content-type", "application/json");
    if let Some(auth) = auth {
        request = request.header("authorization", auth);
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

/// What a stub Lambda Invoke API received.
#[derive(Debug, Clone)]
pub struct Invoked {
    pub path: String,
    pub invocation_type: Option<String>,
    pub event: serde_json::Value,
}

/// A stub of the Lambda Invoke API on 127.0.0.1 that records each invocation and accepts it (202).
pub struct LambdaStub {
    pub endpoint: String,
    seen: std::sync::Arc<std::sync::Mutex<Vec<Invoked>>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl LambdaStub {
    pub async fn start() -> Self {
        use axum::extract::State;
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let app = axum::Router::new()
            .fallback(
                |State(seen): State<std::sync::Arc<std::sync::Mutex<Vec<Invoked>>>>,
                 uri: axum::http::Uri,
                 headers: axum::http::HeaderMap,
                 body: axum::body::Bytes| async move {
                    let event = serde_json::from_slice(&body).unwrap_or_default();
                    seen.lock().unwrap().push(Invoked {
                        path: uri.path().to_owned(),
                        invocation_type: headers
                            .get("x-amz-invocation-type")
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned),
                        event,
                    });
                    axum::http::StatusCode::ACCEPTED
                },
            )
            .with_state(seen.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Self {
            endpoint,
            seen,
            shutdown: Some(shutdown),
        }
    }

    /// Waits (bounded: 5 s) until `count` invocations arrived; returns them all.
    pub async fn wait_for(&self, count: usize) -> Vec<Invoked> {
        for _ in 0..500 {
            let seen = self.seen.lock().unwrap().clone();
            if seen.len() >= count {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.seen.lock().unwrap().clone()
    }

    pub fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// The built-in pipeline as a flow's only processor (chime-local runs it in-process).
pub fn pipeline_processor() -> Processor {
    processor("pipeline", "flow-pipeline", 1, FallbackAction::Abort)
}

/// One processor of a flow: the Lambda function `function` (by name), in `order`.
pub fn processor(name: &str, function: &str, order: i32, fallback: FallbackAction) -> Processor {
    let lambda = LambdaConfiguration::builder()
        .resource_arn(format!(
            "arn:aws:lambda:us-east-1:000000000000:function:{function}"
        ))
        .invocation_type(InvocationType::Async)
        .build()
        .unwrap();
    Processor::builder()
        .name(name)
        .execution_order(order)
        .fallback_action(fallback)
        .configuration(ProcessorConfiguration::builder().lambda(lambda).build())
        .build()
        .unwrap()
}

pub async fn flow(world: &World, processors: Vec<Processor>) -> String {
    world
        .chime
        .create_channel_flow()
        .app_instance_arn(&world.instance)
        .name("flow")
        .set_processors(Some(processors))
        .send()
        .await
        .unwrap()
        .channel_flow_arn
        .unwrap()
}

/// A channel (created by the admin, with the users as members) and the flow associated.
pub async fn channel_with_flow(world: &World, flow: &str) -> String {
    let channel = world
        .channel(
            "flowing",
            ChannelPrivacy::Private,
            ChannelMode::Restricted,
            &world.users,
        )
        .await;
    world
        .chime
        .associate_channel_flow()
        .channel_arn(&channel)
        .channel_flow_arn(flow)
        .chime_bearer(&world.admin)
        .send()
        .await
        .unwrap();
    channel
}
