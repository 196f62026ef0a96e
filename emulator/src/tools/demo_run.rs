//! The demo as a command: a chime-local started for it, the scripted conversation (`demo`) against
//! it, and the printed report.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::demo::{DemoError, Step, conversation, printed};
use super::launch::start;
use crate::config::Config;

/// Runs the whole demo on a fresh in-process chime-local and returns the printed report.
pub async fn run() -> Result<String, DemoError> {
    run_on(Config::default(), ([127, 0, 0, 1], 0).into()).await
}

/// Runs the demo on a chime-local started with `config` on `addr`: with a Lambda endpoint and no
/// in-process functions, every message goes through the real function binary (`cargo lambda watch`).
pub async fn run_on(config: Config, addr: SocketAddr) -> Result<String, DemoError> {
    let started = Instant::now();
    let region = config.region.clone();
    let account = config.account.clone();
    // A function run by `cargo lambda watch` may be compiled on its first invocation.
    let patience = if config.in_process_functions {
        Duration::from_secs(5)
    } else {
        Duration::from_secs(300)
    };
    let running = start(config, addr).await.step("start chime-local")?;
    let result = conversation(&running.endpoint, &region, &account, patience).await;
    running.stop().await;
    Ok(printed(&result?, started))
}

/// `demo --console`: chime-local on `addr` with the console's URL printed first (open it to watch
/// the rows arrive), the conversation, its report, then chime-local keeps serving until Ctrl-C.
pub async fn run_with_console(config: Config, addr: SocketAddr) -> Result<(), DemoError> {
    let started = Instant::now();
    let (region, account) = (config.region.clone(), config.account.clone());
    let running = start(config, addr).await.step("start chime-local")?;
    let url = crate::console::url(&running.endpoint);
    println!("chime-local console: {url}");
    let result = conversation(&running.endpoint, &region, &account, Duration::from_secs(5)).await;
    match result {
        Ok(report) => print!("{}", printed(&report, started)),
        Err(error) => {
            running.stop().await;
            return Err(error);
        }
    }
    println!(
        "chime-local keeps serving on {} — open {url}; Ctrl-C stops it.",
        running.endpoint
    );
    let interrupted = tokio::signal::ctrl_c().await;
    running.stop().await;
    interrupted.step("wait for Ctrl-C")
}
