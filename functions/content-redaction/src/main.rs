//! Channel-flow processor: redacts personal data, secrets and profanity (see
//! `chime_flow::stages::redaction`). Failure policy defaults to `deny`: unredacted data is not let through.

use chime_flow::FailurePolicy;
use chime_flow::stages::redaction::Redaction;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    chime_flow::runtime::run(FailurePolicy::Deny, Redaction::from_env).await
}
