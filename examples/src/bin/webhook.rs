//! A processor that asks a team's own HTTP moderation service about each message
//! (`MODERATION_WEBHOOK_URL`), within the event's budget; when the service is slow, down or
//! answers nonsense, the failure policy decides (deny unless `FAILURE_POLICY=pass`).

use chime_flow::FailurePolicy;
use chime_flow::stage::Awaits;
use chime_flow_examples::webhook::Webhook;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    chime_flow::runtime::Start::stage(FailurePolicy::Deny, |env| {
        Ok(Awaits(Webhook::from_env(env)?))
    })
    .run()
    .await
}
