//! chime-local end to end, measured from outside: a release `chime-local serve` pinned to core 0
//! (its in-process pipeline processors run there too) and this load generator pinned to core 1, on
//! loopback. Each message is sent with the real SDK and is settled when the sender's messaging
//! WebSocket session says so (`CREATE_CHANNEL_MESSAGE` once the flow passed it,
//! `DENIED_CREATE_CHANNEL_MESSAGE` once it denied it) — what a chat client waits for; throughput is
//! messages settled per second, latency is send → settled. A second scenario sends into a channel
//! seeded with a long history and compares with an empty one in the same run. Bounded in count and
//! in time; the server is stopped however the run ends.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::sync::oneshot;

use aws_sdk_chimesdkmessaging as messaging;
use chime_local::testing::{ChannelSpec, Clients, SetUpError, lambda_arn, processor};
use messaging::types::{ChannelMessagePersistenceType, ChannelMessageType, FallbackAction};

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

/// Sends into an empty channel and into one holding `history` messages, in the same run.
#[derive(Debug, Clone)]
pub struct History {
    pub history: usize,
    pub seed_seconds: f64,
    pub empty: Level,
    pub full: Level,
}

/// Everything the load step measured.
#[derive(Debug, Clone)]
pub struct Load {
    pub levels: Vec<Level>,
    pub history: History,
}

/// How much load to make.
#[derive(Debug, Clone)]
pub struct Plan {
    pub levels: Vec<usize>,
    pub messages: usize,
    pub history: usize,
    pub history_concurrency: usize,
    pub limit: Duration,
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

/// Runs every level, then the history comparison, against one fresh server.
pub async fn run(chime_local: &Path, plan: &Plan) -> Result<Load, String> {
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
    let clients = Clients::connect(&endpoint, "us-east-1", true).await;
    let chime = clients.chime.clone();
    let world = set_up(&clients).await.map_err(|e| e.to_string())?;
    let settled = Settlements::connect(&addr.to_string(), &world.sender).await?;
    let mut levels = Vec::new();
    for &concurrency in &plan.levels {
        let sends = Sends {
            chime: &chime,
            channel: &world.flow_channel,
            sender: &world.sender,
            settled: Some(&settled),
        };
        levels.push(sends.level(concurrency, plan.messages, plan.limit).await?);
    }
    let history = history(&chime, &endpoint, &world, plan).await?;
    Ok(Load { levels, history })
}

/// The channels and users a run sends with.
struct World {
    sender: String,
    flow_channel: String,
    empty_channel: String,
    history_channel: String,
}

/// SendChannelMessage round trips into an empty channel, then into one seeded with `plan.history`
/// messages: the cost of a send must not grow with the history.
async fn history(
    chime: &messaging::Client,
    endpoint: &str,
    world: &World,
    plan: &Plan,
) -> Result<History, String> {
    let seeded_at = Instant::now();
    seed(
        endpoint,
        &world.history_channel,
        &world.sender,
        plan.history,
    )
    .await?;
    let seed_seconds = seeded_at.elapsed().as_secs_f64();
    let measure = async |channel: &str| {
        let sends = Sends {
            chime,
            channel,
            sender: &world.sender,
            settled: None,
        };
        sends
            .level(plan.history_concurrency, plan.messages, plan.limit)
            .await
    };
    let empty = measure(&world.empty_channel).await?;
    let full = measure(&world.history_channel).await?;
    Ok(History {
        history: plan.history,
        seed_seconds,
        empty,
        full,
    })
}

/// `POST /_chime-local/seed-messages`, in batches of a million.
async fn seed(endpoint: &str, channel: &str, sender: &str, count: usize) -> Result<(), String> {
    let mut left = count;
    while left > 0 {
        let batch = left.min(1_000_000);
        let body = serde_json::json!({"ChannelArn": channel, "SenderArn": sender, "Count": batch});
        let (status, answer) =
            chime_local::tools::sample_events::post(endpoint, "/_chime-local/seed-messages", &body)
                .await?;
        if status != 200
            || answer.get("Seeded").and_then(serde_json::Value::as_u64) != Some(batch as u64)
        {
            return Err(format!("seeding answered HTTP {status}: {answer}"));
        }
        left -= batch;
    }
    Ok(())
}

/// The sender's messaging session: when each message settled, by MessageId. An event can arrive
/// before SendChannelMessage's answer does (the flow is that fast), so early ones are kept.
struct Settlements {
    state: Arc<Mutex<Waiting>>,
    _reader: Reader,
}

#[derive(Default)]
struct Waiting {
    waiters: HashMap<String, oneshot::Sender<Instant>>,
    early: HashMap<String, Instant>,
}

/// Aborts the reading task when dropped.
struct Reader(tokio::task::JoinHandle<()>);

impl Drop for Reader {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Settlements {
    async fn connect(host: &str, user: &str) -> Result<Self, String> {
        let url = chime_local::server::websocket::presigned_connect_url(
            host,
            user,
            "load",
            (
                chime_local::config::LOCAL_ACCESS_KEY_ID,
                chime_local::config::LOCAL_SECRET_ACCESS_KEY,
            ),
            "us-east-1",
            "",
        )?;
        let (mut socket, _) = tokio_tungstenite::connect_async(url)
            .await
            .map_err(|e| format!("the messaging session: {e}"))?;
        let state = Arc::new(Mutex::new(Waiting::default()));
        let shared = Arc::clone(&state);
        let reader = tokio::spawn(async move {
            while let Some(Ok(frame)) = socket.next().await {
                let at = Instant::now();
                let Ok(text) = frame.to_text() else { continue };
                let Some(id) = settled_message(text) else {
                    continue;
                };
                let mut waiting = shared.lock().unwrap_or_else(|e| e.into_inner());
                match waiting.waiters.remove(&id) {
                    Some(waiter) => {
                        let _ = waiter.send(at);
                    }
                    None => {
                        waiting.early.insert(id, at);
                    }
                }
            }
        });
        Ok(Self {
            state,
            _reader: Reader(reader),
        })
    }

    /// When message `id` settled (bounded: 10 s).
    async fn wait(&self, id: &str) -> Result<Instant, String> {
        let receiver = {
            let mut waiting = self.state.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(at) = waiting.early.remove(id) {
                return Ok(at);
            }
            let (sender, receiver) = oneshot::channel();
            waiting.waiters.insert(id.to_owned(), sender);
            receiver
        };
        match tokio::time::timeout(Duration::from_secs(10), receiver).await {
            Ok(Ok(at)) => Ok(at),
            _ => Err(format!("message {id} did not settle within 10 s")),
        }
    }
}

/// The MessageId of a frame that settles a message for its sender.
fn settled_message(text: &str) -> Option<String> {
    let event: serde_json::Value = serde_json::from_str(text).ok()?;
    let kind = event["Headers"]["x-amz-chime-event-type"].as_str()?;
    if kind != "CREATE_CHANNEL_MESSAGE" && kind != "DENIED_CREATE_CHANNEL_MESSAGE" {
        return None;
    }
    let payload: serde_json::Value = serde_json::from_str(event["Payload"].as_str()?).ok()?;
    payload["MessageId"].as_str().map(str::to_owned)
}

/// An app instance with a sender and an admin (`ops`), a flow running `flow-pipeline`, the channel
/// the flow is associated with, and two plain channels.
async fn set_up(clients: &Clients) -> Result<World, SetUpError> {
    let set_up = clients.set_up();
    let instance = set_up.app_instance("load").await?;
    let sender = set_up.user(&instance, "sender").await?;
    let ops = set_up.user(&instance, "ops").await?;
    let pipeline = processor(
        "pipeline",
        &lambda_arn("us-east-1", "000000000000", "flow-pipeline"),
        1,
        FallbackAction::Abort,
    )?;
    let flow = set_up.flow(&instance, "pipeline", vec![pipeline]).await?;
    let members = [sender.clone()];
    let channel = |name| ChannelSpec {
        privacy: None,
        ..ChannelSpec::restricted(name, &ops, &members)
    };
    let flow_channel = set_up.channel(&instance, &channel("load")).await?;
    set_up.associate(&flow_channel, &flow, &ops).await?;
    Ok(World {
        empty_channel: set_up.channel(&instance, &channel("empty")).await?,
        history_channel: set_up.channel(&instance, &channel("history")).await?,
        sender,
        flow_channel,
    })
}

/// Sends into one channel: settled through the flow (with a session), or just answered (without).
struct Sends<'a> {
    chime: &'a messaging::Client,
    channel: &'a str,
    sender: &'a str,
    settled: Option<&'a Settlements>,
}

impl Sends<'_> {
    /// `messages` sends (at most `limit`) by `concurrency` workers: latency is send → settled with
    /// a session, send → answered without.
    async fn level(
        &self,
        concurrency: usize,
        messages: usize,
        limit: Duration,
    ) -> Result<Level, String> {
        let next = AtomicUsize::new(0);
        let started = Instant::now();
        let worker = async || {
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
                    self.chime
                        .send_channel_message()
                        .channel_arn(self.channel)
                        .chime_bearer(self.sender)
                        .content(text)
                        .r#type(ChannelMessageType::Standard)
                        .persistence(ChannelMessagePersistenceType::Persistent)
                        .send()
                        .await,
                )?;
                let done_at = match self.settled {
                    Some(settled) => settled.wait(sent.message_id().unwrap_or_default()).await?,
                    None => Instant::now(),
                };
                latencies.push(done_at.saturating_duration_since(sent_at));
            }
        };
        let all = futures_util::future::join_all((0..concurrency).map(|_| worker())).await;
        let mut latencies = Vec::new();
        for done in all {
            latencies.extend(done?);
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
}
