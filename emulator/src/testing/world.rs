//! The world most tests start from: chime-local on a free loopback port, SDK clients without
//! retries, an app instance with an admin (`admin`) and `n` users (`user0`…). For tests: a step
//! that fails panics with what failed.

use std::net::SocketAddr;
use std::time::Duration;

use aws_sdk_chimesdkidentity as identity;
use aws_sdk_chimesdkmessaging as messaging;
use messaging::types::{
    ChannelMessagePersistenceType, ChannelMessageStatus, ChannelMessageType, ChannelMode,
    ChannelPrivacy, FallbackAction, Processor,
};

use crate::config::Config;
use crate::server::Running;
use crate::tools::launch::start;
use crate::tools::set_up::{ChannelSpec, Clients, SetUp, lambda_arn, processor};

pub struct World {
    pub running: Running,
    pub clients: Clients,
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
        let region = config.region.clone();
        let addr: SocketAddr = ([127, 0, 0, 1], 0).into();
        let running = start(config, addr).await.expect("chime-local starts");
        let clients = Clients::connect(&running.endpoint, &region, false).await;
        let set_up = clients.set_up();
        let instance = set_up.app_instance("tests").await.expect("app instance");
        let admin = set_up.admin(&instance, "admin").await.expect("admin");
        let mut arns = Vec::new();
        for i in 0..users {
            arns.push(
                set_up
                    .user(&instance, &format!("user{i}"))
                    .await
                    .expect("user"),
            );
        }
        Self {
            running,
            chime: clients.chime.clone(),
            ident: clients.identity.clone(),
            clients,
            instance,
            admin,
            users: arns,
        }
    }

    fn set_up(&self) -> SetUp<'_> {
        self.clients.set_up()
    }

    pub async fn user(&self, id: &str) -> String {
        self.set_up().user(&self.instance, id).await.expect("user")
    }

    /// A channel created by the admin with the given members.
    pub async fn channel(
        &self,
        name: &str,
        privacy: ChannelPrivacy,
        mode: ChannelMode,
        members: &[String],
    ) -> String {
        let spec = ChannelSpec {
            privacy: Some(privacy),
            mode,
            ..ChannelSpec::restricted(name, &self.admin, members)
        };
        self.set_up()
            .channel(&self.instance, &spec)
            .await
            .expect("channel")
    }

    /// A private, restricted channel created by the admin with the given members.
    pub async fn private_channel(&self, name: &str, members: &[String]) -> String {
        self.channel(
            name,
            ChannelPrivacy::Private,
            ChannelMode::Restricted,
            members,
        )
        .await
    }

    /// An elastic channel created by the admin (who moderates it), with no members yet.
    pub async fn elastic_channel(&self, max: i32, target: i32, percent: i32) -> String {
        let spec = ChannelSpec::elastic("elastic", &self.admin, &[], (max, target, percent));
        self.set_up()
            .channel(&self.instance, &spec)
            .await
            .expect("elastic channel")
    }

    /// A flow of `processors` in this world's app instance.
    pub async fn flow(&self, processors: Vec<Processor>) -> String {
        self.set_up()
            .flow(&self.instance, "flow", processors)
            .await
            .expect("flow")
    }

    /// A channel (created by the admin, with the users as members) and `flow` associated.
    pub async fn channel_with_flow(&self, flow: &str) -> String {
        let channel = self
            .channel(
                "flowing",
                ChannelPrivacy::Private,
                ChannelMode::Restricted,
                &self.users,
            )
            .await;
        self.set_up()
            .associate(&channel, flow, &self.admin)
            .await
            .expect("association");
        channel
    }

    /// Sends a persistent standard message; its id and the status the send answered.
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
            let status = self.status_in(channel, bearer, id, sub).await;
            if status != ChannelMessageStatus::Pending {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        ChannelMessageStatus::Pending
    }

    /// The status right now, without waiting.
    pub async fn status_now(&self, channel: &str, bearer: &str, id: &str) -> ChannelMessageStatus {
        self.status_in(channel, bearer, id, None).await
    }

    async fn status_in(
        &self,
        channel: &str,
        bearer: &str,
        id: &str,
        sub: Option<&str>,
    ) -> ChannelMessageStatus {
        self.chime
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
            .expect("a status")
    }

    pub async fn stop(self) {
        self.running.stop().await;
    }
}

/// The built-in pipeline as a flow's only processor (chime-local runs it in-process).
pub fn pipeline_processor() -> Processor {
    test_processor("pipeline", "flow-pipeline", 1, FallbackAction::Abort)
}

/// One processor of a flow: the Lambda function `function` (by name, in the default region and
/// account), in `order`.
pub fn test_processor(
    name: &str,
    function: &str,
    order: i32,
    fallback: FallbackAction,
) -> Processor {
    let defaults = Config::default();
    processor(
        name,
        &lambda_arn(&defaults.region, &defaults.account, function),
        order,
        fallback,
    )
    .expect("a complete processor")
}
