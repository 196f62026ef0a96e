//! Reaching processors: the `ProcessorInvoker` port and its two adapters. In-process, the stages of
//! `chime-flow` run under their function names (`flow-pipeline`, `moderation-deny`,
//! `content-redaction`, `metadata-enrichment`) with the processor runtime a Lambda has; their
//! callbacks reach chime-local either directly (the default: the operation's input handed to the
//! same faults, validation and semantics as the wire, without HTTP — in AWS a processor's CPU is
//! not the service's) or over HTTP with the real SDK, exactly as a deployed Lambda does
//! (`CallbackPath::Http`). Otherwise the Lambda Invoke API at a configurable endpoint is used (what
//! `cargo lambda watch` serves, port 9000 by default). Chime invokes processors asynchronously;
//! chime-local plays Lambda's asynchronous queue for both adapters: a failed delivery is made twice
//! more after a wait, then kept on the failure queue (`failed_events`) as Lambda's invocation record.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use chime_flow::callback::{
    CallbackError, CallbackRequest, CallbackSender, Delivered, Failure, SdkCallbackSender,
};
use chime_flow::config::{ConfigError, Env, ProcessorConfig};
use chime_flow::redrive::{self, FunctionError, InvocationRecord, PortError, Reinvoke};
use chime_flow::runtime::Processor;
use chime_flow::stage::Stage;
use chime_flow::stages::catalog;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

use crate::failed_events::FailedEventQueue;

/// One processor invocation: the event, and what to do if it cannot be delivered.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub channel_arn: String,
    pub message_id: String,
    pub callback_id: String,
    pub processor_name: String,
    pub function_arn: String,
    /// `CONTINUE` or `ABORT`.
    pub fallback: String,
    pub payload: Value,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum InvokeError {
    #[error("function {0} is not registered in-process and no Lambda endpoint is configured")]
    UnknownFunction(String),
    #[error("{0} is not a Lambda function ARN")]
    BadArn(String),
    #[error("function {function} failed to start: {error}")]
    Config { function: String, error: String },
    #[error("Lambda endpoint {endpoint} refused the invocation: {detail}")]
    Lambda { endpoint: String, detail: String },
}

pub type InvokeFuture = Pin<Box<dyn Future<Output = Result<(), InvokeError>> + Send>>;

/// The port: deliver one event to the processor named by `function_arn`. Resolves once the
/// invocation is accepted (the processor then calls back on its own).
pub trait ProcessorInvoker: Send + Sync {
    fn invoke(&self, function_arn: &str, payload: Value) -> InvokeFuture;
}

/// `arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]` → `NAME`.
pub fn function_name(arn: &str) -> Option<&str> {
    let rest = arn.split(":function:").nth(1)?;
    let name = rest.split(':').next()?;
    (!name.is_empty()).then_some(name)
}

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

/// Calls ChannelFlowCallback on the emulator in-process. Holds it weakly: the emulator owns its
/// invokers, and a stopped emulator must not be kept alive by its processors.
pub struct DirectCallback {
    emulator: std::sync::Weak<crate::Emulator>,
    policy: chime_flow::retry::RetryPolicy,
}

impl DirectCallback {
    async fn attempt(&self, request: &CallbackRequest) -> Result<(), Failure> {
        let Some(emulator) = self.emulator.upgrade() else {
            return Err(Failure::classify(
                None,
                None,
                "chime-local has stopped",
                true,
            ));
        };
        emulator
            .call(
                crate::model::Service::Messaging,
                "ChannelFlowCallback",
                request.wire_input(),
            )
            .await
            .map(|_| ())
            .map_err(|e| {
                let status = e.status.unwrap_or(e.code.status()).as_u16();
                Failure::classify(Some(e.code.name()), Some(status), &e.message, false)
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

/// The built-in processors, each built on first use from the same environment variables the
/// Lambda reads, with one SDK client pointed at chime-local.
pub struct InProcess {
    sdk_config: aws_config::SdkConfig,
    callbacks: CallbackPath,
    emulator: std::sync::Weak<crate::Emulator>,
    env: Env,
    /// Waits before each redelivery of an event whose processor failed (Lambda's async retry).
    retry_delays: Vec<Duration>,
    /// Where an event goes when its last delivery failed too (the on-failure destination).
    failed: Arc<FailedEventQueue>,
    built: HashMap<&'static str, OnceLock<Result<SharedProcessor, ConfigError>>>,
}

impl InProcess {
    pub fn new(
        sdk_config: aws_config::SdkConfig,
        (callbacks, emulator): (CallbackPath, std::sync::Weak<crate::Emulator>),
        env: Env,
        (retry_delays, failed): (Vec<Duration>, Arc<FailedEventQueue>),
    ) -> Self {
        let built = catalog::functions()
            .map(|name| (name, OnceLock::new()))
            .collect();
        Self {
            sdk_config,
            callbacks,
            emulator,
            env,
            retry_delays,
            failed,
            built,
        }
    }

    fn processor(&self, name: &str) -> Option<Result<SharedProcessor, ConfigError>> {
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
                emulator: self.emulator.clone(),
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
        let retry = AsyncRetry {
            function_arn: function_arn.to_owned(),
            delays: self.retry_delays.clone(),
            failed: Arc::clone(&self.failed),
        };
        tokio::spawn(async move {
            let deliver = || {
                let processor = Arc::clone(&processor);
                let payload = payload.clone();
                async move {
                    processor
                        .handle(&payload)
                        .await
                        .map(|_| ())
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

/// Lambda's asynchronous retry of one event: more deliveries after waits, then the failure queue.
struct AsyncRetry {
    function_arn: String,
    delays: Vec<Duration>,
    failed: Arc<FailedEventQueue>,
}

impl AsyncRetry {
    /// After the first delivery failed with `last`: one more delivery after each delay; when the
    /// last fails too, Lambda's invocation record goes to the failure queue.
    async fn after_failure<F, Fut>(self, payload: &Value, mut last: FunctionError, mut deliver: F)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<(), FunctionError>>,
    {
        let function = function_name(&self.function_arn).unwrap_or_default();
        for (retry, delay) in self.delays.iter().enumerate() {
            tracing::warn!(function = %function, attempt = retry + 1, retry_in_ms = delay.as_millis() as u64,
                error_type = %last.error_type, "processor failed: Lambda's asynchronous retry");
            tokio::time::sleep(*delay).await;
            match deliver().await {
                Ok(()) => return,
                Err(error) => last = error,
            }
        }
        let deliveries = self.delays.len() as u32 + 1;
        tracing::error!(function = %function, deliveries, error_type = %last.error_type,
            "processor failed on every delivery: the event goes to the failure queue");
        self.failed.push(&InvocationRecord::retries_exhausted(
            &self.function_arn,
            payload.clone(),
            deliveries,
            &last.error_type,
            &last.message,
            crate::store::iso8601(crate::store::now()),
        ));
    }
}

/// The Lambda Invoke API (`POST /2015-03-31/functions/NAME/invocations`) over plain HTTP, what
/// `cargo lambda watch` serves. Each delivery is a `RequestResponse` invocation made in the
/// background (chime-local plays Lambda's asynchronous queue), so a function error is seen and
/// retried as Lambda retries an asynchronous event, then kept on the failure queue.
pub struct LambdaApi {
    endpoint: String,
    client: Client<HttpConnector, Full<Bytes>>,
    retry_delays: Vec<Duration>,
    failed: Arc<FailedEventQueue>,
}

impl LambdaApi {
    pub fn new(endpoint: &str, retry_delays: Vec<Duration>, failed: Arc<FailedEventQueue>) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(Duration::from_secs(2)));
        Self {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            client: Client::builder(TokioExecutor::new()).build(connector),
            retry_delays,
            failed,
        }
    }

    /// One `RequestResponse` invocation: the function's answer or its error; `Err` when the
    /// endpoint itself could not be reached or refused the call.
    pub async fn invoke_sync(
        &self,
        name: &str,
        payload: &Value,
    ) -> Result<Result<Value, FunctionError>, InvokeError> {
        invoke_request_response(&self.client, &self.endpoint, name, payload).await
    }
}

async fn invoke_request_response(
    client: &Client<HttpConnector, Full<Bytes>>,
    endpoint: &str,
    name: &str,
    payload: &Value,
) -> Result<Result<Value, FunctionError>, InvokeError> {
    let url = format!("{endpoint}/2015-03-31/functions/{name}/invocations");
    let refused = |detail: String| InvokeError::Lambda {
        endpoint: endpoint.to_owned(),
        detail,
    };
    let request = axum::http::Request::post(&url)
        .header("content-type", "application/json")
        .header("x-amz-invocation-type", "RequestResponse")
        .body(Full::new(Bytes::from(payload.to_string())))
        .map_err(|e| refused(e.to_string()))?;
    let response = tokio::time::timeout(Duration::from_secs(60), client.request(request))
        .await
        .map_err(|_| refused("no answer within 60 s".into()))?
        .map_err(|e| refused(e.to_string()))?;
    let status = response.status();
    let function_error = response.headers().contains_key("x-amz-function-error");
    let body = response
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let error_type = answer.get("errorType").and_then(Value::as_str);
    match (status.is_success(), function_error, error_type) {
        (true, false, _) => Ok(Ok(answer)),
        (_, true, _) | (false, _, Some(_)) => Ok(Err(FunctionError {
            error_type: error_type.unwrap_or("Unhandled").to_owned(),
            message: answer
                .get("errorMessage")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        })),
        (false, false, None) => Err(refused(format!("HTTP {status}"))),
    }
}

impl ProcessorInvoker for LambdaApi {
    fn invoke(&self, function_arn: &str, payload: Value) -> InvokeFuture {
        let Some(name) = function_name(function_arn).map(str::to_owned) else {
            let arn = function_arn.to_owned();
            return Box::pin(async move { Err(InvokeError::BadArn(arn)) });
        };
        let (client, endpoint) = (self.client.clone(), self.endpoint.clone());
        let retry = AsyncRetry {
            function_arn: function_arn.to_owned(),
            delays: self.retry_delays.clone(),
            failed: Arc::clone(&self.failed),
        };
        Box::pin(async move {
            // The first delivery tells whether the function can be reached at all (if not, the
            // flow's FallbackAction applies); a function error is retried in the background.
            let first = invoke_request_response(&client, &endpoint, &name, &payload).await?;
            if let Err(failed) = first {
                tokio::spawn(async move {
                    let deliver = || {
                        let (client, endpoint, name, payload) = (
                            client.clone(),
                            endpoint.clone(),
                            name.clone(),
                            payload.clone(),
                        );
                        async move {
                            match invoke_request_response(&client, &endpoint, &name, &payload).await
                            {
                                Ok(answer) => answer.map(|_| ()),
                                Err(unreachable) => Err(FunctionError {
                                    error_type: "ServiceUnreachable".into(),
                                    message: unreachable.to_string(),
                                }),
                            }
                        }
                    };
                    retry.after_failure(&payload, failed, deliver).await;
                });
            }
            Ok(())
        })
    }
}

/// In-process functions first; anything else through the Lambda endpoint when one is configured.
pub struct Invokers {
    pub in_process: Option<InProcess>,
    pub lambda: Option<LambdaApi>,
}

impl ProcessorInvoker for Invokers {
    fn invoke(&self, function_arn: &str, payload: Value) -> InvokeFuture {
        let name = function_name(function_arn).unwrap_or_default();
        match (&self.in_process, &self.lambda) {
            (Some(local), _) if local.knows(name) => local.invoke(function_arn, payload),
            (_, Some(lambda)) => lambda.invoke(function_arn, payload),
            _ => {
                let error = InvokeError::UnknownFunction(name.to_owned());
                Box::pin(async move { Err(error) })
            }
        }
    }
}

/// A replay runs an event through its processor and waits for the answer: in-process processors
/// directly, others through the Lambda endpoint's `RequestResponse` invocation.
impl Reinvoke for Invokers {
    fn invoke<'a>(&'a self, function: &'a str, event: &'a Value) -> redrive::InvokeFuture<'a> {
        Box::pin(async move {
            let name = function_name(function).unwrap_or_default();
            if let Some(local) = self.in_process.as_ref().filter(|l| l.knows(name)) {
                let processor = local
                    .processor(name)
                    .ok_or_else(|| PortError(format!("no in-process function {name}")))?
                    .map_err(|e| PortError(format!("{name} failed to start: {e}")))?;
                return Ok(match processor.handle(event).await {
                    Ok(handled) => Ok(serde_json::to_value(handled).unwrap_or_default()),
                    Err(error) => Err(FunctionError {
                        error_type: error.error_type().to_owned(),
                        message: error.to_string(),
                    }),
                });
            }
            match &self.lambda {
                Some(lambda) => lambda
                    .invoke_sync(name, event)
                    .await
                    .map_err(|e| PortError(e.to_string())),
                None => Err(PortError(format!(
                    "function {name} is not in-process and no Lambda endpoint is configured"
                ))),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_names_come_from_the_arn() {
        assert_eq!(
            function_name("arn:aws:lambda:us-east-1:000000000000:function:flow-pipeline"),
            Some("flow-pipeline")
        );
        assert_eq!(
            function_name("arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST"),
            Some("f")
        );
        assert_eq!(function_name("arn:aws:sns:us-east-1:1:topic"), None);
    }
}
