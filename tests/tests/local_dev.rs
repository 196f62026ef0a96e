//! The local development loop, end to end: chime-local and `cargo lambda watch` on free loopback
//! ports, the workspace's committed cargo-lambda configuration, the real function binaries.
//!
//! 1. `chime-local seed` stages the sample events; `cargo lambda invoke FUNCTION --data-file EVENT`
//!    runs each processor on one, and its callback settles the message in chime-local.
//! 2. Messages sent through the AWS SDK to a regular and an elastic channel whose flow names
//!    `flow-pipeline` go chime-local → Lambda Invoke API → the function → ChannelFlowCallback.
//!
//! Needs cargo-lambda (`pip install cargo-lambda`). Without it the test says so and passes, unless
//! `CHIME_FLOW_REQUIRE_CARGO_LAMBDA=1` (set by `.ci/run`), which makes its absence a failure.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chime_local::Config;
use chime_local::tools::demo::{self, Row};
use chime_local::tools::sample_events;

/// The first invocation of a function compiles it (seconds when the workspace is built, minutes
/// from nothing); everything waits at most this long.
const BUILD_PATIENCE: Duration = Duration::from_secs(600);

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_owned)
        .unwrap_or_else(|| PathBuf::from(".."))
}

fn cargo_lambda_available() -> bool {
    Command::new("cargo")
        .args(["lambda", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// `cargo lambda watch` in its own process group, so that stopping it also stops the cargo builds
/// and function processes it started — however the test ends (the guard acts on drop, panics included).
struct Watch {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Watch {
    /// Starts watch on `port` (free when picked; chime-local already points its Lambda endpoint there).
    fn start_on(chime_endpoint: &str, port: u16) -> Self {
        let log = std::env::temp_dir().join(format!("chime-flow-watch-{port}.log"));
        let out = std::fs::File::create(&log).expect("watch log file");
        let err = out.try_clone().expect("watch log file");
        let child = Command::new("cargo")
            .args(["lambda", "watch", "--invoke-address", "127.0.0.1"])
            .args(["--invoke-port", &port.to_string()])
            .current_dir(workspace_root())
            // The committed configuration points the functions at AWS_ENDPOINT_URL
            // (127.0.0.1:8000); the service-specific variable wins over it, so this test's
            // chime-local on its free port is the one they call back.
            .env("AWS_ENDPOINT_URL_CHIME_SDK_MESSAGING", chime_endpoint)
            .env("AWS_ENDPOINT_URL_CHIME_SDK_IDENTITY", chime_endpoint)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .spawn()
            .expect("cargo lambda watch starts");
        let mut watch = Self { child, port, log };
        watch.wait_until_listening();
        watch
    }

    fn wait_until_listening(&mut self) {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let started = Instant::now();
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("cargo lambda watch exited ({status}):\n{}", self.log_text());
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "cargo lambda watch did not listen on {addr} within 60 s:\n{}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `cargo lambda invoke FUNCTION --data-file EVENT` against this watch; the function's answer.
    fn invoke(&self, function: &str, event: &Path) -> String {
        let mut child = Command::new("cargo")
            .args([
                "lambda",
                "invoke",
                function,
                "--invoke-address",
                "127.0.0.1",
            ])
            .args(["--invoke-port", &self.port.to_string()])
            .arg("--data-file")
            .arg(event)
            .current_dir(workspace_root())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .expect("cargo lambda invoke starts");
        let started = Instant::now();
        while child.try_wait().ok().flatten().is_none() {
            if started.elapsed() > BUILD_PATIENCE {
                let _ = child.kill();
                panic!(
                    "cargo lambda invoke {function} took over {BUILD_PATIENCE:?}:\n{}",
                    self.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let output = child
            .wait_with_output()
            .expect("cargo lambda invoke output");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "cargo lambda invoke {function} failed: {}\n{}\nwatch log:\n{}",
            stdout,
            String::from_utf8_lossy(&output.stderr),
            self.log_text()
        );
        stdout
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let signal = |name: &str| {
            let _ = Command::new("kill")
                .args([name, "--", &group])
                .stderr(Stdio::null())
                .status();
        };
        signal("-TERM");
        let started = Instant::now();
        while self.child.try_wait().ok().flatten().is_none() {
            if started.elapsed() > Duration::from_secs(5) {
                signal("-KILL");
                let _ = self.child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = std::fs::remove_file(&self.log);
    }
}

fn row<'r>(rows: &'r [Row], label: &str) -> &'r Row {
    rows.iter()
        .find(|r| r.label == label)
        .unwrap_or_else(|| panic!("no row {label} in {rows:#?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn functions_run_under_cargo_lambda_watch_against_chime_local() {
    if !cargo_lambda_available() {
        assert!(
            std::env::var("CHIME_FLOW_REQUIRE_CARGO_LAMBDA").as_deref() != Ok("1"),
            "cargo-lambda is required here (CHIME_FLOW_REQUIRE_CARGO_LAMBDA=1) but `cargo lambda` \
             is not installed: pip install cargo-lambda"
        );
        eprintln!(
            "NOT RUN: cargo-lambda is not installed (pip install cargo-lambda); this test proves \
             nothing about the local development loop here"
        );
        return;
    }
    let watch_port_hint = free_port();
    // chime-local first (the functions need its endpoint), then watch; chime-local reaches watch
    // through the Lambda Invoke API, so it must know watch's port before watch starts.
    let mut config = Config {
        in_process_functions: false,
        ..Config::default()
    };
    config.lambda_endpoint = Some(format!("http://127.0.0.1:{watch_port_hint}"));
    let chime = chime_local::start(config, ([127, 0, 0, 1], 0).into())
        .await
        .expect("chime-local starts");
    let endpoint = chime.endpoint.clone();
    let region = Config::default().region;

    let outcome = tokio::task::spawn_blocking({
        let endpoint = endpoint.clone();
        move || run_loop(&endpoint, &region, watch_port_hint)
    })
    .await;
    chime.stop().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic.into_panic());
    }
}

/// Everything that needs the watch process, on a blocking thread (the guard's drop waits for it).
fn run_loop(endpoint: &str, region: &str, watch_port: u16) {
    let watch = Watch::start_on(endpoint, watch_port);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime for the SDK calls");
    let events = workspace_root().join("tests/events");
    let events_arg = vec![events.display().to_string()];

    // 1. Sample events staged, then each processor invoked on one by `cargo lambda invoke`.
    let staged = runtime
        .block_on(sample_events::seed(endpoint, &events_arg))
        .expect("the sample events are staged");
    assert!(staged.contains("staged  "), "{staged}");
    let cases = [
        ("flow-pipeline", "pii.json"),
        ("flow-pipeline", "elastic-subchannel.json"),
        ("moderation-deny", "profanity.json"),
        ("content-redaction", "metadata-attributes.json"),
        ("metadata-enrichment", "mentions-links.json"),
    ];
    for (function, event) in cases {
        let answer = watch.invoke(function, &events.join(event));
        assert!(
            answer.contains(r#""outcome":"sent""#),
            "{function} on {event}: {answer}"
        );
    }
    let rows = runtime
        .block_on(sample_events::read_back(endpoint, region, &events_arg))
        .expect("the staged messages read back");
    let pii = row(&rows, "pii");
    assert_eq!(pii.status, "SENT");
    assert!(
        pii.content.contains("[EMAIL]") && pii.content.contains("[CARD]"),
        "{pii:?}"
    );
    assert!(!pii.content.contains("4242"), "{pii:?}");
    let elastic = row(&rows, "elastic-subchannel");
    assert_eq!(
        (elastic.status.as_str(), elastic.sub_channel.as_str()),
        ("SENT", "subchannel-3")
    );
    assert_eq!(row(&rows, "profanity").status, "DENIED");
    let redacted = row(&rows, "metadata-attributes");
    assert_eq!(redacted.status, "SENT", "{redacted:?}");
    let enriched = row(&rows, "mentions-links");
    assert!(enriched.attributes.contains("hasLink=true"), "{enriched:?}");
    // Not invoked: still waiting for its processor.
    assert_eq!(row(&rows, "unicode").status, "PENDING");

    // 2. The SDK path: messages through a flow naming flow-pipeline, regular and elastic channels.
    let report = runtime
        .block_on(demo::conversation(
            endpoint,
            region,
            &Config::default().account,
            BUILD_PATIENCE,
        ))
        .expect("the conversation runs");
    let rows = report.rows;
    let clean = row(&rows, "clean");
    assert_eq!(clean.status, "SENT");
    assert_eq!(clean.content, "Morning all! Stand-up in 10 minutes.");
    assert_eq!(row(&rows, "profanity").status, "DENIED");
    assert_eq!(row(&rows, "evasion").status, "DENIED");
    let pii = row(&rows, "pii");
    assert_eq!(pii.content, "Card [CARD], mail [EMAIL]");
    for (label, sub) in [("russian", "1"), ("phone", "2")] {
        let elastic = row(&rows, label);
        assert_eq!(
            (elastic.status.as_str(), elastic.sub_channel.as_str()),
            ("SENT", sub)
        );
    }
    assert_eq!(
        row(&rows, "phone").content,
        "call me on [PHONE] after lunch"
    );
    let edit = row(&rows, "edit");
    assert_eq!(edit.content, "Stand-up moved: dial [PHONE] or mail [EMAIL]");
    drop(watch);
}
