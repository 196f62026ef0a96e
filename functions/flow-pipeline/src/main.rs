//! Channel-flow processor: moderation → redaction → enrichment in one function with one callback
//! (see `chime_flow::stages::pipeline`). Each stage has its own failure policy; this default applies to
//! what lies outside the stages (an unreadable body, a result over the limits).

use chime_flow::FailurePolicy;
use chime_flow::stages::pipeline::Pipeline;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    chime_flow::runtime::run(FailurePolicy::Deny, Pipeline::from_env).await
}
