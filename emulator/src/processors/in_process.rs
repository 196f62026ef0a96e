//! The built-in processors run in-process under their function names, with the processor runtime a
//! Lambda has; their callbacks reach chime-local directly or through the SDK over HTTP.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use chime_flow::callback::{
    CallbackError, CallbackRequest, CallbackSender, Delivered, Failure, SdkCallbackSender,
};
use chime_flow::config::{ConfigError, Env, ProcessorConfig};
use chime_flow::redrive::FunctionError;
use chime_flow::runtime::Processor;
use chime_flow::stage::Stage;
use chime_flow::stages::catalog;
use serde_json::Value;

use super::async_retry::AsyncQueue;
use super::{CallbackService, InvokeError, InvokeFuture, ProcessorInvoker, Refusal, function_name};

type SharedProcessor = Arc<Processor<Box<dyn Stage>, LocalSender>>;

/// How in-process processors' callbacks reach chime-local.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CallbackPath {
    /// Handed to the operation in-process: same faults, validation and semantics, no HTTP.
    #[default]
    Direct,
    /// Through the real SDK over HTTP, as a deployed Lambda does.
    Http,
}

/// Calls ChannelFlowCallback on the service in-process, through its port.
pub struct DirectCallback {
    service: Arc<dyn CallbackService>,
    policy: chime_flow::retry::RetryPolicy,
}

impl DirectCallback {
    async fn attempt(&self, request: &CallbackRequest) -> Result<(), Failure> {
        self.service
            .callback(request.wire_input())
            .await
            .map_err(|refusal| match refusal {
                Refusal::Stopped => Failure::classify(None, None, "chime-local has stopped", true),
                Refusal::Refused(e) => {
                    let status = e.status.unwrap_or(e.code.status()).as_u16();
                    Failure::classify(Some(e.code.name()), Some(status), &e.message, false)
                }
            })
    }
}

/// The callback sender of an in-process processor: direct or through the SDK.
pub enum LocalSender {
    Direct(DirectCallback),
    Sdk(SdkCallbackSender),
}

impl CallbackSender for LocalSender {
    async fn send(&self, request: &CallbackRequest) -> Result<Delivered, CallbackError> {
        match self {
            LocalSender::Direct(direct) => {
                chime_flow::callback::deliver(&direct.policy, || direct.attempt(request)).await
            }
            LocalSender::Sdk(sdk) => sdk.send(request).await,
        }
    }
}

/// The SDK configuration of a client of the chime-local at `endpoint`, signing with `key` and
/// `secret` (callers may add to it before `load()`, e.g. a retry configuration).
pub fn sdk_loader(
    endpoint: &str,
    region: &str,
    key: &str,
    secret: &str,
) -> aws_config::ConfigLoader {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new(region.to_owned()))
        .credentials_provider(aws_credential_types::Credentials::new(
            key,
            secret,
            None,
            None,
            "chime-local",
        ))
}

/// The built-in processors, each built on first use from the same environment variables the
/// Lambda reads, with one SDK client pointed at chime-local.
pub struct InProcess {
    sdk_config: aws_config::SdkConfig,
    callbacks: CallbackPath,
    service: Arc<dyn CallbackService>,
    env: Env,
    /// Lambda's asynchronous queue: redeliveries of an event whose processor failed, then the
    /// on-failure destination.
    queue: AsyncQueue,
    built: HashMap<&'static str, OnceLock<Result<SharedProcessor, ConfigError>>>,
}

impl InProcess {
    /// The built-in processors of the chime-local at `endpoint`: an SDK client signing with
    /// `credentials` (for callbacks over HTTP) and the service's port (for direct ones).
    pub async fn connect(
        (endpoint, region, (key, secret)): (&str, &str, (String, String)),
        (callbacks, service): (CallbackPath, Arc<dyn CallbackService>),
        env: Env,
        queue: AsyncQueue,
    ) -> Self {
        let sdk_config = sdk_loader(endpoint, region, &key, &secret).load().await;
        let built = catalog::functions()
            .map(|name| (name, OnceLock::new()))
            .collect();
        Self {
            sdk_config,
            callbacks,
            service,
            env,
            queue,
            built,
        }
    }

    pub(crate) fn processor(&self, name: &str) -> Option<Result<SharedProcessor, ConfigError>> {
        let (key, cell) = self.built.get_key_value(name)?;
        Some(cell.get_or_init(|| self.build(key)).clone())
    }

    fn build(&self, name: &str) -> Result<SharedProcessor, ConfigError> {
        // Every built-in processor, from the one catalog (`InProcess::new` keys `built` by it).
        let entry = catalog::by_function(name)
            .ok_or_else(|| ConfigError::new("function", format!("{name} is not built in")))?;
        let (stage, policy) = ((entry.build)(&self.env)?, entry.policy);
        let config = ProcessorConfig::from_env(&self.env, policy)?;
        let sender = match self.callbacks {
            CallbackPath::Direct => LocalSender::Direct(DirectCallback {
                service: Arc::clone(&self.service),
                policy: config.retry,
            }),
            CallbackPath::Http => LocalSender::Sdk(SdkCallbackSender::new(
                &self.sdk_config,
                config.retry,
                config.attempt_timeout,
            )),
        };
        Ok(Arc::new(Processor::new(stage, sender, config)))
    }

    pub fn knows(&self, name: &str) -> bool {
        self.built.contains_key(name)
    }
}

impl ProcessorInvoker for InProcess {
    fn invoke(&self, function_arn: &str, payload: Value) -> InvokeFuture {
        let Some(name) = function_name(function_arn) else {
            let arn = function_arn.to_owned();
            return Box::pin(async move { Err(InvokeError::BadArn(arn)) });
        };
        let processor = match self.processor(name) {
            Some(Ok(processor)) => processor,
            Some(Err(error)) => {
                let error = InvokeError::Config {
                    function: name.to_owned(),
                    error: error.to_string(),
                };
                return Box::pin(async move { Err(error) });
            }
            None => {
                let error = InvokeError::UnknownFunction(name.to_owned());
                return Box::pin(async move { Err(error) });
            }
        };
        // Accepted at once, run in the background: Chime invokes processors asynchronously, and
        // Lambda delivers an asynchronous event that failed twice more, after a wait; when the last
        // delivery fails too the event goes to the failure queue, as Lambda sends it to the
        // on-failure destination (the message stays PENDING, as in AWS, but is never lost).
        let retry = self.queue.retry(function_arn);
        let (journal, function) = (Arc::clone(&self.queue.journal), name.to_owned());
        tokio::spawn(async move {
            let deliver = || {
                let processor = Arc::clone(&processor);
                let payload = payload.clone();
                let (journal, function) = (Arc::clone(&journal), function.clone());
                async move {
                    processor
                        .handle(&payload)
                        .await
                        .map(|handled| {
                            if let Ok(answer) = serde_json::to_value(&handled) {
                                journal.report(&function, &answer);
                            }
                        })
                        .map_err(|error| FunctionError {
                            error_type: error.error_type().to_owned(),
                            message: error.to_string(),
                        })
                }
            };
            if let Err(first) = deliver().await {
                retry.after_failure(&payload, first, deliver).await;
            }
        });
        Box::pin(async { Ok(()) })
    }
}
