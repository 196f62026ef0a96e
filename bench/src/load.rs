//! chime-local end to end: a release `chime-local serve` pinned to core 0 (its in-process pipeline
//! processors run there too) and this load generator pinned to core 1, on loopback. Each message is
//! sent with the real SDK and its status polled until it leaves PENDING (SENT or DENIED); throughput
//! is messages settled per second, latency is send → settled as the client sees it. Bounded in count
//! and in time; the server is stopped however the run ends.

use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_chimesdkidentity as identity;
use aws_sdk_chimesdkmessaging as messaging;
use messaging::types::{
    ChannelMessagePersistenceType, ChannelMessageStatus, ChannelMessageType, ChannelMode,
    FallbackAction, InvocationType, LambdaConfiguration, Processor, ProcessorConfiguration,
};

/// One concurrency level's figures.
#[derive(Debug, Clone)]
pub struct Level {
    pub concurrency: usize,
    pub settled: usize,
    pub seconds: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Level {
    pub fn per_second(&self) -> f64 {
        self.settled as f64 / self.seconds
    }
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn pin_self_to(core: usize) {
    let _ = Command::new("taskset")
        .args([
            "-a",
            "-p",
            "-c",
            &core.to_string(),
            &std::process::id().to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

fn step<T, E: std::fmt::Debug>(what: &str, result: Result<T, E>) -> Result<T, String> {
    result.map_err(|e| format!("{what}: {e:?}"))
}

/// Runs every level against a fresh server; `messages` per level, at most `limit` each.
pub async fn run(
    chime_local: &Path,
    levels: &[usize],
    messages: usize,
    limit: Duration,
) -> Result<Vec<Level>, String> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))?;
    let _server = Server(
        Command::new("taskset")
            .args(["-c", "0"])
            .arg(chime_local)
            .args(["serve", "--port", &port.to_string()])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", chime_local.display()))?,
    );
    pin_self_to(1);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let started = Instant::now();
    while TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_err() {
        if started.elapsed() > Duration::from_secs(10) {
            return Err("chime-local did not listen within 10 s".into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let endpoint = format!("http://{addr}");
    let (chime, ident) = chime_local::demo::clients(&endpoint, "us-east-1").await;
    let (channel, sender) = set_up(&chime, &ident).await?;
    let mut results = Vec::new();
    for &concurrency in levels {
        results.push(level(&chime, &channel, &sender, concurrency, messages, limit).await?);
    }
    Ok(results)
}

async fn set_up(
    chime: &messaging::Client,
    ident: &identity::Client,
) -> Result<(String, String), String> {
    let instance = step(
        "CreateAppInstance",
        ident.create_app_instance().name("load").send().await,
    )?
    .app_instance_arn
    .unwrap_or_default();
    let mut users = Vec::new();
    for id in ["sender", "ops"] {
        let user = step(
            "CreateAppInstanceUser",
            ident
                .create_app_instance_user()
                .app_instance_arn(&instance)
                .app_instance_user_id(id)
                .name(id)
                .send()
                .await,
        )?;
        users.push(user.app_instance_user_arn.unwrap_or_default());
    }
    let lambda = step(
        "LambdaConfiguration",
        LambdaConfiguration::builder()
            .resource_arn("arn:aws:lambda:us-east-1:000000000000:function:flow-pipeline")
            .invocation_type(InvocationType::Async)
            .build(),
    )?;
    let processor = step(
        "Processor",
        Processor::builder()
            .name("pipeline")
            .execution_order(1)
            .fallback_action(FallbackAction::Abort)
            .configuration(ProcessorConfiguration::builder().lambda(lambda).build())
            .build(),
    )?;
    let flow = step(
        "CreateChannelFlow",
        chime
            .create_channel_flow()
            .app_instance_arn(&instance)
            .name("pipeline")
            .processors(processor)
            .send()
            .await,
    )?
    .channel_flow_arn
    .unwrap_or_default();
    let channel = step(
        "CreateChannel",
        chime
            .create_channel()
            .app_instance_arn(&instance)
            .name("load")
            .mode(ChannelMode::Restricted)
            .chime_bearer(&users[1])
            .member_arns(&users[0])
            .send()
            .await,
    )?
    .channel_arn
    .unwrap_or_default();
    step(
        "AssociateChannelFlow",
        chime
            .associate_channel_flow()
            .channel_arn(&channel)
            .channel_flow_arn(&flow)
            .chime_bearer(&users[1])
            .send()
            .await,
    )?;
    Ok((channel, users[0].clone()))
}

async fn level(
    chime: &messaging::Client,
    channel: &str,
    sender: &str,
    concurrency: usize,
    messages: usize,
    limit: Duration,
) -> Result<Level, String> {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (chime, channel, sender, next) = (
            chime.clone(),
            channel.to_owned(),
            sender.to_owned(),
            Arc::clone(&next),
        );
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= messages || started.elapsed() > limit {
                    return Ok::<_, String>(latencies);
                }
                // One message in ten is denied by moderation, the rest pass through redaction
                // and enrichment.
                let text = if n % 10 == 9 {
                    format!("message {n}: this build is shit")
                } else {
                    format!(
                        "message {n}: {}",
                        chime_flow::bench_input::chat_text(90, 'x')
                    )
                };
                let sent_at = Instant::now();
                let sent = step(
                    "SendChannelMessage",
                    chime
                        .send_channel_message()
                        .channel_arn(&channel)
                        .chime_bearer(&sender)
                        .content(text)
                        .r#type(ChannelMessageType::Standard)
                        .persistence(ChannelMessagePersistenceType::Persistent)
                        .send()
                        .await,
                )?;
                let id = sent.message_id().unwrap_or_default().to_owned();
                loop {
                    let status = step(
                        "GetChannelMessageStatus",
                        chime
                            .get_channel_message_status()
                            .channel_arn(&channel)
                            .message_id(&id)
                            .chime_bearer(&sender)
                            .send()
                            .await,
                    )?;
                    let value = status.status().and_then(|s| s.value()).cloned();
                    if value != Some(ChannelMessageStatus::Pending) {
                        break;
                    }
                    if sent_at.elapsed() > Duration::from_secs(10) {
                        return Err(format!("message {id} still PENDING after 10 s"));
                    }
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                latencies.push(sent_at.elapsed());
            }
        }));
    }
    let mut latencies = Vec::new();
    for worker in workers {
        let done = worker
            .await
            .map_err(|e| format!("a load worker failed: {e}"))??;
        latencies.extend(done);
    }
    let seconds = started.elapsed().as_secs_f64();
    latencies.sort();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q).ceil() as usize).saturating_sub(1))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    Ok(Level {
        concurrency,
        settled: latencies.len(),
        seconds,
        p50_ms: at(0.50),
        p99_ms: at(0.99),
        max_ms: at(1.0),
    })
}
