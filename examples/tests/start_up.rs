//! How a processor built on `chime_flow::runtime` starts: its stage is built on a thread of its own
//! beside the SDK configuration, its phases are logged once, and a configuration it cannot use —
//! the stage's own or the runtime's — stops it before it polls for work, naming the variable.

use std::path::Path;
use std::time::Duration;

use chime_local::tools::bootstrap_run::{self, RunOptions};

fn options(bootstrap: &str, env: &[(&str, &str)]) -> RunOptions {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    RunOptions {
        bootstrap: bootstrap.into(),
        runner: Vec::new(),
        function_name: "start-up".into(),
        events: vec![root.join("../tests/events/plain.json")],
        cold_runs: 1,
        warm_events: 0,
        env: env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        limit: Duration::from_secs(30),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_processor_logs_its_phases_with_the_stage_built_beside_the_sdk() {
    let report = bootstrap_run::run(&options(env!("CARGO_BIN_EXE_tickets"), &[]))
        .await
        .expect("the processor ran");
    let phases = report.runs[0].phases.expect("the processor ready line");
    assert!(
        phases.stages >= 0.0 && phases.sdk_config > 0.0,
        "{phases:?}"
    );
    assert!(
        phases.stage_wait <= phases.stages + phases.sdk_config,
        "the wait for the stage is part of its build: {phases:?}"
    );
    assert_eq!(report.messages[0].status, "SENT");
}

/// The stage's own build fails on its thread: the process stops, the log names the variable.
#[tokio::test(flavor = "multi_thread")]
async fn a_stage_that_cannot_be_built_stops_the_start_naming_why() {
    let failed = bootstrap_run::run(&options(env!("CARGO_BIN_EXE_webhook"), &[]))
        .await
        .expect_err("no webhook URL");
    assert!(failed.contains("MODERATION_WEBHOOK_URL"), "{failed}");
    assert!(failed.contains("is required"), "{failed}");
}

/// The runtime's own settings are read before anything is built.
#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_trust_store_stops_the_start_naming_it() {
    let failed = bootstrap_run::run(&options(
        env!("CARGO_BIN_EXE_tickets"),
        &[("TLS_ROOTS", "webpki")],
    ))
    .await
    .expect_err("refused");
    assert!(failed.contains("TLS_ROOTS"), "{failed}");
    assert!(failed.contains("expected aws or system"), "{failed}");
}
