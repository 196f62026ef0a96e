//! Runs sample processor events through a stage offline and prints the `ChannelFlowCallback` each would
//! send (method, path, JSON body), without AWS. Configuration comes from the same environment variables
//! as the Lambda functions.
//!
//! Usage: `dry-run [--stage pipeline|moderation|redaction|enrichment] EVENT.json...`

use std::process::ExitCode;

use chime_flow::callback::RecordingSender;
use chime_flow::runtime::Processor;
use chime_flow::stages::catalog;
use chime_flow::{ConfigError, Env, FailurePolicy, ProcessorConfig, Stage, event};

/// The stage named on the command line, from the one catalog, with its default failure policy.
fn build(stage: &str, env: &Env) -> Result<(Box<dyn Stage>, FailurePolicy), ConfigError> {
    let entry = catalog::by_stage(stage).ok_or_else(|| {
        ConfigError::new(
            "--stage",
            format!("unknown stage {stage:?}: expected {}", stages_usage()),
        )
    })?;
    Ok(((entry.build)(env)?, entry.policy))
}

fn stages_usage() -> String {
    catalog::CATALOG
        .iter()
        .map(|e| e.stage)
        .collect::<Vec<_>>()
        .join("|")
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut stage_name = "pipeline".to_owned();
    if let Some(at) = args.iter().position(|a| a == "--stage") {
        if at + 1 >= args.len() {
            eprintln!("error: --stage needs a value");
            return ExitCode::from(2);
        }
        stage_name = args.remove(at + 1);
        args.remove(at);
    }
    if args.is_empty() {
        eprintln!("usage: dry-run [--stage {}] EVENT.json...", stages_usage());
        return ExitCode::from(2);
    }
    let env = Env::from_process();
    let processor = match build(&stage_name, &env)
        .and_then(|(stage, policy)| Ok((stage, ProcessorConfig::from_env(&env, policy)?)))
    {
        Ok((stage, config)) => Processor::new(stage, RecordingSender::default(), config),
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let mut failures = 0;
    for path in &args {
        // A repeat delivery (same CallbackId) sends nothing: only a new request is this event's.
        let before = processor.sender().requests().len();
        let outcome = match std::fs::read(path) {
            Err(e) => Err(format!("cannot read: {e}")),
            Ok(bytes) => match event::parse_json(&bytes) {
                Err(e) => Err(e.to_string()),
                Ok(payload) => processor.handle(&payload).await.map_err(|e| e.to_string()),
            },
        };
        match outcome {
            Ok(handled) => {
                let sent = processor.sender().requests();
                let callback = sent
                    .get(before..)
                    .and_then(|new| new.last())
                    .map(|r| r.to_wire_json());
                let report =
                    serde_json::json!({"event": path, "result": handled, "callback": callback});
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).unwrap_or_default()
                );
            }
            Err(error) => {
                failures += 1;
                println!("{}", serde_json::json!({"event": path, "error": error}));
            }
        }
    }
    eprintln!("{} event(s), {} unusable", args.len(), failures);
    ExitCode::SUCCESS
}
