//! `docs/benchmarks.md`: the tables, the targets beside the figures, and what the figures mean.

use std::fmt::Write as _;
use std::time::Duration;

use chime_local::tools::bootstrap_run::{Phases, Report, median_phases, spread};

use crate::Settings;
use crate::cpu::PerMessage;
use crate::load::{Level, Load};

pub struct Results {
    pub cpu: Vec<PerMessage>,
    pub cold: Vec<(String, Report)>,
    pub rss: Report,
    pub x86: Vec<(String, Option<u64>)>,
    pub arm: Vec<(String, Option<u64>)>,
    pub breakdown: Option<(Vec<(String, u64)>, u64)>,
    pub load: Load,
}

fn median_ms(values: impl Iterator<Item = Duration>) -> Option<(f64, f64, f64)> {
    spread(&values.collect::<Vec<_>>())
}

fn cell(value: Option<(f64, f64, f64)>) -> String {
    value.map_or("-".into(), |(m, lo, hi)| {
        format!("{m:.1} ({lo:.1}–{hi:.1})")
    })
}

fn mib(bytes: Option<u64>) -> String {
    bytes.map_or("not built".into(), |b| {
        format!("{:.2} MiB ({b} B)", b as f64 / 1_048_576.0)
    })
}

fn cold_of<'r>(results: &'r Results, name: &str) -> Option<&'r Report> {
    results.cold.iter().find(|(n, _)| n == name).map(|(_, r)| r)
}

fn init_median(report: &Report) -> f64 {
    median_ms(report.runs.iter().map(|r| r.init)).map_or(f64::NAN, |m| m.0)
}

fn answered_median(report: &Report) -> f64 {
    median_ms(report.runs.iter().map(|r| r.exec_to_answer)).map_or(f64::NAN, |m| m.0)
}

fn peak_rss_mib(report: &Report) -> f64 {
    report
        .runs
        .iter()
        .filter_map(|r| r.peak_rss_kib)
        .max()
        .map_or(f64::NAN, |k| k as f64 / 1024.0)
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    // Counted from /proc/cpuinfo: the load step pins this process to one core.
    let cores = std::fs::read_to_string("/proc/cpuinfo")
        .map(|c| c.lines().filter(|l| l.starts_with("processor")).count())
        .unwrap_or(0);
    format!("{cpu}, {cores} cores, {}", std::env::consts::ARCH)
}

/// One line for the console and CI log.
pub fn headline(results: &Results) -> String {
    let pipeline = cold_of(results, "flow-pipeline");
    let python = cold_of(results, "python-reference");
    let mut line = String::new();
    if let (Some(p), Some(py)) = (pipeline, python) {
        let _ = write!(
            line,
            "flow-pipeline init {:.1} ms, exec→answered {:.1} ms; Python {:.1} / {:.1} ms ({:.0}× / {:.0}×)",
            init_median(p),
            answered_median(p),
            init_median(py),
            answered_median(py),
            init_median(py) / init_median(p),
            answered_median(py) / answered_median(p)
        );
    }
    for m in &results.cpu {
        let _ = write!(
            line,
            "; CPU {}: {:.2} µs vs {:.1} µs ({:.0}×)",
            m.label,
            m.rust_ns / 1000.0,
            m.python_ns / 1000.0,
            m.python_ns / m.rust_ns
        );
    }
    if let Some(level) = results.load.levels.first() {
        let _ = write!(
            line,
            "; chime-local {:.0} msg/s at concurrency {} (p99 {:.1} ms)",
            level.per_second(),
            level.concurrency,
            level.p99_ms
        );
    }
    line
}

pub fn markdown(settings: &Settings, results: &Results) -> String {
    let mut out = String::new();
    let profile = crate::profile();
    let mode = match (settings.smoke, profile.name) {
        (false, _) => "full run".to_owned(),
        (true, name) => format!("smoke run, {name} profile: short, not for quoting"),
    };
    let _ = writeln!(out, "# Benchmarks\n");
    let _ = writeln!(
        out,
        "Written by `cargo run{} -p chime-flow-bench{}` ({mode}) on {} (UTC). Machine: {}. \
         Every figure comes from this one run; ratios compare measurements taken in it.\n",
        profile
            .flag
            .map_or(String::new(), |flag| format!(" {flag}")),
        if settings.smoke { " -- --smoke" } else { "" },
        time::OffsetDateTime::now_utc().date(),
        machine()
    );
    targets_section(&mut out, settings, results);
    cold_section(&mut out, settings, results);
    memory_section(&mut out, settings, results);
    cpu_section(&mut out, settings, results);
    size_section(&mut out, results);
    out.push_str(&load_section(settings, &results.load));
    out.push_str(ANALYSIS);
    out.push_str(STAGES);
    out
}

/// Cold start and warm latency of each processor and of the Python reference.
/// One target: what it asks, what this run measured, and whether that meets it.
struct Target {
    asks: String,
    measured: String,
    met: Option<bool>,
}

impl Target {
    fn new(asks: impl Into<String>, measured: impl Into<String>, met: Option<bool>) -> Self {
        Self {
            asks: asks.into(),
            measured: measured.into(),
            met,
        }
    }
}

/// The standing targets beside this run's figures (the sections below have the details).
fn targets(settings: &Settings, results: &Results) -> Vec<Target> {
    let mut list = Vec::new();
    for name in ["flow-pipeline", "moderation-deny", "content-redaction"] {
        if let Some(report) = cold_of(results, name) {
            let (init, answered) = (init_median(report), answered_median(report));
            list.push(Target::new(
                format!("{name}: init ≤ 5 ms, exec → answered ≤ 10 ms"),
                format!("{init:.1} ms, {answered:.1} ms"),
                Some(init <= 5.0 && answered <= 10.0),
            ));
        }
    }
    if let Some(report) = cold_of(results, "metadata-enrichment") {
        let answered = answered_median(report);
        list.push(Target::new(
            "metadata-enrichment: exec → answered ≤ 5 ms",
            format!("{answered:.1} ms"),
            Some(answered <= 5.0),
        ));
    }
    if let Some(pipeline) = cold_of(results, "flow-pipeline") {
        for (reference, asks, at_least) in [
            ("python-reference", "the same list", 30.0),
            (
                "python-reference, built-in list only",
                "its lightest setting",
                35.0,
            ),
        ] {
            if let Some(py) = cold_of(results, reference) {
                let ratio = answered_median(py) / answered_median(pipeline);
                list.push(Target::new(
                    format!("exec → answered ≥ {at_least:.0}× faster than the Python reference with {asks}"),
                    format!("{ratio:.0}×"),
                    Some(ratio >= at_least),
                ));
            }
        }
    }
    let rss = peak_rss_mib(&results.rss);
    list.push(Target::new(
        format!("peak RSS ≤ 32 MB over {} events", settings.rss_events),
        format!("{rss:.1} MiB"),
        Some(rss * 1_048_576.0 <= 32e6),
    ));
    for m in &results.cpu {
        let ratio = m.python_ns / m.rust_ns;
        list.push(Target::new(
            format!(
                "≥ 50× less CPU per message than the Python reference, {}",
                m.label
            ),
            format!("{ratio:.0}×"),
            Some(ratio >= 50.0),
        ));
    }
    let arm = results.arm.iter().find(|(name, _)| name == "flow-pipeline");
    let bytes = arm.and_then(|(_, bytes)| *bytes);
    list.push(Target::new(
        "flow-pipeline arm64 ≤ 8 MiB with the AWS SDK",
        mib(bytes),
        bytes.map(|b| b <= 8 << 20),
    ));
    let best = results
        .load
        .levels
        .iter()
        .filter(|l| l.p99_ms <= 20.0)
        .max_by(|a, b| a.per_second().total_cmp(&b.per_second()));
    list.push(Target::new(
        "chime-local through the flow: ≥ 5,000 messages/s with p99 ≤ 20 ms",
        best.map_or("no level with p99 ≤ 20 ms".into(), |l| {
            format!(
                "{:.0} messages/s, p99 {:.1} ms at concurrency {}",
                l.per_second(),
                l.p99_ms,
                l.concurrency
            )
        }),
        Some(best.is_some_and(|l| l.per_second() >= 5000.0)),
    ));
    let full = &results.load.history.full;
    list.push(Target::new(
        format!(
            "chime-local: ≥ 5,000 sends/s into a channel holding {} messages",
            results.load.history.history
        ),
        format!("{:.0} sends/s", full.per_second()),
        Some(full.per_second() >= 5000.0),
    ));
    list
}

fn targets_section(out: &mut String, settings: &Settings, results: &Results) {
    let _ = writeln!(
        out,
        "## Targets
"
    );
    let _ = writeln!(out, "| target | this run | |\n| --- | --- | --- |");
    for target in targets(settings, results) {
        let stands = match target.met {
            Some(true) => "met",
            Some(false) => "missed",
            None => "not measured",
        };
        let _ = writeln!(out, "| {} | {} | {stands} |", target.asks, target.measured);
    }
    let _ = writeln!(out);
}

fn cold_section(out: &mut String, settings: &Settings, results: &Results) {
    let _ = writeln!(out, "## Cold start and warm latency, as a process\n");
    let _ = writeln!(
        out,
        "`chime-local run-bootstrap`: a fresh process per cold start ({} runs), driven through a local \
         Lambda Runtime API on loopback, chime-local in-process answering the callbacks; each process \
         takes one event cold and {} warm (redaction, deny, elastic channel, enrichment events in turn). \
         The processors load the built-in list plus a 5,000-term `DENY_TERMS_FILE` and build their SDK \
         client before polling; the Python reference (`bench/reference-python/`: boto3, better-profanity \
         0.6.1 with the same list, `re` for the same PII kinds) does the same. init = exec → first poll \
         for work; first event = taken → answered (after its callback was accepted); ms, median (min–max).\n",
        settings.cold_runs, settings.warm_events
    );
    let _ = writeln!(
        out,
        "| processor | init | of which stage build | first event | exec → answered | warm event | peak RSS |\n| --- | --- | --- | --- | --- | --- | --- |"
    );
    for (name, report) in &results.cold {
        let warm = median_ms(report.runs.iter().flat_map(|r| r.warm.clone()));
        let builds: Vec<Duration> = report
            .runs
            .iter()
            .filter_map(|r| r.stage_build_ms)
            .map(|ms| Duration::from_secs_f64(ms / 1000.0))
            .collect();
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {} | {} | {} | {:.1} MiB |",
            cell(median_ms(report.runs.iter().map(|r| r.init))),
            cell(spread(&builds)),
            cell(median_ms(report.runs.iter().map(|r| r.first_event))),
            cell(median_ms(report.runs.iter().map(|r| r.exec_to_answer))),
            warm.map_or("-".into(), |(m, lo, hi)| format!(
                "{m:.2} ({lo:.2}–{hi:.2})"
            )),
            peak_rss_mib(report)
        );
    }
    phases_table(out, results);
    if let (Some(p), Some(py)) = (
        cold_of(results, "flow-pipeline"),
        cold_of(results, "python-reference"),
    ) {
        let _ = writeln!(
            out,
            "\nPython reference ÷ flow-pipeline: init {:.0}×, exec → answered {:.0}× (target ≥ 30×).\n",
            init_median(py) / init_median(p),
            answered_median(py) / answered_median(p)
        );
    }
}

/// Where each processor's init goes (the `processor ready` line's phases between exec and the
/// first poll), median ms per phase, so that the next regression shows which phase moved.
fn phases_table(out: &mut String, results: &Results) {
    let rows: Vec<_> = results
        .cold
        .iter()
        .filter_map(|(name, report)| Some((name, median_phases(&report.runs)?)))
        .collect();
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\nInit phase by phase (median ms; each processor logs its own phases once, as `processor ready`; the stages build on their own thread beside the SDK config, so the critical path counts only the wait for them):\n"
    );
    let _ = writeln!(
        out,
        "| processor | {} | critical path |\n|{}",
        Phases::NAMES.join(" | "),
        " --- |".repeat(Phases::NAMES.len() + 2)
    );
    for (name, phases) in rows {
        let values = phases.values();
        let cells: Vec<String> = values.iter().map(|ms| format!("{ms:.1}")).collect();
        let _ = writeln!(
            out,
            "| {name} | {} | {:.1} |",
            cells.join(" | "),
            phases.critical_path()
        );
    }
}

/// Peak RSS of one process over many events.
fn memory_section(out: &mut String, settings: &Settings, results: &Results) {
    let _ = writeln!(out, "## Memory\n");
    let _ = writeln!(
        out,
        "flow-pipeline, one process taking {} events: peak RSS {:.1} MiB (target ≤ 32 MB).\n",
        settings.rss_events,
        peak_rss_mib(&results.rss)
    );
}

/// CPU per message, Rust against the Python reference.
fn cpu_section(out: &mut String, settings: &Settings, results: &Results) {
    let _ = writeln!(out, "## CPU per message\n");
    let _ = writeln!(
        out,
        "The pipeline's `decide` (moderation, redaction, enrichment; no network) in this process, two \
         messages differing in their last byte taken in turn, {} iterations; the Python reference's \
         decision on the same text, process CPU time. Same 5,000-term list.\n",
        settings.cpu_iterations
    );
    let _ = writeln!(
        out,
        "| message | Rust pipeline | Python reference | Python ÷ Rust |\n| --- | --- | --- | --- |"
    );
    for m in &results.cpu {
        let _ = writeln!(
            out,
            "| {} | {:.2} µs | {:.1} µs | {:.0}× |",
            m.label,
            m.rust_ns / 1000.0,
            m.python_ns / 1000.0,
            m.python_ns / m.rust_ns
        );
    }
    let _ = writeln!(
        out,
        "\nTarget: ≥ 50× less CPU per message than the Python reference.\n"
    );
}

/// Binary sizes and where flow-pipeline's bytes go.
fn size_section(out: &mut String, results: &Results) {
    let profile = crate::profile();
    if profile.name == "release" {
        let _ = writeln!(
            out,
            "## Binary size (stripped, release profile: thin LTO, one codegen unit)\n"
        );
    } else {
        let _ = writeln!(
            out,
            "## Binary size (x86_64 in the {} profile: not the deployed size)\n",
            profile.name
        );
    }
    let _ = writeln!(
        out,
        "| function | x86_64 | arm64 (`target/lambda`, from `cargo lambda build --arm64` or `sam build`) |\n| --- | --- | --- |"
    );
    for ((name, x86), (_, arm)) in results.x86.iter().zip(&results.arm) {
        let _ = writeln!(out, "| {name} | {} | {} |", mib(*x86), mib(*arm));
    }
    let _ = writeln!(out, "\nTarget: arm64 ≤ 8 MB with the AWS SDK kept.\n");
    if let Some((groups, total)) = &results.breakdown {
        let _ = writeln!(
            out,
            "Where flow-pipeline's bytes go (x86_64, a build keeping its symbols, `nm` sizes summed by \
             defining crate; {:.2} MiB of sized symbols):\n",
            *total as f64 / 1_048_576.0
        );
        let _ = writeln!(out, "| part | size | share |\n| --- | --- | --- |");
        for (group, bytes) in groups {
            let _ = writeln!(
                out,
                "| {group} | {:.0} KiB | {:.1}% |",
                *bytes as f64 / 1024.0,
                100.0 * *bytes as f64 / *total as f64
            );
        }
        let _ = writeln!(out);
    }
}

/// chime-local under load: the flow levels and the history comparison, as markdown.
pub fn load_section(settings: &Settings, load: &Load) -> String {
    let mut out = String::new();
    let plan = &settings.load;
    let _ = writeln!(out, "## chime-local through the flow\n");
    let _ = writeln!(
        out,
        "{} `chime-local serve` pinned to core 0 (HTTP, store, WebSocket and the in-process \
         flow-pipeline processor, whose callbacks are handed to ChannelFlowCallback in-process, the \
         default, all run there), this load generator pinned to core 1, loopback. Each worker sends with the SDK \
         and the message is settled when the sender's messaging WebSocket session receives \
         `CREATE_CHANNEL_MESSAGE` (passed the flow) or `DENIED_CREATE_CHANNEL_MESSAGE`; one message \
         in ten is denied. {} messages per level, at most {} s.\n",
        match crate::profile().name {
            "release" => "Release".to_owned(),
            other => format!("A {other}-profile"),
        },
        plan.messages,
        plan.limit.as_secs()
    );
    let _ = writeln!(
        out,
        "| concurrency | settled | messages/s | p50 send → settled | p99 | max |\n| --- | --- | --- | --- | --- | --- |"
    );
    for level in &load.levels {
        let _ = writeln!(out, "{}", level_row(level));
    }
    let _ = writeln!(out, "\nTarget: ≥ 5,000 messages/s with p99 ≤ 20 ms.\n");
    let h = &load.history;
    let _ = writeln!(out, "## Sending into a long history\n");
    let _ = writeln!(
        out,
        "SendChannelMessage round trips (no flow) into an empty channel, then into one seeded with \
         {} messages through `POST /_chime-local/seed-messages` ({:.1} s), same server, same run, \
         concurrency {}.\n",
        h.history, h.seed_seconds, h.empty.concurrency
    );
    let _ = writeln!(
        out,
        "| channel | sends | sends/s | p50 | p99 | max |\n| --- | --- | --- | --- | --- | --- |"
    );
    for (label, level) in [("empty", &h.empty), ("history", &h.full)] {
        let _ = writeln!(
            out,
            "| {label} | {} | {:.0} | {:.2} ms | {:.2} ms | {:.2} ms |",
            level.settled,
            level.per_second(),
            level.p50_ms,
            level.p99_ms,
            level.max_ms
        );
    }
    let _ = writeln!(
        out,
        "\nWith history ÷ empty: {:.2}× the sends per second. Target: ≥ 5,000 sends/s into the \
         channel holding {} messages.\n",
        h.full.per_second() / h.empty.per_second(),
        h.history
    );
    out
}

fn level_row(level: &Level) -> String {
    format!(
        "| {} | {} | {:.0} | {:.2} ms | {:.2} ms | {:.2} ms |",
        level.concurrency,
        level.settled,
        level.per_second(),
        level.p50_ms,
        level.p99_ms,
        level.max_ms
    )
}

/// What the figures mean and, where a target is missed, why and what would close it. Written by hand
/// from a full run.
pub const ANALYSIS: &str = include_str!("analysis.md");

/// The in-process stage benchmarks, instruction counts and consumer builds: measured by other
/// commands (each named in the text), written by hand.
pub const STAGES: &str = include_str!("stages.md");
