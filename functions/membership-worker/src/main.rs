//! membership-worker: takes batches of up to 100 members from SQS (put there by admin-api's bulk
//! onboarding, or any producer writing the documented message) and adds them as the service user;
//! the work is `chime_admin::onboarding::worker`. Configuration: `SERVICE_USER_ARN`, `QUEUE_URL`,
//! `DEAD_LETTER_QUEUE_URL`.

use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use chime_admin::Clients;
use chime_admin::api::{AdminApi, AdminConfig};
use chime_admin::onboarding::{Worker, handle_sqs};
use chime_flow::config::{ConfigError, Env};
use lambda_runtime::{LambdaEvent, service_fn};

/// A queue URL from the environment.
fn queue_url_from(env: &Env, name: &str) -> Result<String, ConfigError> {
    env.get(name)
        .filter(|v| v.starts_with("https://") || v.starts_with("http://"))
        .map(str::to_owned)
        .ok_or_else(|| ConfigError::new(name, "must be the queue's URL"))
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    chime_flow::telemetry::start();
    let env = Env::from_process();
    let model = chime_api::Model::load()?;
    let config = AdminConfig::from_env(&env, &model)
        .inspect_err(chime_flow::telemetry::log_startup_error)?;
    let queue_url =
        queue_url_from(&env, "QUEUE_URL").inspect_err(chime_flow::telemetry::log_startup_error)?;
    let dead_letter_url = queue_url_from(&env, "DEAD_LETTER_QUEUE_URL")
        .inspect_err(chime_flow::telemetry::log_startup_error)?;
    // The worker paces itself on throttling: the SDK's own retries would wait on top of it.
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await;
    let worker = Arc::new(Worker {
        api: AdminApi::new(model, Clients::new(&sdk), config),
        queue: chime_admin::sqs::SqsQueue::new(&sdk, queue_url, dead_letter_url),
    });
    tracing::info!("membership-worker ready");
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let worker = Arc::clone(&worker);
        async move { Ok::<_, std::convert::Infallible>(handle_sqs(&worker, event.payload).await) }
    }))
    .await
}
