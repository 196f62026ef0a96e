//! The `tickets` processor is the README's "Write your own processor" `main.rs`, verbatim, and it
//! works: run the way Lambda runs it (its own process, through the Runtime API) against chime-local,
//! the message naming a ticket is SENT with the `ticket` attribute. (`.ci/run` also builds the
//! README's two blocks as a crate outside this workspace: `scripts/external-processor`.)

use std::path::Path;
use std::time::Duration;

use chime_local::tools::bootstrap_run::{self, RunOptions};

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
        .expect("README.md")
}

/// The first fenced block of `language` after the "Write your own processor" heading.
fn readme_block(language: &str) -> String {
    let readme = readme();
    let section = readme
        .split("## Write your own processor")
        .nth(1)
        .expect("the README has the section");
    let fence = format!("```{language}\n");
    let start = section.find(&fence).expect("a block") + fence.len();
    let end = start + section[start..].find("\n```").expect("its end");
    section[start..end].to_owned()
}

#[test]
fn the_readme_main_is_this_example() {
    let example = include_str!("../src/bin/tickets.rs");
    assert_eq!(readme_block("rust"), example.trim_end());
    assert!(example.lines().count() <= 30, "the main in 30 lines");
    let manifest = readme_block("toml");
    assert!(manifest.contains(
        r#"chime-flow = { path = "../chime-flow-kit/shared/chime-flow", default-features = false }"#
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_message_naming_a_ticket_gets_the_attribute_through_chime_local() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let options = RunOptions {
        bootstrap: env!("CARGO_BIN_EXE_tickets").into(),
        runner: Vec::new(),
        function_name: "tickets".into(),
        events: vec![
            root.join("events/ticket.json"),
            root.join("../tests/events/plain.json"),
        ],
        cold_runs: 1,
        warm_events: 1,
        env: Vec::new(),
        limit: Duration::from_secs(30),
    };
    let report = bootstrap_run::run(&options)
        .await
        .expect("the processor ran");
    let ticket = &report.messages[0];
    assert_eq!(ticket.status, "SENT");
    assert!(
        ticket.attributes.contains("ticket=TICKET-4821"),
        "{:?}",
        ticket.attributes
    );
    let plain = &report.messages[1];
    assert_eq!(plain.status, "SENT");
    assert!(
        !plain.attributes.contains("ticket"),
        "{:?}",
        plain.attributes
    );
}
