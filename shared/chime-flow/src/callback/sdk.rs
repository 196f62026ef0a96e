//! The SDK adapter: a `ChannelFlowCallback` through the real `aws-sdk-chimesdkmessaging` client.
//!
//! The SDK's own retries are turned off on this client so that the retry budget here is the only one
//! (retries inside retries multiply); each attempt has its own timeout so a hung connection is retried.

use std::time::Duration;

use aws_sdk_chimesdkmessaging::Client;
use aws_sdk_chimesdkmessaging::config::retry::RetryConfig;
use aws_sdk_chimesdkmessaging::config::timeout::TimeoutConfig;
use aws_sdk_chimesdkmessaging::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_chimesdkmessaging::types::{
    ChannelMessageCallback, MessageAttributeValue, PushNotificationConfiguration,
    PushNotificationType,
};

use super::{CallbackError, CallbackRequest, CallbackSender, Delivered, Failure};
use crate::retry::RetryPolicy;

/// Sends callbacks with the AWS SDK (`ChannelFlowCallback`), its own retries off and ours on.
pub struct SdkCallbackSender {
    client: Client,
    policy: RetryPolicy,
}

impl SdkCallbackSender {
    /// Builds the one client of the process from the shared SDK config (which honours
    /// `AWS_ENDPOINT_URL_CHIME_SDK_MESSAGING`, so chime-local is reached the same way as AWS).
    pub fn new(
        sdk_config: &aws_config::SdkConfig,
        policy: RetryPolicy,
        attempt_timeout: Duration,
    ) -> Self {
        let config = aws_sdk_chimesdkmessaging::config::Builder::from(sdk_config)
            .retry_config(RetryConfig::disabled())
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_attempt_timeout(attempt_timeout)
                    .build(),
            )
            .build();
        Self {
            client: Client::from_conf(config),
            policy,
        }
    }

    /// The SDK client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    async fn attempt(&self, request: &CallbackRequest) -> Result<(), Failure> {
        let message = to_sdk_message(request)?;
        self.client
            .channel_flow_callback()
            .callback_id(&request.callback_id)
            .channel_arn(request.channel_arn.as_str())
            .delete_resource(request.delete_resource)
            .channel_message(message)
            .send()
            .await
            .map(|_| ())
            .map_err(|error| failure_of(&error))
    }
}

impl CallbackSender for SdkCallbackSender {
    async fn send(&self, request: &CallbackRequest) -> Result<Delivered, CallbackError> {
        super::deliver(&self.policy, || self.attempt(request)).await
    }
}

fn failure_of<E, R>(error: &SdkError<E, R>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + HasStatus,
{
    let status = error.raw_response().map(HasStatus::status);
    match error {
        SdkError::TimeoutError(_) => Failure::classify(None, None, "attempt timed out", true),
        SdkError::DispatchFailure(_) => {
            Failure::classify(None, None, "request could not be sent", true)
        }
        SdkError::ServiceError(service) => {
            let err = service.err();
            Failure::classify(
                err.code(),
                status,
                err.message().unwrap_or("(no message)"),
                false,
            )
        }
        SdkError::ResponseError(_) => Failure::classify(None, status, "unreadable response", false),
        other => Failure::classify(None, status, &format!("request not built: {other}"), false),
    }
}

/// The HTTP status of a raw response, behind a trait so that [`failure_of`] stays generic.
trait HasStatus {
    fn status(&self) -> u16;
}

impl HasStatus for aws_sdk_chimesdkmessaging::config::http::HttpResponse {
    fn status(&self) -> u16 {
        self.status().as_u16()
    }
}

/// The SDK's typed form of the callback: the SDK writes it as JSON itself, and
/// `tests/tests/callback_wire.rs` checks that it writes exactly [`CallbackRequest::to_wire_json`].
fn to_sdk_message(request: &CallbackRequest) -> Result<ChannelMessageCallback, Failure> {
    let message = &request.message;
    let mut builder = ChannelMessageCallback::builder()
        .message_id(&message.message_id)
        .set_content(message.content.clone())
        .set_metadata(message.metadata.clone())
        .set_content_type(message.content_type.clone())
        .set_sub_channel_id(message.sub_channel_id.clone());
    for (name, values) in &message.attributes {
        builder = builder.message_attributes(
            name,
            MessageAttributeValue::builder()
                .set_string_values(Some(values.clone()))
                .build(),
        );
    }
    if let Some(push) = &message.push_notification {
        builder = builder.push_notification(
            PushNotificationConfiguration::builder()
                .set_title(push.title.clone())
                .set_body(push.body.clone())
                .set_type(push.kind.as_deref().map(PushNotificationType::from))
                .build(),
        );
    }
    builder
        .build()
        .map_err(|e| Failure::classify(None, None, &format!("callback not built: {e}"), false))
}
