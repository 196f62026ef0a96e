//! membership-worker: takes batches of up to 100 members from SQS (put there by admin-api's bulk
//! onboarding) and adds them with BatchCreateChannelMembership as the service user: it paces itself
//! while the service throttles, re-queues only the members that failed transiently (with a delay),
//! counts members already in the channel as done, and sends the ones that can never be added
//! (NotFound, Forbidden…) to the dead-letter queue with the reason (`chime_admin::onboarding`). A
//! message that could not be handled is reported in `batchItemFailures`, so SQS delivers it again.
//! Configuration: `SERVICE_USER_ARN`, `QUEUE_URL`, `DEAD_LETTER_QUEUE_URL`.

use std::sync::Arc;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use chime_admin::Clients;
use chime_admin::api::{AdminApi, AdminConfig};
use chime_admin::onboarding::{parse_batch, process};
use chime_flow::config::Env;
use lambda_runtime::{LambdaEvent, service_fn};

struct Worker<Q> {
    api: AdminApi,
    queue: Q,
}

/// Handles every record; the ones to deliver again are the answer's batch item failures.
async fn handle<Q: chime_admin::onboarding::Queue>(
    worker: &Worker<Q>,
    event: SqsEvent,
) -> SqsBatchResponse {
    let deliveries = event.records.iter().map(|record| async move {
        let id = record.message_id.clone().unwrap_or_default();
        let batch = match record.body.as_deref().map(parse_batch) {
            Some(Ok(batch)) => batch,
            other => {
                let problem = match other {
                    Some(Err(problem)) => problem,
                    _ => "the message has no body".to_owned(),
                };
                // Never going to parse: SQS's redrive policy moves it to its dead-letter queue.
                tracing::error!(message_id = %id, problem = %problem, "unusable queue message");
                return Some(id);
            }
        };
        match process(&worker.api, &worker.queue, &batch).await {
            Ok(done) => {
                tracing::info!(message_id = %id, channel = %batch.channel_arn, attempt = batch.attempt,
                    added = done.added, already = done.already, requeued = done.requeued,
                    dead = done.dead, calls = done.calls, "batch handled");
                None
            }
            Err(error) => {
                tracing::warn!(message_id = %id, error = %error, "batch not handled: SQS delivers it again");
                Some(id)
            }
        }
    });
    // The records of one event are handled together; the quota paces them.
    let failed = futures_util::future::join_all(deliveries).await;
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failed
        .into_iter()
        .flatten()
        .map(|item_identifier| {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = item_identifier;
            failure
        })
        .collect();
    response
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    chime_flow::telemetry::init_from_env();
    let env = Env::from_process();
    let model = chime_api::Model::load()?;
    let config = AdminConfig::from_env(&env, &model)?;
    let url = |name: &str| {
        env.get(name)
            .filter(|v| v.starts_with("https://") || v.starts_with("http://"))
            .map(str::to_owned)
            .ok_or_else(|| format!("{name}: must be the queue's URL"))
    };
    let (queue_url, dead_letter_url) = (url("QUEUE_URL")?, url("DEAD_LETTER_QUEUE_URL")?);
    // The worker paces itself on throttling: the SDK's own retries would wait on top of it.
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await;
    let worker = Arc::new(Worker {
        api: AdminApi {
            model,
            clients: Clients::new(&sdk),
            config,
            queue: None,
        },
        queue: chime_admin::sqs::SqsQueue::new(&sdk, queue_url, dead_letter_url),
    });
    tracing::info!("membership-worker ready");
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let worker = Arc::clone(&worker);
        async move { Ok::<_, std::convert::Infallible>(handle(&worker, event.payload).await) }
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use chime_admin::api::Allowed;
    use chime_admin::onboarding::MemoryQueue;
    use serde_json::json;

    /// An SQS event as Lambda delivers it: a good batch is added, an unreadable message is reported
    /// for redelivery (and so, by SQS's redrive policy, its dead-letter queue).
    #[tokio::test]
    async fn good_records_are_added_and_unreadable_ones_reported() {
        let running =
            chime_local::start(chime_local::Config::default(), ([127, 0, 0, 1], 0).into())
                .await
                .expect("chime-local starts");
        let sdk = chime_local::demo::local_config(&running.endpoint, "us-east-1")
            .load()
            .await;
        let clients = Clients::new(&sdk);
        let instance = clients
            .identity
            .create_app_instance()
            .name("worker")
            .send()
            .await
            .expect("CreateAppInstance")
            .app_instance_arn
            .unwrap_or_default();
        let mut users = Vec::new();
        for id in ["service", "a", "b"] {
            let arn = clients
                .identity
                .create_app_instance_user()
                .app_instance_arn(&instance)
                .app_instance_user_id(id)
                .name(id)
                .send()
                .await
                .expect("CreateAppInstanceUser")
                .app_instance_user_arn
                .unwrap_or_default();
            users.push(arn);
        }
        clients
            .identity
            .create_app_instance_admin()
            .app_instance_arn(&instance)
            .app_instance_admin_arn(&users[0])
            .send()
            .await
            .expect("CreateAppInstanceAdmin");
        let channel = clients
            .messaging
            .create_channel()
            .app_instance_arn(&instance)
            .name("c")
            .chime_bearer(&users[0])
            .send()
            .await
            .expect("CreateChannel")
            .channel_arn
            .unwrap_or_default();
        let worker = Worker {
            api: AdminApi {
                model: chime_api::Model::load().expect("the models load"),
                clients,
                config: AdminConfig {
                    service_user: users[0].clone(),
                    allowed: Allowed::All,
                    caller_bearer: false,
                    batch_concurrency: 4,
                },
                queue: None,
            },
            queue: MemoryQueue::default(),
        };
        let batch = json!({"ChannelArn": channel, "MemberArns": [users[1], users[2],
            format!("{instance}/user/ghost")]});
        let event: SqsEvent = serde_json::from_value(json!({"Records": [
            {"messageId": "good", "body": batch.to_string(), "eventSource": "aws:sqs"},
            {"messageId": "bad", "body": "{not json", "eventSource": "aws:sqs"},
        ]}))
        .expect("an SQS event");
        let response = handle(&worker, event).await;
        let failed: Vec<&str> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(failed, ["bad"]);
        let dead = worker
            .queue
            .dead
            .lock()
            .map(|d| d.clone())
            .unwrap_or_default();
        assert_eq!(dead.len(), 1);
        assert_eq!(
            (dead[0].member_arn.as_str(), dead[0].error_code.as_str()),
            (format!("{instance}/user/ghost").as_str(), "NotFound")
        );
        let members = worker
            .api
            .clients
            .messaging
            .list_channel_memberships()
            .channel_arn(&channel)
            .chime_bearer(&users[0])
            .send()
            .await
            .expect("ListChannelMemberships");
        assert_eq!(
            members.channel_memberships().len(),
            3,
            "a, b and the creator"
        );
        running.stop().await;
    }
}
