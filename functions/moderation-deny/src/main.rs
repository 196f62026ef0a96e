//! Channel-flow processor: denies messages that hit the deny lists (see `chime_flow::stages::moderation`).
//! Failure policy defaults to `deny`: a message that cannot be judged is not let through.

use chime_flow::FailurePolicy;
use chime_flow::stages::moderation::Moderation;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    chime_flow::runtime::run(FailurePolicy::Deny, Moderation::from_env).await
}
