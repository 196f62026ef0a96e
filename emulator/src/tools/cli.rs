//! The command line: `demo` (the scripted conversation through the flow pipeline; `--console`
//! serves on with the web console), `serve` (the service for the AWS SDKs, the AWS CLI, boto3 and `cargo lambda`), `seed` / `show` (stage the
//! sample events in a running chime-local and read them back), `run-bootstrap` (a built function
//! binary as Lambda runs it) and `operations` (the list of served operations in emulator/README.md).

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;

use super::launch::start;
use crate::config::{Config, LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY};
use crate::emulator::faults::Faults;
use crate::server::sigv4::LocalCredentials;
use crate::tools::bootstrap_run::{self, RunOptions};
use crate::tools::{demo_run, sample_events};

const USAGE: &str = "\
usage: chime-local demo [--lambda-endpoint URL] [--port 8000] [--console]
       chime-local serve [--host 127.0.0.1] [--port 8000] [--lambda-endpoint URL]
                         [--no-in-process] [--verify-signatures] [--faults JSON]
                         [--async-retry-delays-ms 1000,2000] [--in-process-callbacks direct|http]
       chime-local seed [--endpoint URL] EVENT.json|DIR...
       chime-local show [--endpoint URL] EVENT.json|DIR...
       chime-local run-bootstrap BOOTSTRAP [--runner CMD] [--event FILE]... [--runs N]
                         [--warm N] [--name NAME] [--env KEY=VALUE]... [--limit-secs N]
       chime-local operations   (the list of served operations in emulator/README.md)

demo: the scripted conversation through the flow-pipeline processor, in-process; with
      --lambda-endpoint (e.g. http://127.0.0.1:9000, `cargo lambda watch`) through the real
      function binary instead, chime-local listening on 127.0.0.1:PORT (default 8000, where the
      workspace's cargo lambda configuration points the functions); with --console, on
      127.0.0.1:8000 (or --port) with the console's URL printed first, serving on after the
      conversation until Ctrl-C

serve and demo --console serve the web console at /_chime-local/console/: every app instance,
channel and message, each message's journey through its flow, live.

serve options:
  --lambda-endpoint URL  invoke processors that are not built in through the Lambda Invoke API
                         at URL (cargo lambda watch serves http://127.0.0.1:9000)
  --no-in-process        do not run the built-in processors (flow-pipeline, moderation-deny,
                         content-redaction, metadata-enrichment) in-process
  --verify-signatures    check SigV4 signatures against CHIME_LOCAL_ACCESS_KEY_ID and
                         CHIME_LOCAL_SECRET_ACCESS_KEY (default: the credentials printed at start)
  --faults JSON          fault rules, e.g. '{\"SendChannelMessage\": {\"throttle_rate\": 0.2}}'
                         (also settable at run time: PUT /_chime-local/faults)
  --in-process-callbacks direct|http
                         how the built-in processors call back: handed to the operation in-process
                         (default; same faults, validation and semantics, no HTTP) or through the
                         real SDK over HTTP, as a deployed Lambda does
  --async-retry-delays-ms A,B
                         when an in-process processor fails, deliver its event again after A ms
                         and B ms, as Lambda's asynchronous retry does (AWS: about 1 and 2 min)

seed: stage each processor event in a running chime-local (default endpoint
      http://127.0.0.1:8000): its app instance, sender and channel (elastic when the event
      names a SubChannelId) and a PENDING message waiting for the event's CallbackId, so that
      `cargo lambda invoke FUNCTION --data-file EVENT.json` calls back into chime-local.
      Seeding again puts the message back to PENDING. A directory's unusable events are skipped.
show: what became of each event's message (status, content, attributes), read as its sender

run-bootstrap: run a built function binary (target/lambda/NAME/bootstrap, .aws-sam/build/ID/bootstrap)
      as Lambda does, against an in-process chime-local: a fresh process per run (--runs, default 5)
      driven through a local Lambda Runtime API, each taking one event and --warm more (default 0);
      prints start-up, first-event and warm timings, peak RSS and the messages' final state.
      --runner \"qemu-aarch64 -L /usr/aarch64-linux-gnu\" runs an arm64 binary on x86_64.
      --event defaults to tests/events/pii.json; --limit-secs (default 60) bounds each event";

/// Walks command-line arguments; every error names the flag and what was wrong with its value.
struct Flags<'a>(std::slice::Iter<'a, String>);

impl<'a> Flags<'a> {
    fn new(args: &'a [String]) -> Self {
        Self(args.iter())
    }

    fn next(&mut self) -> Option<&'a str> {
        self.0.next().map(String::as_str)
    }

    /// The value after `flag`.
    fn value(&mut self, flag: &str) -> Result<String, String> {
        self.next()
            .map(str::to_owned)
            .ok_or_else(|| format!("{flag} needs a value"))
    }

    /// The value after `flag`, parsed; `what` says what it must be ("a port number").
    fn parsed<T: std::str::FromStr>(&mut self, flag: &str, what: &str) -> Result<T, String> {
        let text = self.value(flag)?;
        text.parse()
            .map_err(|_| format!("{flag}: {text:?} is not {what}"))
    }
}

/// `run-bootstrap BOOTSTRAP [options]`.
fn parse_run_bootstrap(args: &[String]) -> Result<RunOptions, String> {
    let mut bootstrap = None;
    let mut options = RunOptions {
        bootstrap: Default::default(),
        runner: Vec::new(),
        function_name: String::new(),
        events: Vec::new(),
        cold_runs: 5,
        warm_events: 0,
        env: Vec::new(),
        limit: std::time::Duration::from_secs(60),
    };
    let mut flags = Flags::new(args);
    while let Some(arg) = flags.next() {
        match arg {
            "--runner" => {
                options.runner = flags
                    .value(arg)?
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect();
            }
            "--event" => options.events.push(flags.value(arg)?.into()),
            "--runs" => options.cold_runs = flags.parsed::<usize>(arg, "a whole number")?.max(1),
            "--warm" => options.warm_events = flags.parsed(arg, "a whole number")?,
            "--name" => options.function_name = flags.value(arg)?,
            "--limit-secs" => {
                let secs: u64 = flags.parsed(arg, "a whole number")?;
                options.limit = std::time::Duration::from_secs(secs.max(1));
            }
            "--env" => {
                let pair = flags.value(arg)?;
                let (key, val) = pair
                    .split_once('=')
                    .ok_or_else(|| format!("--env: {pair:?} is not KEY=VALUE"))?;
                options.env.push((key.to_owned(), val.to_owned()));
            }
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag:?}")),
            path if bootstrap.is_none() => bootstrap = Some(std::path::PathBuf::from(path)),
            extra => return Err(format!("unexpected argument {extra:?}")),
        }
    }
    options.bootstrap = bootstrap.ok_or("name the bootstrap binary to run")?;
    if options.function_name.is_empty() {
        options.function_name = bootstrap_run::default_function_name(&options.bootstrap);
    }
    if options.events.is_empty() {
        options.events.push("tests/events/pii.json".into());
    }
    Ok(options)
}

/// `--endpoint URL` (default chime-local's default address) and the event paths.
fn parse_events_args(args: &[String]) -> Result<(String, Vec<String>), String> {
    let mut endpoint = "http://127.0.0.1:8000".to_owned();
    let mut paths = Vec::new();
    let mut flags = Flags::new(args);
    while let Some(arg) = flags.next() {
        match arg {
            "--endpoint" => endpoint = flags.value(arg)?,
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag:?}")),
            path => paths.push(path.to_owned()),
        }
    }
    Ok((endpoint, paths))
}

#[derive(Debug)]
struct ServeArgs {
    host: IpAddr,
    port: u16,
    config: Config,
}

fn parse_serve(args: &[String]) -> Result<ServeArgs, String> {
    let mut serve = ServeArgs {
        host: IpAddr::from([127, 0, 0, 1]),
        port: 8000,
        config: Config::default(),
    };
    let mut flags = Flags::new(args);
    while let Some(flag) = flags.next() {
        match flag {
            "--host" => serve.host = flags.parsed(flag, "an IP address")?,
            "--port" => serve.port = flags.parsed(flag, "a port number")?,
            "--lambda-endpoint" => serve.config.lambda_endpoint = Some(flags.value(flag)?),
            "--no-in-process" => serve.config.in_process_functions = false,
            "--verify-signatures" => {
                let var = |name: &str, default: &str| {
                    std::env::var(name).unwrap_or_else(|_| default.to_owned())
                };
                serve.config.verify_signatures = Some(LocalCredentials {
                    access_key_id: var("CHIME_LOCAL_ACCESS_KEY_ID", LOCAL_ACCESS_KEY_ID),
                    secret_access_key: var(
                        "CHIME_LOCAL_SECRET_ACCESS_KEY",
                        LOCAL_SECRET_ACCESS_KEY,
                    ),
                });
            }
            "--faults" => {
                let text = flags.value(flag)?;
                let faults: Faults =
                    serde_json::from_str(&text).map_err(|e| format!("--faults: {e}"))?;
                faults.check().map_err(|e| format!("--faults: {e}"))?;
                serve.config.faults = faults;
            }
            "--in-process-callbacks" => {
                serve.config.in_process_callbacks = match flags.value(flag)?.as_str() {
                    "direct" => crate::processors::in_process::CallbackPath::Direct,
                    "http" => crate::processors::in_process::CallbackPath::Http,
                    other => {
                        return Err(format!(
                            "--in-process-callbacks: {other:?} is not direct or http"
                        ));
                    }
                };
            }
            "--async-retry-delays-ms" => {
                let text = flags.value(flag)?;
                serve.config.async_retry_delays = text
                    .split(',')
                    .map(|ms| ms.trim().parse::<u64>().map(std::time::Duration::from_millis))
                    .collect::<Result<_, _>>()
                    .map_err(|_| {
                        format!("--async-retry-delays-ms: {text:?} is not milliseconds separated by commas")
                    })?;
            }
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    Ok(serve)
}

/// `demo [--lambda-endpoint URL] [--port N] [--console]`: in-process on a free port, or through a
/// Lambda endpoint with chime-local on 127.0.0.1:PORT; with `--console`, on port 8000 unless given,
/// and serving on after the conversation, with the console's URL printed.
fn parse_demo(args: &[String]) -> Result<(Config, SocketAddr, bool), String> {
    let mut config = Config::default();
    let mut port = None;
    let mut console = false;
    let mut flags = Flags::new(args);
    while let Some(flag) = flags.next() {
        match flag {
            "--console" => console = true,
            "--lambda-endpoint" => {
                config.lambda_endpoint = Some(flags.value(flag)?);
                config.in_process_functions = false;
            }
            "--port" => port = Some(flags.parsed::<u16>(flag, "a port number")?),
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    let default_port = if config.lambda_endpoint.is_some() || console {
        8000
    } else {
        0
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], port.unwrap_or(default_port)));
    Ok((config, addr, console))
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    let (key, secret) = args.config.client_credentials();
    let region = args.config.region.clone();
    let running = start(args.config, SocketAddr::new(args.host, args.port))
        .await
        .map_err(|e| e.to_string())?;
    let endpoint = &running.endpoint;
    println!("chime-local is serving Chime SDK Messaging and Identity on {endpoint}");
    println!("console: {}", crate::console::url(endpoint));
    println!("# export these to point the AWS SDKs, the AWS CLI and boto3 at it:");
    println!("export AWS_ENDPOINT_URL_CHIME_SDK_MESSAGING={endpoint}");
    println!("export AWS_ENDPOINT_URL_CHIME_SDK_IDENTITY={endpoint}");
    println!("export AWS_ACCESS_KEY_ID={key} AWS_SECRET_ACCESS_KEY={secret} AWS_REGION={region}");
    println!("# Ctrl-C stops it.");
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| format!("cannot wait for Ctrl-C: {e}"))?;
    running.stop().await;
    Ok(())
}

/// Runs the command named by the process arguments.
pub fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("chime-local: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match args.first().map(String::as_str) {
        Some("demo") => parse_demo(&args[1..]).and_then(|(config, addr, console)| {
            if console {
                runtime
                    .block_on(demo_run::run_with_console(config, addr))
                    .map_err(|e| e.to_string())
            } else {
                runtime
                    .block_on(demo_run::run_on(config, addr))
                    .map(|report| print!("{report}"))
                    .map_err(|e| e.to_string())
            }
        }),
        Some("serve") => {
            chime_flow::telemetry::init_from_env();
            parse_serve(&args[1..]).and_then(|a| runtime.block_on(serve(a)))
        }
        Some("seed") => parse_events_args(&args[1..]).and_then(|(endpoint, paths)| {
            runtime
                .block_on(sample_events::seed(&endpoint, &paths))
                .map(|report| println!("{report}"))
        }),
        Some("show") => parse_events_args(&args[1..]).and_then(|(endpoint, paths)| {
            let region = Config::default().region;
            runtime
                .block_on(sample_events::show(&endpoint, &region, &paths))
                .map(|report| println!("{report}"))
        }),
        Some("run-bootstrap") => parse_run_bootstrap(&args[1..]).and_then(|options| {
            runtime
                .block_on(bootstrap_run::run(&options))
                .map(|report| println!("{report}"))
        }),
        Some("operations") => crate::model::Model::load()
            .map(|model| print!("{}", crate::ops::coverage(&model)))
            .map_err(|e| e.to_string()),
        Some("help" | "--help" | "-h") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => Err(format!("expected a command\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chime-local: {e}");
            ExitCode::FAILURE
        }
    }
}
