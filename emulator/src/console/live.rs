//! The console's live feed: server-sent events (`text/event-stream`) of the messages that changed.
//! Changes are coalesced: after the first change the stream waits [`COALESCE`] and sends every
//! message changed since, once, as one `changes` event — so a channel under thousands of messages a
//! second costs the page a few events a second. A reader with more to catch up on than
//! [`MAX_PER_EVENT`] (or past what the journal keeps) gets `resync` and reads its page afresh.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::json;

use super::views;
use crate::emulator::Emulator;
use crate::state::journey::Since;

/// How long changes gather before they are sent.
pub const COALESCE: Duration = Duration::from_millis(200);
/// The most message summaries one event carries.
pub const MAX_PER_EVENT: usize = 1_000;
/// A comment line this often keeps proxies and the browser from closing a quiet stream.
const KEEPALIVE: Duration = Duration::from_secs(15);

/// Where a reader is: the last change it has, and (optionally) the one channel it watches.
/// The most live readers (console tabs) at once; another is answered 429 until one closes.
pub const MAX_LIVE_READERS: usize = 32;

/// A live reader's place, given back when its stream ends.
struct Slot(Arc<std::sync::atomic::AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

struct Reader {
    _slot: Slot,
    emulator: Arc<Emulator>,
    seq: u64,
    channel: Option<String>,
    latest: tokio::sync::watch::Receiver<u64>,
    stopping: tokio::sync::watch::Receiver<bool>,
    started: bool,
}

/// `GET /_chime-local/console/api/events[?channel=ARN]`: the stream, from now on.
pub fn events(
    readers: &Arc<std::sync::atomic::AtomicUsize>,
    emulator: &Arc<Emulator>,
    channel: Option<String>,
) -> Response {
    let readers = Arc::clone(readers);
    if readers.fetch_add(1, std::sync::atomic::Ordering::SeqCst) >= MAX_LIVE_READERS {
        readers.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        return (
            StatusCode::TOO_MANY_REQUESTS,
            format!("chime-local serves at most {MAX_LIVE_READERS} live readers at once"),
        )
            .into_response();
    }
    let journal = &emulator.store.journal;
    let latest = journal.watch();
    let seq = *latest.borrow();
    let reader = Reader {
        _slot: Slot(readers),
        seq,
        emulator: Arc::clone(emulator),
        channel,
        latest,
        stopping: emulator.stopping(),
        started: false,
    };
    let stream = futures_util::stream::unfold(reader, |mut reader| async move {
        let frame = reader.next_frame().await?;
        Some((Ok::<Bytes, std::convert::Infallible>(frame), reader))
    });
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

impl Reader {
    /// The next frame to send; `None` ends the stream (chime-local is stopping).
    async fn next_frame(&mut self) -> Option<Bytes> {
        if !self.started {
            self.started = true;
            return Some(event("hello", &json!({"Seq": self.seq})));
        }
        loop {
            if *self.stopping.borrow() {
                return None;
            }
            tokio::select! {
                changed = self.latest.changed() => {
                    if changed.is_err() {
                        return None;
                    }
                }
                _ = self.stopping.changed() => return None,
                _ = tokio::time::sleep(KEEPALIVE) => return Some(Bytes::from_static(b": keepalive\n\n")),
            }
            tokio::time::sleep(COALESCE).await;
            if let Some(frame) = self.gathered() {
                return Some(frame);
            }
        }
    }

    /// The changes since the last frame, for this reader's channel: a `changes` event, a `resync`,
    /// or nothing when none of them is this reader's.
    fn gathered(&mut self) -> Option<Bytes> {
        let journal = &self.emulator.store.journal;
        let changes = match journal.since(self.seq, usize::MAX) {
            Since::FellBehind { seq } => {
                self.seq = seq;
                return Some(event("resync", &json!({"Seq": seq})));
            }
            Since::Changes(changes) => changes,
        };
        self.seq = changes.last()?.seq;
        let mine: Vec<_> = changes
            .into_iter()
            .filter(|c| {
                self.channel
                    .as_deref()
                    .is_none_or(|arn| *c.channel_arn == *arn)
            })
            .map(|c| (c.channel_arn, c.message_id))
            .collect();
        if mine.is_empty() {
            return None;
        }
        if mine.len() > MAX_PER_EVENT {
            return Some(event(
                "resync",
                &json!({"Seq": self.seq, "Changed": mine.len()}),
            ));
        }
        let summaries = views::changed(&self.emulator.store, &mine);
        Some(event(
            "changes",
            &json!({"Seq": self.seq, "Messages": summaries}),
        ))
    }
}

/// One server-sent event: its name and a JSON line of data.
fn event(name: &str, data: &serde_json::Value) -> Bytes {
    Bytes::from(format!("event: {name}\ndata: {data}\n\n"))
}
