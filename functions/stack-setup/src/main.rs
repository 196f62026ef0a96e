//! CloudFormation custom resource (see the crate docs): one SDK config and the response client built
//! before the runtime loop; each request's work is bounded by the invocation's deadline.

use std::sync::Arc;

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;
use stack_setup::chime::SdkChime;
use stack_setup::response::HttpSink;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    chime_flow::telemetry::start();
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let chime = Arc::new(SdkChime::new(&config));
    let sink = Arc::new(HttpSink::new()?);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let (chime, sink) = (Arc::clone(&chime), Arc::clone(&sink));
        async move {
            let left = chime_flow::runtime::time_left(event.context.deadline);
            stack_setup::handle(chime, sink.as_ref(), &event.payload, left)
                .await
                .map(|_| ())
        }
    }))
    .await
}
