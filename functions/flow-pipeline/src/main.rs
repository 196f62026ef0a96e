//! Channel-flow processor: moderation → redaction → enrichment in one function with one callback
//! (see `chime_flow::stages::pipeline`). Each stage has its own failure policy; this default applies to
//! what lies outside the stages (an unreadable body, a result over the limits).
//! The stage and its default policy come from `chime_flow::stages::catalog`.

use chime_flow::stages::catalog;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    chime_flow::runtime::run_entry(&catalog::FLOW_PIPELINE).await
}
