//! The port to Chime and its SDK adapter. Each call is idempotent: "already so" (an admin that exists,
//! a flow already associated, an association or admin already gone) counts as done, so a repeated or
//! retried request converges instead of failing.

use std::future::Future;

use aws_sdk_chimesdkidentity as identity;
use aws_sdk_chimesdkmessaging as messaging;
use aws_sdk_chimesdkmessaging::error::ProvideErrorMetadata;

use crate::plan::Action;

/// What an action found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Done,
    AlreadySo,
}

/// Why an action failed, with Chime's error code when there was one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{action}: {detail}")]
pub struct ActionError {
    pub action: String,
    pub detail: String,
}

/// The Chime calls the setup needs.
pub trait ChimeSetup: Send + Sync {
    fn apply(&self, action: &Action) -> impl Future<Output = Result<Outcome, ActionError>> + Send;
}

/// The SDK adapter: one messaging and one identity client, built once in `main`.
pub struct SdkChime {
    messaging: messaging::Client,
    identity: identity::Client,
}

impl SdkChime {
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Self {
            messaging: messaging::Client::new(config),
            identity: identity::Client::new(config),
        }
    }

    async fn is_admin(&self, app_instance: &str, user: &str) -> Result<bool, String> {
        let mut pages = self
            .identity
            .list_app_instance_admins()
            .app_instance_arn(app_instance)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| describe(&e))?;
            if page
                .app_instance_admins()
                .iter()
                .any(|a| a.admin().and_then(|i| i.arn()) == Some(user))
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The flow a channel has now; `None` when it has none or cannot be seen any more (deleted).
    async fn current_flow(&self, channel: &str, bearer: &str) -> Result<Option<String>, String> {
        match self
            .messaging
            .describe_channel()
            .channel_arn(channel)
            .chime_bearer(bearer)
            .send()
            .await
        {
            Ok(answer) => Ok(answer
                .channel()
                .and_then(|c| c.channel_flow_arn())
                .map(str::to_owned)),
            Err(e) if matches!(e.code(), Some("NotFoundException" | "ForbiddenException")) => {
                Ok(None)
            }
            Err(e) => Err(describe(&e)),
        }
    }
}

fn describe<E: ProvideErrorMetadata + std::fmt::Debug>(error: &E) -> String {
    match (error.code(), error.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => format!("{error:?}"),
    }
}

impl ChimeSetup for SdkChime {
    async fn apply(&self, action: &Action) -> Result<Outcome, ActionError> {
        let fail = |detail: String| ActionError {
            action: action.describe(),
            detail,
        };
        match action {
            Action::MakeAdmin { app_instance, user } => {
                let made = self
                    .identity
                    .create_app_instance_admin()
                    .app_instance_arn(app_instance)
                    .app_instance_admin_arn(user)
                    .send()
                    .await;
                match made {
                    Ok(_) => Ok(Outcome::Done),
                    Err(e) if e.code() == Some("ConflictException") => Ok(Outcome::AlreadySo),
                    Err(e) => Err(fail(describe(&e))),
                }
            }
            Action::RemoveAdmin { app_instance, user } => {
                let removed = self
                    .identity
                    .delete_app_instance_admin()
                    .app_instance_arn(app_instance)
                    .app_instance_admin_arn(user)
                    .send()
                    .await;
                match removed {
                    Ok(_) => Ok(Outcome::Done),
                    // The model lists no NotFound here: ask whether it is an admin at all.
                    Err(e) => match self.is_admin(app_instance, user).await {
                        Ok(false) => Ok(Outcome::AlreadySo),
                        Ok(true) => Err(fail(describe(&e))),
                        Err(list) => Err(fail(format!("{}; listing admins: {list}", describe(&e)))),
                    },
                }
            }
            Action::Associate {
                channel,
                flow,
                bearer,
            } => {
                let associated = self
                    .messaging
                    .associate_channel_flow()
                    .channel_arn(channel)
                    .channel_flow_arn(flow)
                    .chime_bearer(bearer)
                    .send()
                    .await;
                match associated {
                    Ok(_) => Ok(Outcome::Done),
                    Err(e) if e.code() == Some("ConflictException") => {
                        match self.current_flow(channel, bearer).await.map_err(&fail)? {
                            Some(current) if current == *flow => Ok(Outcome::AlreadySo),
                            Some(current) => Err(fail(format!(
                                "the channel already uses the flow {current}; disassociate it first"
                            ))),
                            None => Err(fail(describe(&e))),
                        }
                    }
                    Err(e) => Err(fail(describe(&e))),
                }
            }
            Action::Disassociate {
                channel,
                flow,
                bearer,
            } => {
                let disassociated = self
                    .messaging
                    .disassociate_channel_flow()
                    .channel_arn(channel)
                    .channel_flow_arn(flow)
                    .chime_bearer(bearer)
                    .send()
                    .await;
                match disassociated {
                    Ok(_) => Ok(Outcome::Done),
                    // Not associated (any more), or the channel is gone: nothing of ours to undo.
                    Err(e) => match self.current_flow(channel, bearer).await {
                        Ok(current) if current.as_deref() != Some(flow.as_str()) => {
                            Ok(Outcome::AlreadySo)
                        }
                        Ok(_) => Err(fail(describe(&e))),
                        Err(describe_error) => Err(fail(format!(
                            "{}; describing the channel: {describe_error}",
                            describe(&e)
                        ))),
                    },
                }
            }
        }
    }
}
