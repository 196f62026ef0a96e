//! Log hygiene: ids, decisions and rule ids are logged; content, metadata, attribute values and panic
//! messages never are. A test binary of its own, because tracing's per-thread default subscriber and
//! callsite interest caching do not mix with other tests running in parallel threads.

use std::io::Write;
use std::sync::{Arc, Mutex};

use chime_flow::callback::RecordingSender;
use chime_flow::runtime::Processor;
use chime_flow::{Decision, Edits, FailurePolicy, Stage};
use serde_json::Value;

mod common;
use common::{Fixed, Panics, config, event};

const SECRET: &str = "my card is 4242 4242 4242 4242 and I am Zorblax";

async fn run_one<S: Stage>(stage: S, policy: FailurePolicy, payload: Value) {
    let processor = Processor::new(stage, RecordingSender::default(), config(policy, &[]));
    processor.handle(&payload).await.unwrap();
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);
impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn logs_carry_ids_and_decisions_never_content() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = chime_flow::telemetry::subscriber(
        move || writer.clone(),
        true,
        chime_flow::telemetry::filter_from(Some("TRACE"), None),
    );
    let _guard = tracing::subscriber::set_default(subscriber);
    chime_flow::telemetry::install_panic_hook();

    let redact = Fixed(Ok(Decision::Update(
        Edits::default().with_content("[redacted] Zorblax-new"),
    )));
    run_one(redact, FailurePolicy::Pass, event(SECRET)).await;
    run_one(Panics, FailurePolicy::Deny, event(SECRET)).await;
    let deny = Fixed(Ok(Decision::deny("term-3")));
    run_one(deny, FailurePolicy::Deny, event(SECRET)).await;
    let _ = std::panic::take_hook();

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    for line in logs.lines() {
        serde_json::from_str::<Value>(line).expect("every log line is JSON");
    }
    assert!(
        logs.contains("0123456789abcdef0123456789abcdef"),
        "callback id logged: {logs}"
    );
    assert!(logs.contains("\"decision\":\"update\"") && logs.contains("\"decision\":\"deny\""));
    assert!(logs.contains("\"rule_id\":\"term-3\""));
    assert!(logs.contains("stage_panic") || logs.contains("StagePanic"));
    for secret in ["Zorblax", "4242", "redacted", "stage bug"] {
        assert!(
            !logs.contains(secret),
            "log output leaks {secret:?}:\n{logs}"
        );
    }
}
