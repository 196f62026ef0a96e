//! Making what a scenario needs through the real SDK, each step's failure named.

use aws_sdk_chimesdkidentity as identity;
use aws_sdk_chimesdkmessaging as messaging;
use aws_sdk_chimesdkmessaging::error::DisplayErrorContext;
use messaging::types::{
    ChannelMembershipType, ChannelMode, ChannelPrivacy, ElasticChannelConfiguration,
    FallbackAction, InvocationType, LambdaConfiguration, Processor, ProcessorConfiguration,
};

use crate::config::{LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY, sdk_loader};

/// A set-up step that failed, with the SDK's account of why.
#[derive(Debug, thiserror::Error)]
#[error("set-up step {step} failed: {detail}")]
pub struct SetUpError {
    pub step: &'static str,
    pub detail: String,
}

fn step<T, E: std::error::Error>(
    step: &'static str,
    result: Result<T, E>,
) -> Result<T, SetUpError> {
    result.map_err(|e| SetUpError {
        step,
        detail: DisplayErrorContext(&e).to_string(),
    })
}

/// The SDK configuration and clients for a chime-local, signed with its credentials.
#[derive(Clone, Debug)]
pub struct Clients {
    pub sdk: aws_config::SdkConfig,
    pub chime: messaging::Client,
    pub identity: identity::Client,
}

impl Clients {
    /// Clients for `endpoint`, signed with chime-local's credentials; with `retries` false the SDK's
    /// retries are off, so injected faults surface as they are.
    pub async fn connect(endpoint: &str, region: &str, retries: bool) -> Self {
        let credentials = (LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY);
        Self::connect_as(endpoint, region, credentials, retries).await
    }

    /// The same, signed with other credentials (a test of signature checking).
    pub async fn connect_as(
        endpoint: &str,
        region: &str,
        (key, secret): (&str, &str),
        retries: bool,
    ) -> Self {
        let mut loader = sdk_loader(endpoint, region, key, secret);
        if !retries {
            loader = loader.retry_config(aws_config::retry::RetryConfig::disabled());
        }
        let sdk = loader.load().await;
        Self {
            chime: messaging::Client::new(&sdk),
            identity: identity::Client::new(&sdk),
            sdk,
        }
    }

    /// Set-up steps through these clients.
    pub fn set_up(&self) -> SetUp<'_> {
        SetUp {
            chime: &self.chime,
            identity: &self.identity,
        }
    }
}

/// `arn:aws:lambda:REGION:ACCOUNT:function:NAME`.
pub fn lambda_arn(region: &str, account: &str, function: &str) -> String {
    format!("arn:aws:lambda:{region}:{account}:function:{function}")
}

/// One processor of a flow: the Lambda function at `function_arn`, invoked asynchronously as Chime does.
pub fn processor(
    name: &str,
    function_arn: &str,
    order: i32,
    fallback: FallbackAction,
) -> Result<Processor, SetUpError> {
    let lambda = step(
        "LambdaConfiguration",
        LambdaConfiguration::builder()
            .resource_arn(function_arn)
            .invocation_type(InvocationType::Async)
            .build(),
    )?;
    step(
        "Processor",
        Processor::builder()
            .name(name)
            .execution_order(order)
            .fallback_action(fallback)
            .configuration(ProcessorConfiguration::builder().lambda(lambda).build())
            .build(),
    )
}

/// A channel to create: by whom, with whom, and whether elastic (maximum sub-channels, target
/// members per sub-channel, minimum percentage).
#[derive(Debug, Clone)]
pub struct ChannelSpec<'a> {
    pub name: &'a str,
    pub bearer: &'a str,
    pub members: &'a [String],
    /// None leaves the service's default (PUBLIC).
    pub privacy: Option<ChannelPrivacy>,
    pub mode: ChannelMode,
    pub elastic: Option<(i32, i32, i32)>,
}

impl<'a> ChannelSpec<'a> {
    /// A private, restricted channel created by `bearer` with `members`.
    pub fn restricted(name: &'a str, bearer: &'a str, members: &'a [String]) -> Self {
        Self {
            name,
            bearer,
            members,
            privacy: Some(ChannelPrivacy::Private),
            mode: ChannelMode::Restricted,
            elastic: None,
        }
    }

    /// A restricted elastic channel created by `bearer`, `members` added by batch.
    pub fn elastic(
        name: &'a str,
        bearer: &'a str,
        members: &'a [String],
        (max, target, percent): (i32, i32, i32),
    ) -> Self {
        Self {
            name,
            bearer,
            members,
            privacy: None,
            mode: ChannelMode::Restricted,
            elastic: Some((max, target, percent)),
        }
    }
}

/// Creates what a scenario needs in one app instance's world.
#[derive(Clone, Copy)]
pub struct SetUp<'c> {
    pub chime: &'c messaging::Client,
    pub identity: &'c identity::Client,
}

impl SetUp<'_> {
    pub async fn app_instance(&self, name: &str) -> Result<String, SetUpError> {
        let made = step(
            "CreateAppInstance",
            self.identity.create_app_instance().name(name).send().await,
        )?;
        Ok(made.app_instance_arn.unwrap_or_default())
    }

    pub async fn user(&self, instance: &str, id: &str) -> Result<String, SetUpError> {
        let made = step(
            "CreateAppInstanceUser",
            self.identity
                .create_app_instance_user()
                .app_instance_arn(instance)
                .app_instance_user_id(id)
                .name(id)
                .send()
                .await,
        )?;
        Ok(made.app_instance_user_arn.unwrap_or_default())
    }

    /// A user made an AppInstanceAdmin.
    pub async fn admin(&self, instance: &str, id: &str) -> Result<String, SetUpError> {
        let admin = self.user(instance, id).await?;
        step(
            "CreateAppInstanceAdmin",
            self.identity
                .create_app_instance_admin()
                .app_instance_arn(instance)
                .app_instance_admin_arn(&admin)
                .send()
                .await,
        )?;
        Ok(admin)
    }

    pub async fn flow(
        &self,
        instance: &str,
        name: &str,
        processors: Vec<Processor>,
    ) -> Result<String, SetUpError> {
        let made = step(
            "CreateChannelFlow",
            self.chime
                .create_channel_flow()
                .app_instance_arn(instance)
                .name(name)
                .set_processors(Some(processors))
                .send()
                .await,
        )?;
        Ok(made.channel_flow_arn.unwrap_or_default())
    }

    /// A channel; an elastic one gets its members by batch afterwards (CreateChannel takes none).
    pub async fn channel(
        &self,
        instance: &str,
        spec: &ChannelSpec<'_>,
    ) -> Result<String, SetUpError> {
        let mut request = self
            .chime
            .create_channel()
            .app_instance_arn(instance)
            .name(spec.name)
            .chime_bearer(spec.bearer)
            .set_privacy(spec.privacy.clone())
            .mode(spec.mode.clone());
        if let Some((max, target, percent)) = spec.elastic {
            let elastic = step(
                "ElasticChannelConfiguration",
                ElasticChannelConfiguration::builder()
                    .maximum_sub_channels(max)
                    .target_memberships_per_sub_channel(target)
                    .minimum_membership_percentage(percent)
                    .build(),
            )?;
            request = request.elastic_channel_configuration(elastic);
        } else if !spec.members.is_empty() {
            request = request.set_member_arns(Some(spec.members.to_vec()));
        }
        let channel = step("CreateChannel", request.send().await)?
            .channel_arn
            .unwrap_or_default();
        if spec.elastic.is_some() && !spec.members.is_empty() {
            step(
                "BatchCreateChannelMembership",
                self.chime
                    .batch_create_channel_membership()
                    .channel_arn(&channel)
                    .chime_bearer(spec.bearer)
                    .r#type(ChannelMembershipType::Default)
                    .set_member_arns(Some(spec.members.to_vec()))
                    .send()
                    .await,
            )?;
        }
        Ok(channel)
    }

    pub async fn associate(
        &self,
        channel: &str,
        flow: &str,
        bearer: &str,
    ) -> Result<(), SetUpError> {
        step(
            "AssociateChannelFlow",
            self.chime
                .associate_channel_flow()
                .channel_arn(channel)
                .channel_flow_arn(flow)
                .chime_bearer(bearer)
                .send()
                .await,
        )?;
        Ok(())
    }
}
