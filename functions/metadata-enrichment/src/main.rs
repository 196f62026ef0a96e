//! Channel-flow processor: annotates messages (see `chime_flow::stages::enrichment`). Failure policy
//! defaults to `pass`: a message is never lost for want of annotations.

use chime_flow::FailurePolicy;
use chime_flow::stages::enrichment::Enrichment;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    chime_flow::runtime::run(FailurePolicy::Pass, Enrichment::from_env).await
}
