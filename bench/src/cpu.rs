//! CPU per message: the Rust pipeline as a processor builds it (5,000-term list from a file), and the
//! Python reference's decision on the same messages, each timed in its own process, in the same run.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use chime_flow::stages::catalog;
use chime_flow::{Env, ProcessorEvent, Stage};
use serde_json::Value;

/// One message size's figures, in ns per message.
#[derive(Debug, Clone)]
pub struct PerMessage {
    pub label: String,
    pub rust_ns: f64,
    pub python_ns: f64,
}

fn event(text: &str) -> Result<chime_flow::ChannelMessage, String> {
    let event = serde_json::json!({
        "CallbackId": "0123456789abcdef0123456789abcdef",
        "ChannelMessage": {
            "MessageId": "m-1",
            "ChannelArn": "arn:aws:chime:us-east-1:123456789012:app-instance/a/channel/c",
            "Content": text,
        }
    });
    ProcessorEvent::from_value(&event)
        .map(|e| e.channel_message)
        .map_err(|e| e.to_string())
}

/// Rust: the pipeline's `decide` on two messages that differ in their last byte, taken in turn
/// (moderation remembers its last scan; a processor never sees a message twice). The median of five
/// batches, so that a burst of load on a shared machine does not decide the figure.
fn rust_ns(pipeline: &dyn Stage, pair: &[chime_flow::ChannelMessage; 2], iterations: usize) -> f64 {
    for message in pair {
        let _ = pipeline.decide(message);
    }
    let batch = (iterations / 5).max(1);
    let mut batches: Vec<f64> = (0..5)
        .map(|_| {
            let started = Instant::now();
            for i in 0..batch {
                let _ = std::hint::black_box(pipeline.decide(std::hint::black_box(&pair[i % 2])));
            }
            started.elapsed().as_nanos() as f64 / batch as f64
        })
        .collect();
    batches.sort_by(f64::total_cmp);
    batches[2]
}

/// Measures every message of `messages` (label, text of `bytes`).
pub fn measure(
    messages: &[(String, usize)],
    terms: &Path,
    messages_file: &Path,
    python: &str,
    iterations: usize,
) -> Result<Vec<PerMessage>, String> {
    let env = Env::from_pairs([("DENY_TERMS_FILE", terms.to_str().unwrap_or_default())]);
    // The flow-pipeline function's stage, from the one catalog.
    let entry =
        catalog::by_function("flow-pipeline").ok_or("flow-pipeline is not in the catalog")?;
    let pipeline = (entry.build)(&env).map_err(|e| e.to_string())?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("reference-python/measure.py");
    let python_iterations = (iterations / 20).max(20);
    let output = Command::new(python)
        .arg(&script)
        .arg(messages_file)
        .arg(terms)
        .arg(python_iterations.to_string())
        .output()
        .map_err(|e| format!("cannot run {python} {}: {e}", script.display()))?;
    if !output.status.success() {
        return Err(format!(
            "the Python measurement failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let python: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let mut figures = Vec::new();
    for (label, bytes) in messages {
        let text = |last| chime_flow::bench_input::chat_text(*bytes, last);
        let pair = [event(&text('x'))?, event(&text('y'))?];
        let python_ns = python
            .iter()
            .find(|v| v["message"].as_str() == Some(label))
            .and_then(|v| v["ns"].as_f64())
            .ok_or_else(|| format!("no Python figure for {label}"))?;
        figures.push(PerMessage {
            label: label.clone(),
            rust_ns: rust_ns(pipeline.as_ref(), &pair, iterations),
            python_ns,
        });
    }
    Ok(figures)
}
