//! Members per second through the worker path against a quota, as a fraction of the quota's
//! ceiling: chime-local (in this process, on 127.0.0.1) limits BatchCreateChannelMembership to
//! `--tps` calls a second (a token bucket holding one second's worth), the bulk request is split
//! into batches of 100 on a memory queue and `--workers` membership workers drain it.
//!
//! ```sh
//! cargo run -q -p chime-admin --example onboarding_throughput -- --tps 20 --members 40000 --workers 8
//! ```
//!
//! The ceiling is what the quota admits in the time taken: `tps × 100 × seconds`, plus the bucket's
//! first second. Target: ≥ 90% of it.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chime_admin::Clients;
use chime_admin::api::{AdminApi, AdminConfig};
use chime_admin::onboarding::{MemoryQueue, Queue, drain, split};
use chime_local::emulator::faults::{FaultRule, Faults};
use chime_local::testing;

fn arg(name: &str, default: usize) -> Result<usize, String> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == name) {
        None => Ok(default),
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .filter(|v| *v > 0)
            .ok_or_else(|| format!("{name} needs a positive whole number")),
    }
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let tps = arg("--tps", 20)?;
    let members = arg("--members", 40_000)?;
    let workers = arg("--workers", 8)?;
    let running = chime_local::start(chime_local::Config::default(), ([127, 0, 0, 1], 0).into())
        .await
        .map_err(|e| e.to_string())?;
    // The workers pace themselves on throttling; the SDK's own retries would wait on top.
    let local = testing::Clients::connect(&running.endpoint, "us-east-1", false).await;
    let clients = Clients::new(&local.sdk);
    let set_up = local.set_up();
    let instance = set_up
        .app_instance("onboarding")
        .await
        .map_err(|e| e.to_string())?;
    let service_user = set_up
        .admin(&instance, "service")
        .await
        .map_err(|e| e.to_string())?;
    chime_local::tools::sample_events::post(
        &running.endpoint,
        "/_chime-local/seed-users",
        &serde_json::json!({"AppInstanceArn": instance, "Prefix": "m", "Count": members}),
    )
    .await?;
    let channel = set_up
        .channel(
            &instance,
            &testing::ChannelSpec::elastic("everyone", &service_user, &[], (1000, 1000, 1)),
        )
        .await
        .map_err(|e| e.to_string())?;
    running.emulator.set_faults(Faults(BTreeMap::from([(
        "BatchCreateChannelMembership".to_owned(),
        FaultRule {
            rate_limit_tps: tps as f64,
            ..FaultRule::default()
        },
    )])))?;
    let model = chime_api::Model::load().map_err(|e| e.to_string())?;
    let config = AdminConfig::allowing_all(&service_user, &model);
    let api = AdminApi::new(model, clients, config);
    let arns: Vec<String> = (0..members)
        .map(|n| format!("{instance}/user/m{n}"))
        .collect();
    let queue = MemoryQueue::default();
    queue
        .enqueue(split(&channel, &arns, None, None), Duration::ZERO)
        .await
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let done = drain(&api, &queue, workers, Duration::from_secs(900))
        .await
        .map_err(|e| e.to_string())?;
    let seconds = started.elapsed().as_secs_f64();
    running.stop().await;
    let rate = done.added as f64 / seconds;
    let ceiling = (tps * 100) as f64 * (seconds + 1.0) / seconds;
    println!(
        "{} members in {seconds:.1} s with {workers} workers at a quota of {tps} calls/s: {rate:.0} members/s, \
         {:.1}% of the quota's ceiling ({ceiling:.0}/s incl. the first second's burst); {} calls, {} re-queued, {} dead-lettered",
        done.added,
        100.0 * rate / ceiling,
        done.calls,
        done.requeued,
        done.dead
    );
    Ok(())
}
