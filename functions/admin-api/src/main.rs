//! admin-api: every Chime SDK Messaging operation (and the identity operations a messaging backend
//! needs) behind one Lambda — the service's own REST routes through an API Gateway HTTP API (payload
//! 2.0), or direct invocation `{"Operation", "Input"}` for scripts and Step Functions — validated
//! against the model before any call and made as the configured service user (see
//! `chime_admin::api`), for the callers and as the bearers the access policy grants
//! (`chime_admin::access`). Configuration: `SERVICE_USER_ARN`, `ALLOWED_OPERATIONS`,
//! `ACCESS_POLICY` or `ACCESS_POLICY_FILE`, `BATCH_CONCURRENCY`, `QUEUE_URL` for bulk onboarding, and
//! `FAILED_EVENTS_QUEUE_URL` for replaying the processors' failed events.

use std::sync::Arc;

use chime_admin::api::{AdminApi, AdminConfig, ErrorReply, FailedEventPorts};
use chime_admin::{Clients, lambda};
use chime_flow::config::Env;
use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde_json::Value;

/// A direct invocation that failed: its error name is the Lambda error type Step Functions match on.
#[derive(Debug)]
struct AdminError(ErrorReply);

impl std::fmt::Display for AdminError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0.field {
            Some(field) => write!(f, "{field}: {}", self.0.message),
            None => f.write_str(&self.0.message),
        }
    }
}

impl std::error::Error for AdminError {}

impl From<AdminError> for Diagnostic {
    fn from(error: AdminError) -> Self {
        Diagnostic {
            error_type: error.0.error.clone(),
            error_message: error.to_string(),
        }
    }
}

/// The membership worker's queue, when `QUEUE_URL` (and `DEAD_LETTER_QUEUE_URL`) are set: bulk
/// onboarding puts its batches there.
fn queue(
    env: &Env,
    sdk: &aws_config::SdkConfig,
) -> Option<Arc<dyn chime_admin::onboarding::Queue>> {
    let queue_url = env.get("QUEUE_URL")?.to_owned();
    let dead_letter_url = env
        .get("DEAD_LETTER_QUEUE_URL")
        .unwrap_or_default()
        .to_owned();
    Some(Arc::new(chime_admin::sqs::SqsQueue::new(
        sdk,
        queue_url,
        dead_letter_url,
    )))
}

/// The processors' failure queue, when `FAILED_EVENTS_QUEUE_URL` is set: `RedriveFailedEvents`
/// replays it through the processors (Lambda Invoke).
fn failed_events(env: &Env, sdk: &aws_config::SdkConfig) -> Option<FailedEventPorts> {
    let queue_url = env.get("FAILED_EVENTS_QUEUE_URL")?.to_owned();
    Some(FailedEventPorts {
        queue: Arc::new(chime_admin::failed_events::SqsFailedEvents::new(
            sdk, queue_url,
        )),
        processors: Arc::new(chime_admin::failed_events::LambdaProcessors::new(sdk)),
    })
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    chime_flow::telemetry::start();
    let env = Env::from_process();
    let model = chime_api::Model::load()?;
    let config = AdminConfig::from_env(&env, &model)
        .inspect_err(chime_flow::telemetry::log_startup_error)?;
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let mut api = AdminApi::new(model, Clients::new(&sdk), config);
    api.queue = queue(&env, &sdk);
    api.failed_events = failed_events(&env, &sdk);
    let api = Arc::new(api);
    tracing::info!(service_user = %api.config.service_user, "admin-api ready");
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let api = Arc::clone(&api);
        async move {
            let invocation = lambda::Invocation {
                request_id: Some(&event.context.request_id),
                deadline: chime_flow::runtime::deadline_instant(event.context.deadline),
            };
            lambda::handle_invocation(&api, &event.payload, invocation)
                .await
                .map_err(AdminError)
        }
    }))
    .await
}
