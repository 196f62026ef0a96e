//! Channel-flow processor: annotates messages (see `chime_flow::stages::enrichment`). Failure policy
//! defaults to `pass`: a message is never lost for want of annotations.
//! The stage and its default policy come from `chime_flow::stages::catalog`.

use chime_flow::stages::catalog;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    chime_flow::runtime::Start::entry(&catalog::METADATA_ENRICHMENT)
        .run()
        .await
}
