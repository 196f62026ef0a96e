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
use chime_admin::api::{AdminApi, AdminConfig, Allowed};
use chime_admin::onboarding::{MemoryQueue, Queue, drain, split};
use chime_local::control::faults::{FaultRule, Faults};

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
    let sdk = chime_local::tools::demo::local_config(&running.endpoint, "us-east-1")
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await;
    let clients = Clients::new(&sdk);
    let step = |what: &'static str| move |e: String| format!("{what}: {e}");
    let instance = clients
        .identity
        .create_app_instance()
        .name("onboarding")
        .send()
        .await
        .map_err(|e| e.to_string())
        .map_err(step("CreateAppInstance"))?
        .app_instance_arn
        .unwrap_or_default();
    let service_user = clients
        .identity
        .create_app_instance_user()
        .app_instance_arn(&instance)
        .app_instance_user_id("service")
        .name("service")
        .send()
        .await
        .map_err(|e| e.to_string())
        .map_err(step("CreateAppInstanceUser"))?
        .app_instance_user_arn
        .unwrap_or_default();
    clients
        .identity
        .create_app_instance_admin()
        .app_instance_arn(&instance)
        .app_instance_admin_arn(&service_user)
        .send()
        .await
        .map_err(|e| e.to_string())
        .map_err(step("CreateAppInstanceAdmin"))?;
    chime_local::tools::sample_events::post(
        &running.endpoint,
        "/_chime-local/seed-users",
        &serde_json::json!({"AppInstanceArn": instance, "Prefix": "m", "Count": members}),
    )
    .await?;
    let elastic = aws_sdk_chimesdkmessaging::types::ElasticChannelConfiguration::builder()
        .maximum_sub_channels(1000)
        .target_memberships_per_sub_channel(1000)
        .minimum_membership_percentage(1)
        .build()
        .map_err(|e| e.to_string())?;
    let channel = clients
        .messaging
        .create_channel()
        .app_instance_arn(&instance)
        .name("everyone")
        .chime_bearer(&service_user)
        .mode(aws_sdk_chimesdkmessaging::types::ChannelMode::Restricted)
        .elastic_channel_configuration(elastic)
        .send()
        .await
        .map_err(|e| e.to_string())
        .map_err(step("CreateChannel"))?
        .channel_arn
        .unwrap_or_default();
    running.emulator.set_faults(Faults(BTreeMap::from([(
        "BatchCreateChannelMembership".to_owned(),
        FaultRule {
            rate_limit_tps: tps as f64,
            ..FaultRule::default()
        },
    )])))?;
    let api = AdminApi {
        model: chime_api::Model::load().map_err(|e| e.to_string())?,
        clients,
        config: AdminConfig {
            service_user,
            allowed: Allowed::All,
            caller_bearer: false,
            batch_concurrency: 4,
        },
        queue: None,
        failed_events: None,
    };
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
