//! Channel-flow processor: moderation → redaction → enrichment in one function with one callback
//! (see `chime_flow::stages::pipeline`). Each stage has its own failure policy; this default applies to
//! what lies outside the stages (an unreadable body, a result over the limits).
//! The stages and their default policies come from `chime_flow::stages::catalog`; with
//! `COMPREHEND_ESCALATION=on`, what they pass is escalated to Amazon Comprehend
//! (`chime_flow::comprehend`), a step that awaits the service within the event's budget.

use chime_flow::stages::catalog;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    chime_flow::runtime::Start::entry(&catalog::FLOW_PIPELINE)
        .then(chime_flow::comprehend::escalation_step)
        .run()
        .await
}
