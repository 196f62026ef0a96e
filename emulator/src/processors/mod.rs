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

pub mod async_retry;
pub mod failed_events;
pub mod in_process;
pub mod lambda_api;

use std::future::Future;
use std::pin::Pin;

use chime_flow::redrive::{self, FunctionError, PortError, Reinvoke};
use serde_json::Value;

use crate::error::ApiError;
use in_process::InProcess;
pub use in_process::{CallbackPath, sdk_loader};
use lambda_api::LambdaApi;

/// Where processors run and how Lambda's asynchronous retry waits.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where the Lambda Invoke API is served (`http://127.0.0.1:9000` for `cargo lambda watch`).
    pub lambda_endpoint: Option<String>,
    /// Run the built-in processors in-process under their function names.
    pub in_process_functions: bool,
    /// When an in-process processor fails, the waits before its two more deliveries (Lambda's
    /// asynchronous retry; AWS waits about one and two minutes, chime-local 1 s and 2 s).
    pub async_retry_delays: Vec<std::time::Duration>,
    /// How in-process processors call back: directly (default) or through the SDK over HTTP.
    pub callbacks: CallbackPath,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            lambda_endpoint: None,
            in_process_functions: true,
            async_retry_delays: vec![
                std::time::Duration::from_secs(1),
                std::time::Duration::from_secs(2),
            ],
            callbacks: CallbackPath::Direct,
        }
    }
}

/// Why the service did not take an in-process callback.
#[derive(Debug)]
pub enum Refusal {
    /// chime-local has stopped.
    Stopped,
    /// The operation refused it (faults, validation, semantics).
    Refused(ApiError),
}

pub type CallbackFuture<'a> = Pin<Box<dyn Future<Output = Result<(), Refusal>> + Send + 'a>>;

/// The port an in-process processor's direct callback goes through: ChannelFlowCallback's input
/// handed to the service's operation pipeline (the service object implements it).
pub trait CallbackService: Send + Sync {
    fn callback(&self, input: serde_json::Map<String, Value>) -> CallbackFuture<'_>;
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
