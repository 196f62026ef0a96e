//! Support for the end-to-end tests: the sample events, and chime-local's loopback stub as the
//! callback endpoint, recording what the real SDK puts on the wire and answering from a script.
//! The suites themselves are in `tests/` (see `tests/README.md`).

use std::path::PathBuf;

/// `tests/events/`.
pub fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("events")
}

/// The raw bytes of one sample event.
pub fn event_bytes(name: &str) -> Vec<u8> {
    let path = events_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// One sample event as JSON.
pub fn event_json(name: &str) -> serde_json::Value {
    serde_json::from_slice(&event_bytes(name)).unwrap_or_else(|e| panic!("{name} is not JSON: {e}"))
}

pub use chime_local::testing::{Answer, StubServer};

/// The loopback stub as ChannelFlowCallback's endpoint: `script` answers the first requests, then
/// every request gets the 200 a callback gets (`{"ChannelArn", "CallbackId"}` echoed).
pub async fn callback_stub(script: Vec<Answer>) -> StubServer {
    StubServer::start(script, |request| {
        let callback_id = request.json()["CallbackId"].clone();
        Answer::json(
            200,
            &serde_json::json!({"ChannelArn": "echo", "CallbackId": callback_id}),
        )
    })
    .await
    .expect("the stub listens")
}

/// An SDK config that reaches `endpoint` with fixed test credentials (signed as usual, never sent beyond
/// loopback).
pub async fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    chime_local::config::sdk_loader(endpoint, "us-east-1", "AKIDTEST", "secret")
        .load()
        .await
}
