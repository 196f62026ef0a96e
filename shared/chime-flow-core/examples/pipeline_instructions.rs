//! Runs the benchmark pipeline (built-in lists plus 5,000 synthetic terms, fast automaton) on a
//! chat message of SIZE bytes RUNS times, for instruction counts that do not swing with host load:
//!
//! ```sh
//! cargo build --release -p chime-flow-core --example pipeline_instructions
//! for runs in 0 200; do valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.$runs \
//!   target/release/examples/pipeline_instructions 4096 $runs; done
//! # (instructions at 200 − instructions at 0) / 200 = instructions per message
//! ```
//! Stage by stage: `STAGE=moderation|redaction|enrichment` runs that stage alone;
//! `STAGE=moderation-with-classifier` runs moderation with the opt-in classifier on.

use std::sync::Arc;

use chime_flow_core::bench_input::{chat_text, synthetic_terms};
use chime_flow_core::stages::classifier::ClassifierConfig;
use chime_flow_core::stages::enrichment::Enrichment;
use chime_flow_core::stages::moderation::{Entry, Moderation, ModerationConfig};
use chime_flow_core::stages::pipeline::Pipeline;
use chime_flow_core::stages::redaction::{Redaction, RedactionConfig};
use chime_flow_core::{ChannelMessage, FailurePolicy, ProcessorEvent, Stage};

fn message(bytes: usize, last: char) -> Result<ChannelMessage, String> {
    let event = serde_json::json!({
        "CallbackId": "0123456789abcdef0123456789abcdef",
        "ChannelMessage": {"MessageId": "m-1", "ChannelArn": "arn:aws:chime:us-east-1:123456789012:app-instance/a/channel/c", "Content": chat_text(bytes, last)}
    });
    Ok(ProcessorEvent::from_value(&event)
        .map_err(|e| e.to_string())?
        .channel_message)
}

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let size: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .ok_or("usage: SIZE RUNS")?;
    let runs: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .ok_or("usage: SIZE RUNS")?;
    let mut config = ModerationConfig::builtin();
    config.terms.extend(
        synthetic_terms(5_000)
            .into_iter()
            .map(|t| Entry::new(t, 10)),
    );
    let moderation = Arc::new(Moderation::new(&config).map_err(|e| e.to_string())?);
    moderation.build_fast_automaton_now();
    let redaction = Redaction::new(RedactionConfig::default(), Some(Arc::clone(&moderation)))
        .map_err(|e| e.to_string())?;
    let stage: Box<dyn Stage> = match std::env::var("STAGE").as_deref() {
        Ok("moderation") => Box::new(Arc::clone(&moderation)),
        Ok("moderation-with-classifier") => {
            config.classifier = Some(ClassifierConfig::default());
            let with = Moderation::new(&config).map_err(|e| e.to_string())?;
            with.build_fast_automaton_now();
            Box::new(with)
        }
        Ok("redaction") => Box::new(redaction),
        Ok("enrichment") => Box::new(Enrichment::default()),
        _ => Box::new(Pipeline::new(vec![
            (Box::new(Arc::clone(&moderation)), FailurePolicy::Deny),
            (Box::new(redaction), FailurePolicy::Deny),
            (Box::new(Enrichment::default()), FailurePolicy::Pass),
        ])),
    };
    let pair = [message(size, 'x')?, message(size, 'y')?];
    for run in 0..runs {
        std::hint::black_box(stage.decide(&pair[run % 2]).map_err(|e| e.to_string())?);
    }
    Ok(())
}
