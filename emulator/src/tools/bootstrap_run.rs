//! `chime-local run-bootstrap`: runs a built function binary (`bootstrap`, as `cargo lambda build`
//! or `sam build` leave it) the way Lambda does — a fresh process per cold start, driven through the
//! Runtime API — against an in-process chime-local holding the events' channels and PENDING messages,
//! and reports, per process, start-up (exec → first poll for work), the first event (taken →
//! answered, its callback made) and warm events, the peak RSS, and what became of each message.
//! With `--runner "qemu-aarch64 -L /usr/aarch64-linux-gnu"` an arm64 binary runs on an x86_64 host.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use chime_flow::event::ProcessorEvent;

use super::set_up::Clients;
use crate::config::{Config, LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY};
use crate::state::{now_micros, random_hex};
use crate::tools::demo::{self, Row};
use crate::tools::runtime_api::{Outcome, RuntimeApi};
use crate::tools::sample_events;

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub bootstrap: PathBuf,
    /// A command the bootstrap runs under (e.g. `qemu-aarch64 -L /usr/aarch64-linux-gnu`).
    pub runner: Vec<String>,
    pub function_name: String,
    /// Processor events, delivered in turn (each copy gets a fresh CallbackId and MessageId).
    pub events: Vec<PathBuf>,
    /// Processes started (each a cold start).
    pub cold_runs: usize,
    /// Events after the first, per process (warm invocations).
    pub warm_events: usize,
    /// Extra environment for the function (`FAILURE_POLICY=pass`, …).
    pub env: Vec<(String, String)>,
    /// How long one event may take (the first includes start-up; emulation is slow).
    pub limit: Duration,
}

/// One process's figures.
#[derive(Debug, Clone)]
pub struct ProcessRun {
    /// exec → the first `next` poll: everything the function does before it can take work.
    pub init: Duration,
    /// The first event, taken → answered (the answer comes after its callback was accepted).
    pub first_event: Duration,
    /// exec → the first event answered.
    pub exec_to_answer: Duration,
    /// Warm events, taken → answered.
    pub warm: Vec<Duration>,
    pub peak_rss_kib: Option<u64>,
    /// From the function's own "processor ready" log line (chime-flow processors): the stage build
    /// (matchers, detectors) and everything from `main` to ready, in ms.
    pub stage_build_ms: Option<f64>,
    pub main_to_ready_ms: Option<f64>,
    /// Where init went, phase by phase (chime-flow processors).
    pub phases: Option<Phases>,
}

/// One cold start's init, phase by phase, in ms: exec → `main` (the process: loading, relocation,
/// the runtime), then the processor's own phases from its `processor ready` line, then ready → the
/// first poll for work. The stages are built on a thread of their own beside the SDK configuration:
/// what `main` then still waited for them is their share of the critical path, which with the other
/// phases adds up to the init seen from outside ([`Phases::critical_path`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Phases {
    pub process: f64,
    pub config: f64,
    pub sdk_config: f64,
    pub stages: f64,
    pub stage_wait: f64,
    pub client: f64,
    pub first_poll: f64,
}

impl Phases {
    /// The phase names, in order, as tables head them.
    pub const NAMES: [&str; 7] = [
        "process (exec → main)",
        "config",
        "SDK config",
        "stages (own thread)",
        "waited for stages",
        "callback client",
        "first poll",
    ];

    /// The phases in [`Phases::NAMES`]' order.
    pub fn values(&self) -> [f64; 7] {
        [
            self.process,
            self.config,
            self.sdk_config,
            self.stages,
            self.stage_wait,
            self.client,
            self.first_poll,
        ]
    }

    /// The phases one after the other from exec to the first poll (the stages' own time overlaps
    /// the SDK configuration; only the wait for them counts).
    pub fn critical_path(&self) -> f64 {
        self.process
            + self.config
            + self.sdk_config
            + self.stage_wait
            + self.client
            + self.first_poll
    }

    /// From the `processor ready` line and the wall-clock moments of exec and of the first poll
    /// (microseconds since the epoch); `None` when the line lacks a phase. A processor that built
    /// its stages after the SDK configuration (no `stage_wait_us`) waited for all of them.
    pub fn from_ready(ready: &Value, exec_unix_us: f64, first_poll_unix_us: f64) -> Option<Self> {
        let field = |name: &str| ready[name].as_f64();
        let ms = |name: &str| field(name).map(|us| us / 1000.0);
        let stages = ms("stage_build_us")?;
        Some(Self {
            process: (field("main_at_unix_us")? - exec_unix_us) / 1000.0,
            config: ms("config_us")?,
            sdk_config: ms("sdk_config_us")?,
            stages,
            stage_wait: ms("stage_wait_us").unwrap_or(stages),
            client: ms("client_us")?,
            first_poll: (first_poll_unix_us - field("ready_at_unix_us")?) / 1000.0,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Report {
    pub bootstrap: String,
    pub runner: String,
    pub runs: Vec<ProcessRun>,
    /// What became of the last process's messages, read back through the SDK as their senders.
    pub messages: Vec<Row>,
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Median, minimum and maximum of a set of durations, in ms.
pub fn spread(values: &[Duration]) -> Option<(f64, f64, f64)> {
    let mut sorted: Vec<f64> = values.iter().copied().map(millis).collect();
    sorted.sort_by(f64::total_cmp);
    let median = match sorted.len() {
        0 => return None,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    };
    Some((median, sorted[0], sorted[sorted.len() - 1]))
}

/// Each phase's median over the runs that logged their phases.
pub fn median_phases(runs: &[ProcessRun]) -> Option<Phases> {
    let logged: Vec<Phases> = runs.iter().filter_map(|r| r.phases).collect();
    let median = |pick: fn(&Phases) -> f64| {
        let values: Vec<Duration> = logged
            .iter()
            .map(|p| Duration::from_secs_f64(pick(p).max(0.0) / 1000.0))
            .collect();
        spread(&values).map(|(m, _, _)| m)
    };
    Some(Phases {
        process: median(|p| p.process)?,
        config: median(|p| p.config)?,
        sdk_config: median(|p| p.sdk_config)?,
        stages: median(|p| p.stages)?,
        stage_wait: median(|p| p.stage_wait)?,
        client: median(|p| p.client)?,
        first_poll: median(|p| p.first_poll)?,
    })
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "bootstrap {} (runner: {})", self.bootstrap, self.runner)?;
        writeln!(
            f,
            "run | init ms | first event ms | exec→answered ms | warm event ms (median) | peak RSS MiB"
        )?;
        for (i, run) in self.runs.iter().enumerate() {
            let warm = spread(&run.warm).map_or("-".to_owned(), |(m, _, _)| format!("{m:.2}"));
            let rss = run
                .peak_rss_kib
                .map_or("-".to_owned(), |k| format!("{:.1}", k as f64 / 1024.0));
            writeln!(
                f,
                "{:>3} | {:>7.1} | {:>14.1} | {:>16.1} | {:>22} | {:>12}",
                i + 1,
                millis(run.init),
                millis(run.first_event),
                millis(run.exec_to_answer),
                warm,
                rss
            )?;
        }
        let column = |pick: fn(&ProcessRun) -> Duration| {
            let values: Vec<Duration> = self.runs.iter().map(pick).collect();
            spread(&values).map_or("-".to_owned(), |(m, lo, hi)| {
                format!("{m:.1} ms (min {lo:.1}, max {hi:.1})")
            })
        };
        writeln!(f, "median init: {}", column(|r| r.init))?;
        writeln!(f, "median first event: {}", column(|r| r.first_event))?;
        writeln!(f, "median exec→answered: {}", column(|r| r.exec_to_answer))?;
        if let Some(phases) = median_phases(&self.runs) {
            let parts: Vec<String> = Phases::NAMES
                .iter()
                .zip(phases.values())
                .map(|(name, ms)| format!("{name} {ms:.1}"))
                .collect();
            writeln!(f, "init phases, median ms: {}", parts.join(" · "))?;
        }
        let warm: Vec<Duration> = self.runs.iter().flat_map(|r| r.warm.clone()).collect();
        if let Some((m, lo, hi)) = spread(&warm) {
            writeln!(
                f,
                "warm events: median {m:.2} ms (min {lo:.2}, max {hi:.2}) over {}",
                warm.len()
            )?;
        }
        write!(f, "{}", demo::table(&self.messages))
    }
}

/// The function's environment: Lambda's own variables, chime-local as the endpoint, dummy
/// credentials, and nothing inherited from this process.
fn environment(api: &RuntimeApi, endpoint: &str, options: &RunOptions) -> Vec<(String, String)> {
    let name = &options.function_name;
    let mut env: Vec<(String, String)> = [
        ("AWS_LAMBDA_RUNTIME_API", api.address()),
        ("AWS_LAMBDA_FUNCTION_NAME", name.clone()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256".into()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}")),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "chime-local".into()),
        ("AWS_LAMBDA_LOG_FORMAT", "JSON".into()),
        ("AWS_REGION", Config::default().region),
        ("AWS_DEFAULT_REGION", Config::default().region),
        ("AWS_ACCESS_KEY_ID", LOCAL_ACCESS_KEY_ID.into()),
        ("AWS_SECRET_ACCESS_KEY", LOCAL_SECRET_ACCESS_KEY.into()),
        ("AWS_ENDPOINT_URL", endpoint.into()),
        ("LAMBDA_TASK_ROOT", "/var/task".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    env.extend(options.env.iter().cloned());
    env
}

fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A copy of an event with a fresh CallbackId and MessageId, so that no delivery is a repeat (the
/// function's idempotency cache would rightly skip one).
fn fresh_copy(event: &Value, tag: &str) -> Value {
    let mut copy = event.clone();
    copy["CallbackId"] = Value::String(random_hex(48));
    if let Some(message) = copy.get_mut("ChannelMessage") {
        let id = message
            .get("MessageId")
            .and_then(Value::as_str)
            .unwrap_or("msg");
        message["MessageId"] = Value::String(format!("{id}-{tag}"));
    }
    copy
}

struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits for `request_id`'s answer while the process lives (a process that dies is not waited for).
async fn wait_while_alive(
    api: &RuntimeApi,
    process: &mut Process,
    request_id: &str,
    limit: Duration,
) -> Option<crate::tools::runtime_api::Invocation> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Some(done) = api.wait_for(request_id, Duration::from_millis(100)).await {
            return Some(done);
        }
        if api.init_error().is_some() || !matches!(process.0.try_wait(), Ok(None)) {
            return None;
        }
    }
    None
}

/// The fields of the function's "processor ready" JSON log line, if it wrote one.
fn ready_line(path: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["message"] == "processor ready")
}

fn last_lines(path: &Path, count: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(count)..].join("\n")
}

/// Runs the bootstrap as configured; fails naming what went wrong (start-up error, no answer in
/// time, an error answer, a message left PENDING).
pub async fn run(options: &RunOptions) -> Result<Report, String> {
    let mut events = Vec::new();
    for path in &options.events {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let value = chime_flow::event::parse_json(&bytes)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        ProcessorEvent::from_value(&value).map_err(|e| format!("{}: {e}", path.display()))?;
        events.push(value);
    }
    if events.is_empty() {
        return Err("name at least one processor event (--event FILE)".into());
    }
    let config = Config {
        in_process_functions: false,
        ..Config::default()
    };
    let chime = crate::start(config, ([127, 0, 0, 1], 0).into())
        .await
        .map_err(|e| e.to_string())?;
    let result = run_all(options, &events, &chime.endpoint).await;
    chime.stop().await;
    result
}

async fn run_all(options: &RunOptions, events: &[Value], endpoint: &str) -> Result<Report, String> {
    let function_arn = format!(
        "arn:aws:lambda:us-east-1:000000000000:function:{}",
        options.function_name
    );
    let messaging = Clients::connect(endpoint, &Config::default().region, true)
        .await
        .chime;
    let mut runs = Vec::new();
    let mut messages = Vec::new();
    for run in 0..options.cold_runs.max(1) {
        let deliveries: Vec<Value> = (0..=options.warm_events)
            .map(|n| fresh_copy(&events[n % events.len()], &format!("r{run}e{n}")))
            .collect();
        for delivery in &deliveries {
            sample_events::stage(endpoint, delivery).await?;
        }
        runs.push(one_process(options, &function_arn, endpoint, &deliveries, run).await?);
        messages = settled_rows(&messaging, &deliveries, run).await?;
    }
    Ok(Report {
        bootstrap: options.bootstrap.display().to_string(),
        runner: if options.runner.is_empty() {
            "none (native)".into()
        } else {
            options.runner.join(" ")
        },
        runs,
        messages,
    })
}

/// One cold process through its own Runtime API: it takes `deliveries` in turn; its timings, peak
/// RSS and what its ready line says.
async fn one_process(
    options: &RunOptions,
    function_arn: &str,
    endpoint: &str,
    deliveries: &[Value],
    run: usize,
) -> Result<ProcessRun, String> {
    let api = RuntimeApi::start(function_arn, Duration::from_secs(45))
        .await
        .map_err(|e| format!("cannot start the Runtime API: {e}"))?;
    // Unique per run in this process: runs may go on at once (tests in parallel), each its own log.
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let log = std::env::temp_dir().join(format!(
        "chime-local-bootstrap-{}-{}-{run}.log",
        std::process::id(),
        RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let exec_unix_us = now_micros() as f64;
    let started = Instant::now();
    let mut process = spawn(options, &api, endpoint, &log)?;
    let timings = answer_all(options, &api, &mut process, deliveries, run, &log).await;
    let peak_rss_kib = peak_rss_kib(process.0.id());
    drop(process);
    let ready = ready_line(&log);
    let _ = std::fs::remove_file(&log);
    let first_poll = api.first_poll().unwrap_or(started);
    api.stop().await;
    let timings = timings?;
    let (taken, answered) = timings[0];
    Ok(ProcessRun {
        init: first_poll.duration_since(started),
        first_event: answered.duration_since(taken),
        exec_to_answer: answered.duration_since(started),
        warm: timings[1..]
            .iter()
            .map(|(t, a)| a.duration_since(*t))
            .collect(),
        peak_rss_kib,
        stage_build_ms: ready
            .as_ref()
            .and_then(|r| r["stage_build_us"].as_f64())
            .map(|us| us / 1000.0),
        main_to_ready_ms: ready.as_ref().and_then(|r| r["init_ms"].as_f64()),
        phases: ready.as_ref().and_then(|r| {
            let first_poll_unix_us =
                exec_unix_us + first_poll.duration_since(started).as_micros() as f64;
            Phases::from_ready(r, exec_unix_us, first_poll_unix_us)
        }),
    })
}

/// Starts the bootstrap (through `--runner` when given) with Lambda's environment, both output
/// streams into `log` (tracing writes to stdout, panics and runtimes to stderr).
fn spawn(
    options: &RunOptions,
    api: &RuntimeApi,
    endpoint: &str,
    log: &Path,
) -> Result<Process, String> {
    let (program, args) = match options.runner.split_first() {
        Some((runner, args)) => (
            runner.clone(),
            args.iter()
                .cloned()
                .chain([options.bootstrap.display().to_string()])
                .collect::<Vec<_>>(),
        ),
        None => (options.bootstrap.display().to_string(), Vec::new()),
    };
    let mut child = Command::new(&program);
    child
        .args(&args)
        .env_clear()
        .envs(environment(api, endpoint, options))
        .stdin(Stdio::null());
    match std::fs::File::create(log).and_then(|f| Ok((f.try_clone()?, f))) {
        Ok((out, err)) => child.stdout(out).stderr(err),
        Err(_) => child.stdout(Stdio::null()).stderr(Stdio::null()),
    };
    child
        .spawn()
        .map(Process)
        .map_err(|e| format!("cannot start {program}: {e}"))
}

/// Hands the process each delivery and waits for its answer: when each was taken and answered.
/// A process that dies, fails to start, stays silent or answers an error ends the run, with its
/// last output.
async fn answer_all(
    options: &RunOptions,
    api: &RuntimeApi,
    process: &mut Process,
    deliveries: &[Value],
    run: usize,
    log: &Path,
) -> Result<Vec<(Instant, Instant)>, String> {
    let mut timings = Vec::new();
    for (n, delivery) in deliveries.iter().enumerate() {
        let where_ = format!("run {} event {}", run + 1, n + 1);
        let id = format!("req-{run}-{n}");
        api.push(&id, delivery.clone());
        let done = wait_while_alive(api, process, &id, options.limit).await;
        let Some(invocation) = done else {
            let why = match (api.init_error(), process.0.try_wait()) {
                (Some(error), _) => format!("the function failed to start: {error}"),
                (None, Ok(Some(status))) => format!("the process exited ({status})"),
                _ => format!("no answer within {:?}", options.limit),
            };
            let tail = last_lines(log, 8);
            return Err(format!("{where_}: {why}; its last output:\n{tail}"));
        };
        let Some((answered, outcome)) = invocation.answered else {
            return Err(format!("{where_}: not answered"));
        };
        if let Outcome::Error(error) = outcome {
            return Err(format!("{where_}: the function answered an error: {error}"));
        }
        timings.push((invocation.taken, answered));
    }
    Ok(timings)
}

/// What became of each delivery's message, read through the SDK: none may still be PENDING.
async fn settled_rows(
    messaging: &aws_sdk_chimesdkmessaging::Client,
    deliveries: &[Value],
    run: usize,
) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    for (n, delivery) in deliveries.iter().enumerate() {
        let row = sample_events::read_row(messaging, delivery, &format!("event {}", n + 1)).await?;
        if row.status == "PENDING" {
            return Err(format!(
                "run {}: the message of event {} is still PENDING after its answer",
                run + 1,
                n + 1
            ));
        }
        rows.push(row);
    }
    Ok(rows)
}

/// The function name Lambda would report: the bootstrap's directory (`target/lambda/NAME/bootstrap`,
/// `.aws-sam/build/LOGICALID/bootstrap`).
pub fn default_function_name(bootstrap: &Path) -> String {
    bootstrap
        .parent()
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "function".into())
}

#[cfg(test)]
mod phase_tests {
    use super::*;

    #[test]
    fn phases_come_from_the_ready_line_and_the_times_seen_outside() {
        let ready = serde_json::json!({"message": "processor ready", "config_us": 300,
            "sdk_config_us": 2_500, "stage_build_us": 12_000, "stage_wait_us": 9_500,
            "client_us": 800, "init_ms": 15,
            "main_at_unix_us": 1_000_004_000u64, "ready_at_unix_us": 1_000_020_000u64});
        let phases = Phases::from_ready(&ready, 1_000_000_000.0, 1_000_021_500.0).expect("phases");
        assert_eq!(phases.values(), [4.0, 0.3, 2.5, 12.0, 9.5, 0.8, 1.5]);
        assert!((phases.critical_path() - 18.6).abs() < 1e-9);
        // Before the stages had a thread of their own, main waited for the whole build.
        let sequential = serde_json::json!({"config_us": 300, "sdk_config_us": 2_500,
            "stage_build_us": 12_000, "client_us": 800, "main_at_unix_us": 1_000_004_000u64,
            "ready_at_unix_us": 1_000_020_000u64});
        let phases = Phases::from_ready(&sequential, 1_000_000_000.0, 1_000_021_500.0);
        assert_eq!(phases.map(|p| p.stage_wait), Some(12.0));
        let older = serde_json::json!({"message": "processor ready", "stage_build_us": 12_000});
        assert!(
            Phases::from_ready(&older, 0.0, 0.0).is_none(),
            "a line without phases"
        );
    }
}
