//! The webhook stage against a loopback moderation service that answers, is slow, fails, answers
//! garbage, closes the connection early or is not there — each event through the runtime, which
//! makes exactly one callback and lets the failure policy decide whenever the service did not.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chime_flow::callback::RecordingSender;
use chime_flow::runtime::{Fallback, Processor};
use chime_flow::stage::Awaits;
use chime_flow::{Env, FailurePolicy, ProcessorConfig};
use chime_flow_examples::webhook::Webhook;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How the service behaves.
#[derive(Clone, Copy, Debug)]
enum Service {
    /// Denies messages that mention "casino", passes the rest.
    Answers,
    /// Answers after three seconds.
    Slow,
    /// HTTP 500.
    Fails,
    /// HTTP 200 with an HTML page.
    Garbage,
    /// Promises 200 bytes of answer, sends 10, closes.
    ClosesEarly,
}

/// A running loopback service: what it was asked, and its address. Stopped when dropped.
struct Running {
    url: String,
    asked: Arc<Mutex<Vec<Value>>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn start(service: Service) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/moderate", listener.local_addr().expect("addr"));
    let asked = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&asked);
    let server = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let record = Arc::clone(&record);
            tokio::spawn(serve(stream, service, record));
        }
    });
    Running { url, asked, server }
}

async fn serve(mut stream: TcpStream, service: Service, asked: Arc<Mutex<Vec<Value>>>) {
    let Some(body) = read_request(&mut stream).await else {
        return;
    };
    let question: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let content = question["Content"].as_str().unwrap_or_default().to_owned();
    asked.lock().expect("asked").push(question);
    let answer = |status: &str, body: &str| {
        format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    let response = match service {
        Service::Answers if content.contains("casino") => {
            answer("200 OK", r#"{"Verdict": "deny", "Rule": "spam:casino"}"#)
        }
        Service::Answers => answer("200 OK", r#"{"Verdict": "pass"}"#),
        Service::Slow => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            answer("200 OK", r#"{"Verdict": "pass"}"#)
        }
        Service::Fails => answer("500 Internal Server Error", r#"{"message": "down"}"#),
        Service::Garbage => answer("200 OK", "<html>maintenance</html>"),
        Service::ClosesEarly => {
            "HTTP/1.1 200 OK\r\ncontent-length: 200\r\n\r\n{\"Verdict\"".to_owned()
        }
    };
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// The request's body (by its content-length), or `None` if the client went away.
async fn read_request(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let read = stream.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
        buffer.extend_from_slice(&chunk[..read]);
        let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        while buffer.len() < end + 4 + length {
            let read = stream.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
            buffer.extend_from_slice(&chunk[..read]);
        }
        return Some(buffer[end + 4..end + 4 + length].to_vec());
    }
}

fn event(message_id: &str, content: &str) -> Value {
    let callback_id = format!("{:0>32}", message_id.len() * 7 + content.len());
    json!({"EventType": "CHANNEL_MESSAGE_EVENT", "CallbackId": callback_id,
        "ChannelMessage": {"MessageId": message_id,
            "ChannelArn": "arn:aws:chime:us-east-1:123456789012:app-instance/app/channel/chan",
            "Sender": {"Arn": "arn:aws:chime:us-east-1:123456789012:app-instance/app/user/alice"},
            "Content": content}})
}

fn processor(
    url: &str,
    policy: FailurePolicy,
    reserve_ms: &str,
) -> Processor<Awaits<Webhook>, RecordingSender> {
    let env = Env::from_pairs([("CALLBACK_RESERVE_MS", reserve_ms)]);
    let config = ProcessorConfig::from_env(&env, policy).expect("config");
    Processor::new(
        Awaits(Webhook::new(url).expect("url")),
        RecordingSender::default(),
        config,
    )
}

/// Lambda's deadline `ms` away.
fn deadline(ms: u64) -> Option<Instant> {
    Some(Instant::now() + Duration::from_millis(ms))
}

#[tokio::test]
async fn the_service_decides_and_is_asked_in_its_json() {
    let running = start(Service::Answers).await;
    let processor = processor(&running.url, FailurePolicy::Deny, "1000");
    let denied = processor
        .handle_until(
            &event("m-1", "win big at the casino tonight"),
            deadline(5_000),
        )
        .await
        .expect("handled");
    assert_eq!(denied.rule_id.as_deref(), Some("spam:casino"));
    let passed = processor
        .handle_until(&event("m-2", "lunch at noon?"), deadline(5_000))
        .await
        .expect("handled");
    assert_eq!(passed.decision, Some("pass"));
    assert_eq!(passed.fallback, None);
    let requests = processor.sender().requests();
    assert_eq!(requests.len(), 2);
    assert!(requests[0].delete_resource && !requests[1].delete_resource);
    let asked = running.asked.lock().expect("asked").clone();
    assert_eq!(asked[1]["MessageId"], "m-2");
    assert_eq!(asked[1]["Content"], "lunch at noon?");
    assert_eq!(
        asked[1]["SenderArn"],
        "arn:aws:chime:us-east-1:123456789012:app-instance/app/user/alice"
    );
}

/// Slow, failing, garbage and cut-off answers, and no service at all: the policy decides, once.
#[tokio::test]
async fn whatever_the_service_does_wrong_the_policy_decides_once() {
    let refused = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}/moderate", listener.local_addr().expect("addr"))
    };
    for service in [
        Some(Service::Slow),
        Some(Service::Fails),
        Some(Service::Garbage),
        Some(Service::ClosesEarly),
        None,
    ] {
        let running = match service {
            Some(service) => Some(start(service).await),
            None => None,
        };
        let url = running
            .as_ref()
            .map_or(refused.as_str(), |r| r.url.as_str());
        for (policy, delete) in [(FailurePolicy::Deny, true), (FailurePolicy::Pass, false)] {
            let processor = processor(url, policy, "1000");
            let started = Instant::now();
            // Lambda's deadline 1.5 s away, 1 s kept for the callback: the service gets 0.5 s.
            let handled = processor
                .handle_until(&event("m-3", "hello there"), deadline(1_500))
                .await
                .expect("handled");
            let requests = processor.sender().requests();
            assert_eq!(requests.len(), 1, "{service:?} {policy:?}");
            assert_eq!(
                requests[0].delete_resource, delete,
                "{service:?} {policy:?}"
            );
            let expected = match service {
                Some(Service::Slow) => Fallback::StageTimeout,
                _ => Fallback::StageError,
            };
            assert_eq!(handled.fallback, Some(expected), "{service:?}");
            assert!(
                started.elapsed() < Duration::from_millis(1_400),
                "{service:?}: decided within the budget ({:?})",
                started.elapsed()
            );
        }
    }
}
