//! Every Chime SDK Messaging and Identity operation through the real SDK clients, driven by the
//! vendored models: the input is the service's own JSON (members named as the model names them),
//! checked against the model with the rules chime-local applies (crate `chime-api`) before any call,
//! set member by member on the SDK's builders by code generated at build time (`build.rs`), and the
//! output comes back as the service's JSON. Adding an operation to a model wires it here.
//!
//! - [`json`]: between the service's JSON and the SDK's types (what the generated code calls).
//! - [`access`]: who is calling, the access policy that grants operations and bearers, the audit line.
//! - [`api`]: the admin API (REST routes and direct invocation, allow-lists, batching);
//!   [`lambda`]: the admin-api function's entry points; [`paging`]: `MaxItems` and lists across
//!   sub-channels.
//! - [`onboarding`]: bulk membership through a queue and the membership worker; [`sqs`]: that queue
//!   on SQS.
//! - [`failed_events`]: the processors' failure queue and the Lambda Invoke API, for replays.

pub mod access;
pub mod api;
pub mod failed_events;
pub mod json;
pub mod lambda;
pub mod onboarding;
pub mod paging;
pub mod sqs;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde_json::{Map, Value};

include!(concat!(env!("OUT_DIR"), "/operations.rs"));

/// One operation's call in flight.
pub type CallFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Value, CallError>> + Send + 'a>>;

/// Why a call did not succeed: its input broke the model (nothing was sent), the service refused it
/// (status, code and message as Chime gave them), or it never got an answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    #[error("{0}")]
    Invalid(#[from] json::FieldError),
    #[error("{field}: {message}")]
    Validation { field: String, message: String },
    #[error("unknown operation {0}")]
    UnknownOperation(String),
    #[error("{code} (HTTP {status}): {message}")]
    Service {
        status: u16,
        code: String,
        message: String,
    },
    #[error("no answer from the service: {0}")]
    Transport(String),
}

impl CallError {
    pub fn from_sdk<E>(error: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        match error.as_service_error() {
            Some(service) => CallError::Service {
                status: error.raw_response().map_or(0, |r| r.status().as_u16()),
                code: service
                    .code()
                    .unwrap_or("Unknown")
                    .trim_end_matches("Exception")
                    .to_owned(),
                message: service.message().unwrap_or_default().to_owned(),
            },
            None => CallError::Transport(error.to_string()),
        }
    }
}

/// The two clients every call goes through.
#[derive(Debug, Clone)]
pub struct Clients {
    pub messaging: aws_sdk_chimesdkmessaging::Client,
    pub identity: aws_sdk_chimesdkidentity::Client,
}

impl Clients {
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Self {
            messaging: aws_sdk_chimesdkmessaging::Client::new(config),
            identity: aws_sdk_chimesdkidentity::Client::new(config),
        }
    }
}

/// Runs `operation` of `service` with `input`: validated against the model first (the member named
/// in any refusal, nothing sent), then through the SDK client.
pub async fn call(
    model: &chime_api::Model,
    clients: &Clients,
    service: chime_api::Service,
    operation: &str,
    input: &Map<String, Value>,
) -> Result<Value, CallError> {
    let op = model
        .operation(service, operation)
        .ok_or_else(|| CallError::UnknownOperation(operation.to_owned()))?;
    let mut input = input.clone();
    if let Some(shape) = op.input.as_ref().and_then(|s| model.shape(service, s)) {
        // As the SDK does: an idempotency token the caller left out is made up for this call.
        for (name, member) in &shape.members {
            if member.idempotency_token && !input.contains_key(name) {
                input.insert(name.clone(), Value::String(fresh_token()));
            }
        }
    }
    let input = &input;
    if let Some(shape) = &op.input {
        let value = Value::Object(input.clone());
        chime_api::validate::validate(model, service, shape, &value, "").map_err(|e| {
            let (field, problem) = e.field_and_problem();
            CallError::Validation {
                field: field.unwrap_or_default().to_owned(),
                message: problem.to_owned(),
            }
        })?;
    }
    let call = match service {
        chime_api::Service::Messaging => messaging::call(&clients.messaging, operation, input),
        chime_api::Service::Identity => identity::call(&clients.identity, operation, input),
    };
    match call {
        Some(call) => call.await,
        None => Err(CallError::UnknownOperation(operation.to_owned())),
    }
}

/// A random token in the pattern of `ClientRequestToken` (`[-_a-zA-Z0-9]{2,64}`).
fn fresh_token() -> String {
    (0..32)
        .map(|_| char::from_digit(fastrand::u32(0..16), 16).unwrap_or('0'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every operation of both models is wired: the generated tables are the models' operations.
    #[test]
    fn every_model_operation_is_wired() {
        let model = chime_api::Model::load().expect("the models load");
        for (service, wired) in [
            (chime_api::Service::Messaging, messaging::OPERATIONS),
            (chime_api::Service::Identity, identity::OPERATIONS),
        ] {
            let mut in_model: Vec<&str> = model
                .operations
                .iter()
                .filter(|op| op.service == service)
                .map(|op| op.name.as_str())
                .collect();
            in_model.sort_unstable();
            assert_eq!(in_model, wired, "{service:?}");
        }
    }
}
