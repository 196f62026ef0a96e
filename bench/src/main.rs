//! Whole-process benchmarks, one command:
//!
//! ```sh
//! cargo run --release -p chime-flow-bench            # full run, writes docs/benchmarks.md
//! cargo run -p chime-flow-bench -- --smoke           # a short run that proves it all still works
//! cargo run --release -p chime-flow-bench -- --load-only  # chime-local's load step alone, printed
//! ```
//!
//! It builds the binaries in its own profile (release for a full run; a smoke run from a debug build
//! measures debug binaries, which the tests have mostly built already), then measures cold start and
//! warm latency of every processor as a process (and of the Python reference, through the same
//! harness), peak RSS over many events, CPU per message beside the Python reference, binary sizes
//! and where the bytes go, and chime-local's throughput through the flow. Timings are figures, never
//! assertions: the run fails only when something does not work (a build, a start, a callback, a
//! message left PENDING).

mod cpu;
mod load;
mod report;
mod sizes;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

use chime_local::tools::bootstrap_run::{self, RunOptions};

/// How much of everything a run does.
#[derive(Debug, Clone)]
pub struct Settings {
    pub smoke: bool,
    /// Only chime-local's load step (printed, docs/benchmarks.md left alone).
    pub load_only: bool,
    pub cold_runs: usize,
    pub warm_events: usize,
    pub rss_events: usize,
    pub cpu_iterations: usize,
    pub load: load::Plan,
    pub out: PathBuf,
}

impl Settings {
    fn from_args(args: &[String]) -> Result<Self, String> {
        let mut smoke = false;
        let mut load_only = false;
        let mut out = None;
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--smoke" => smoke = true,
                "--load-only" => load_only = true,
                "--out" => out = Some(args.next().ok_or("--out needs a path")?.into()),
                other => {
                    return Err(format!(
                        "unknown argument {other:?} (use --smoke, --load-only, --out FILE)"
                    ));
                }
            }
        }
        let root = workspace_root();
        if !smoke && !load_only && cfg!(debug_assertions) {
            return Err("a full run measures release binaries: run it with \
                 `cargo run --release -p chime-flow-bench` (a debug build runs only --smoke)"
                .into());
        }
        Ok(if smoke {
            Self {
                smoke,
                load_only,
                cold_runs: 2,
                warm_events: 10,
                rss_events: 300,
                cpu_iterations: 2_000,
                load: load::Plan {
                    levels: vec![8],
                    messages: 300,
                    history: 10_000,
                    history_concurrency: 8,
                    limit: Duration::from_secs(60),
                },
                out: out.unwrap_or_else(|| root.join("target/benchmarks-smoke.md")),
            }
        } else {
            Self {
                smoke,
                load_only,
                cold_runs: 10,
                warm_events: 100,
                rss_events: 10_000,
                cpu_iterations: 50_000,
                load: load::Plan {
                    levels: vec![8, 32, 64],
                    messages: 20_000,
                    history: 1_000_000,
                    history_concurrency: 32,
                    limit: Duration::from_secs(60),
                },
                out: out.unwrap_or_else(|| root.join("docs/benchmarks.md")),
            }
        })
    }
}

pub const PROCESSORS: &[&str] = &[
    "flow-pipeline",
    "moderation-deny",
    "content-redaction",
    "metadata-enrichment",
];

/// The cargo profile the bench was built in, and so the one it builds and measures the binaries in.
pub struct Profile {
    /// `cargo build`'s flag for it.
    pub flag: Option<&'static str>,
    /// Its directory under `target/`.
    pub dir: &'static str,
    /// What the report calls it.
    pub name: &'static str,
}

pub const fn profile() -> Profile {
    if cfg!(debug_assertions) {
        Profile {
            flag: None,
            dir: "debug",
            name: "dev",
        }
    } else {
        Profile {
            flag: Some("--release"),
            dir: "release",
            name: "release",
        }
    }
}

/// `cargo build -q` of `packages` in the bench's profile.
fn cargo_build(root: &Path, packages: &[&str]) -> Command {
    let mut build = Command::new("cargo");
    build.current_dir(root).args(["build", "-q"]);
    build.args(profile().flag);
    for package in packages {
        build.args(["-p", package]);
    }
    build
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_owned)
        .unwrap_or_default()
}

fn run_command(what: &str, command: &mut Command) -> Result<(), String> {
    eprintln!("bench: {what}");
    let status = command
        .status()
        .map_err(|e| format!("{what}: cannot start: {e}"))?;
    status
        .success()
        .then_some(())
        .ok_or_else(|| format!("{what}: {status}"))
}

/// The real interpreter (not a shim), so the harness can start it with a clean environment.
fn python() -> Result<String, String> {
    let output = Command::new("python3")
        .args([
            "-c",
            "import sys, boto3, better_profanity; print(sys.executable)",
        ])
        .output()
        .map_err(|e| format!("python3: {e}"))?;
    if !output.status.success() {
        return Err(
            "the Python reference needs python3 with boto3 and better-profanity \
             (pip install boto3 better-profanity==0.6.1)"
                .into(),
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// Inputs written once: the 5,000-term list both sides load, and the messages both sides decide on.
struct Inputs {
    terms: PathBuf,
    messages: PathBuf,
    sizes: Vec<(String, usize)>,
}

fn inputs(dir: &Path) -> Result<Inputs, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let terms = dir.join("terms-5000.txt");
    let list = chime_flow::bench_input::synthetic_terms(5_000).join("\n");
    std::fs::write(&terms, list).map_err(|e| format!("{}: {e}", terms.display()))?;
    let sizes = vec![("100 B".to_owned(), 100), ("4 KB".to_owned(), 4096)];
    let texts: Vec<(String, String)> = sizes
        .iter()
        .map(|(label, bytes)| {
            (
                label.clone(),
                chime_flow::bench_input::chat_text(*bytes, 'x'),
            )
        })
        .collect();
    let messages = dir.join("messages.json");
    let json = serde_json::to_string(&texts).map_err(|e| e.to_string())?;
    std::fs::write(&messages, json).map_err(|e| format!("{}: {e}", messages.display()))?;
    Ok(Inputs {
        terms,
        messages,
        sizes,
    })
}

fn events(root: &Path) -> Vec<PathBuf> {
    [
        "pii.json",
        "profanity.json",
        "elastic-subchannel.json",
        "mentions-links.json",
    ]
    .iter()
    .map(|e| root.join("tests/events").join(e))
    .collect()
}

/// Builds chime-local and runs the load step alone.
async fn load_only(settings: &Settings) -> Result<String, String> {
    let root = workspace_root();
    let profile = profile();
    run_command(
        &format!("cargo build, {} profile (chime-local)", profile.name),
        &mut cargo_build(&root, &["chime-local"]),
    )?;
    eprintln!("bench: chime-local under load");
    let binaries = root.join("target").join(profile.dir);
    let load = load::run(&binaries.join("chime-local"), &settings.load).await?;
    Ok(report::load_section(settings, &load))
}

async fn run(settings: &Settings) -> Result<report::Results, String> {
    let root = workspace_root();
    let profile = profile();
    let binaries = root.join("target").join(profile.dir);
    let packages: Vec<&str> = PROCESSORS.iter().copied().chain(["chime-local"]).collect();
    run_command(
        &format!(
            "cargo build, {} profile (processors, chime-local)",
            profile.name
        ),
        &mut cargo_build(&root, &packages),
    )?;
    let python = python()?;
    let inputs = inputs(&root.join("target/bench-inputs"))?;
    let terms_env = (
        "DENY_TERMS_FILE".to_owned(),
        inputs.terms.display().to_string(),
    );

    eprintln!("bench: CPU per message");
    let cpu = cpu::measure(
        &inputs.sizes,
        &inputs.terms,
        &inputs.messages,
        &python,
        settings.cpu_iterations,
    )?;

    let mut cold = Vec::new();
    let mut candidates: Vec<(String, PathBuf, Vec<String>)> = PROCESSORS
        .iter()
        .map(|name| (name.to_string(), binaries.join(name), Vec::new()))
        .collect();
    // The opt-in classifier (MODERATION_CLASSIFIER=on): its weights are read in place, so its
    // cold-start cost should be the pages it touches, not a build.
    candidates.push((
        "flow-pipeline, classifier on".into(),
        binaries.join("flow-pipeline"),
        Vec::new(),
    ));
    let reference = root.join("bench/reference-python/processor.py");
    candidates.push((
        "python-reference".into(),
        reference.clone(),
        vec![python.clone()],
    ));
    candidates.push((
        "python-reference, built-in list only".into(),
        reference,
        vec![python.clone()],
    ));
    for (name, bootstrap, runner) in candidates {
        // better-profanity expands every word into its spellings: the reference is also measured
        // with only the 28 built-in terms, the fairest light for it.
        let env = if name.ends_with("built-in list only") {
            Vec::new()
        } else if name.ends_with("classifier on") {
            vec![
                terms_env.clone(),
                ("MODERATION_CLASSIFIER".to_owned(), "on".to_owned()),
            ]
        } else {
            vec![terms_env.clone()]
        };
        eprintln!("bench: cold starts of {name}");
        let options = RunOptions {
            bootstrap,
            runner,
            function_name: name.clone(),
            events: events(&root),
            cold_runs: settings.cold_runs,
            warm_events: settings.warm_events,
            env,
            limit: Duration::from_secs(60),
        };
        cold.push((name, bootstrap_run::run(&options).await?));
    }

    eprintln!("bench: peak RSS over {} events", settings.rss_events);
    let rss = bootstrap_run::run(&RunOptions {
        bootstrap: binaries.join("flow-pipeline"),
        runner: Vec::new(),
        function_name: "flow-pipeline".into(),
        events: events(&root),
        cold_runs: 1,
        warm_events: settings.rss_events.saturating_sub(1),
        env: vec![terms_env.clone()],
        limit: Duration::from_secs(60),
    })
    .await?;

    let mut x86 = Vec::new();
    let mut arm = Vec::new();
    for name in PROCESSORS.iter().chain(&["stack-setup"]) {
        x86.push((name.to_string(), sizes::file_size(&binaries.join(name))));
        arm.push((
            name.to_string(),
            sizes::file_size(&root.join("target/lambda").join(name).join("bootstrap")),
        ));
    }
    let breakdown = if settings.smoke {
        None
    } else {
        let symbols = root.join("target/bench-symbols");
        run_command(
            "cargo build --release (flow-pipeline with symbols, for the size breakdown)",
            Command::new("cargo")
                .current_dir(&root)
                .env("CARGO_PROFILE_RELEASE_STRIP", "none")
                .args([
                    "build",
                    "--release",
                    "-q",
                    "-p",
                    "flow-pipeline",
                    "--target-dir",
                ])
                .arg(&symbols),
        )?;
        Some(sizes::breakdown(&symbols.join("release/flow-pipeline"))?)
    };

    eprintln!("bench: chime-local throughput through the flow");
    let load = load::run(&binaries.join("chime-local"), &settings.load).await?;

    Ok(report::Results {
        cpu,
        cold,
        rss,
        x86,
        arm,
        breakdown,
        load,
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let settings = match Settings::from_args(&args) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("bench: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    if settings.load_only {
        return match runtime.block_on(load_only(&settings)) {
            Ok(text) => {
                println!("{text}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("bench: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let results = match runtime.block_on(run(&settings)) {
        Ok(results) => results,
        Err(e) => {
            eprintln!("bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    let text = report::markdown(&settings, &results);
    if let Some(dir) = settings.out.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    match std::fs::write(&settings.out, &text) {
        Ok(()) => {
            println!("{}", report::headline(&results));
            println!("wrote {}", settings.out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench: cannot write {}: {e}", settings.out.display());
            ExitCode::FAILURE
        }
    }
}
