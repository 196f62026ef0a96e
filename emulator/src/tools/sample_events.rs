//! `chime-local seed` and `chime-local show`: the sample events (`tests/events/*.json`) against a
//! running chime-local. `seed` stages each event (its channel and a PENDING message waiting for the
//! event's CallbackId), so that `cargo lambda invoke FUNCTION --data-file EVENT` runs the real function
//! and its callback lands in chime-local; `show` reads back, through the real SDK, what became of each
//! event's message.

use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

use chime_flow::event::ProcessorEvent;

use super::set_up::Clients;
use crate::tools::demo::{self, Row};

/// An event file and whether it was named explicitly (a directory's unusable events are skipped).
struct EventFile {
    path: PathBuf,
    named: bool,
}

/// The `.json` files named, with directories expanded (sorted, so output is stable).
fn event_files(paths: &[String]) -> Result<Vec<EventFile>, String> {
    if paths.is_empty() {
        return Err("name event files or a directory of them (e.g. tests/events)".into());
    }
    let mut files = Vec::new();
    for path in paths.iter().map(Path::new) {
        if path.is_dir() {
            let entries =
                std::fs::read_dir(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            found.sort();
            files.extend(
                found
                    .into_iter()
                    .map(|path| EventFile { path, named: false }),
            );
        } else {
            files.push(EventFile {
                path: path.to_owned(),
                named: true,
            });
        }
    }
    Ok(files)
}

fn read_event(path: &Path) -> Result<(Value, ProcessorEvent), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let value = chime_flow::event::parse_json(&bytes).map_err(|e| e.to_string())?;
    let event = ProcessorEvent::from_value(&value).map_err(|e| e.to_string())?;
    Ok((value, event))
}

fn label(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// POSTs a JSON body to chime-local's control endpoint; the answer's status and body.
pub async fn post(endpoint: &str, path: &str, body: &Value) -> Result<(u16, Value), String> {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let url = format!("{}{path}", endpoint.trim_end_matches('/'));
    let request = axum::http::Request::post(&url)
        .header("content-type", "application/json")
        .header(crate::server::guard::CONTROL_HEADER, "1")
        .body(Full::new(Bytes::from(body.to_string())))
        .map_err(|e| format!("{url}: {e}"))?;
    let response = tokio::time::timeout(Duration::from_secs(10), client.request(request))
        .await
        .map_err(|_| format!("{url}: no answer within 10 s"))?
        .map_err(|e| {
            format!("cannot reach chime-local at {endpoint} ({e}); is `chime-local serve` running?")
        })?;
    let status = response.status().as_u16();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("{url}: {e}"))?
        .to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Ok((status, body))
}

/// Why an event was not staged: chime-local refused it (this event is wrong), or could not be asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StageError {
    #[error("refused (HTTP {status}): {message}")]
    Refused { status: u16, message: String },
    #[error("{0}")]
    Unreachable(String),
}

impl From<StageError> for String {
    fn from(error: StageError) -> Self {
        error.to_string()
    }
}

/// Stages one processor event in the chime-local at `endpoint`; its answer (ids, what was created).
pub async fn stage(endpoint: &str, event: &Value) -> Result<Value, StageError> {
    let (status, answer) = post(endpoint, "/_chime-local/events", event)
        .await
        .map_err(StageError::Unreachable)?;
    if status == 200 {
        Ok(answer)
    } else {
        let message = answer.get("Message").and_then(Value::as_str).unwrap_or("-");
        Err(StageError::Refused {
            status,
            message: message.to_owned(),
        })
    }
}

/// What became of an event's message, read through the SDK as its sender.
pub async fn read_row(
    chime: &aws_sdk_chimesdkmessaging::Client,
    event: &Value,
    label: &str,
) -> Result<Row, String> {
    let event = ProcessorEvent::from_value(event).map_err(|e| e.to_string())?;
    let message = &event.channel_message;
    let channel = message.channel_arn.as_str();
    let sent = demo::Sent {
        channel,
        channel_name: channel.rsplit('/').next().unwrap_or(channel),
        sender: message.sender_arn().unwrap_or_default(),
        id: &message.message_id,
        sub: message.sub_channel_id.clone(),
        label,
    };
    demo::read_message(chime, sent)
        .await
        .map_err(|e| e.to_string())
}

/// Stages every usable event; returns the report. Fails when a named file cannot be staged
/// (after staging the others); unusable events found in a directory are listed as skipped.
pub async fn seed(endpoint: &str, paths: &[String]) -> Result<String, String> {
    let mut report = Vec::new();
    let mut failed = 0;
    for file in event_files(paths)? {
        let shown = file.path.display();
        let value = match read_event(&file.path) {
            Ok((value, _)) => value,
            Err(e) if !file.named => {
                report.push(format!("skipped {shown}: {e}"));
                continue;
            }
            Err(e) => {
                failed += 1;
                report.push(format!("error   {shown}: {e}"));
                continue;
            }
        };
        match stage(endpoint, &value).await {
            Ok(answer) => {
                let text = |name: &str| answer.get(name).and_then(Value::as_str).unwrap_or("-");
                report.push(format!(
                    "staged  {shown}: message {} PENDING in {}{} for CallbackId {}",
                    text("MessageId"),
                    text("ChannelArn"),
                    answer
                        .get("SubChannelId")
                        .and_then(Value::as_str)
                        .map(|s| format!(" (sub-channel {s})"))
                        .unwrap_or_default(),
                    text("CallbackId"),
                ));
            }
            // Refused by chime-local: this event is wrong; the others are still staged.
            Err(e @ StageError::Refused { .. }) => {
                failed += 1;
                report.push(format!("error   {shown}: {e}"));
            }
            Err(e) => return Err(e.into()),
        }
    }
    let report = report.join("\n");
    if failed > 0 {
        Err(format!("{report}\n{failed} event(s) could not be staged"))
    } else {
        Ok(report)
    }
}

/// What became of each usable event's message, as a table.
pub async fn show(endpoint: &str, region: &str, paths: &[String]) -> Result<String, String> {
    Ok(demo::table(&read_back(endpoint, region, paths).await?))
}

/// What became of each usable event's message, read through the SDK as its sender.
pub async fn read_back(endpoint: &str, region: &str, paths: &[String]) -> Result<Vec<Row>, String> {
    let chime = Clients::connect(endpoint, region, true).await.chime;
    let mut rows: Vec<Row> = Vec::new();
    for file in event_files(paths)? {
        let value = match read_event(&file.path) {
            Ok((value, _)) => value,
            Err(_) if !file.named => continue,
            Err(e) => return Err(format!("{}: {e}", file.path.display())),
        };
        let row = read_row(&chime, &value, &label(&file.path))
            .await
            .map_err(|e| format!("{}: {e}", file.path.display()))?;
        rows.push(row);
    }
    Ok(rows)
}
