//! Runs sample processor events through a stage offline and prints the `ChannelFlowCallback` each would
//! send (method, path, JSON body), without AWS. Configuration comes from the same environment variables
//! as the Lambda functions.
//!
//! Usage: `dry-run [--stage pipeline|moderation|redaction|enrichment] EVENT.json...`

use std::process::ExitCode;

use chime_flow::callback::RecordingSender;
use chime_flow::runtime::Processor;
use chime_flow::stages::enrichment::Enrichment;
use chime_flow::stages::moderation::Moderation;
use chime_flow::stages::pipeline::{Pipeline, default_policy};
use chime_flow::stages::redaction::Redaction;
use chime_flow::{ConfigError, Env, ProcessorConfig, Stage, event};

fn build(stage: &str, env: &Env) -> Result<Box<dyn Stage>, ConfigError> {
    Ok(match stage {
        "pipeline" => Box::new(Pipeline::from_env(env)?),
        "moderation" => Box::new(Moderation::from_env(env)?),
        "redaction" => Box::new(Redaction::from_env(env)?),
        "enrichment" => Box::new(Enrichment::from_env(env)?),
        other => {
            return Err(ConfigError::new(
                "--stage",
                format!("unknown stage {other:?}"),
            ));
        }
    })
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
        eprintln!(
            "usage: dry-run [--stage pipeline|moderation|redaction|enrichment] EVENT.json..."
        );
        return ExitCode::from(2);
    }
    let env = Env::from_process();
    let policy = if stage_name == "pipeline" {
        chime_flow::FailurePolicy::Deny
    } else {
        default_policy(&stage_name)
    };
    let processor = match build(&stage_name, &env)
        .and_then(|stage| Ok((stage, ProcessorConfig::from_env(&env, policy)?)))
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
