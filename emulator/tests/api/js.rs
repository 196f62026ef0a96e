//! amazon-chime-sdk-js's messaging session (npm, `emulator/tests/js/`) against chime-local with
//! signature verification on: the real front-end client resolves the endpoint, presigns with its own
//! SigV4, waits for SESSION_ESTABLISHED, prefetches and receives a message sent through the JS SDK;
//! then starts a session with each `PrefetchSortBy` value the SDK offers.
//! CI runs `npm ci` there and sets CHIME_LOCAL_REQUIRE_JS=1 so this never goes unrun; elsewhere,
//! without node or the packages, it says so and passes.

use std::path::Path;
use std::process::Command;

use chime_local::config::{LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY};

use crate::common::World;

const JS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/js");

fn js_available() -> bool {
    let installed = Path::new(JS_DIR)
        .join("node_modules/amazon-chime-sdk-js")
        .is_dir();
    installed
        && Command::new("node")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
}

#[tokio::test]
async fn amazon_chime_sdk_js_receives_messages_over_the_websocket() {
    if !js_available() {
        assert!(
            std::env::var_os("CHIME_LOCAL_REQUIRE_JS").is_none(),
            "CHIME_LOCAL_REQUIRE_JS is set but node or {JS_DIR}/node_modules is missing: npm ci there"
        );
        eprintln!("node or amazon-chime-sdk-js is missing: `npm ci` in {JS_DIR} to run this test");
        return;
    }
    let config = crate::common::verifying();
    let world = World::with_config(config, 2).await;
    let (listener, sender) = (world.users[0].clone(), world.users[1].clone());
    let channel = world
        .private_channel("js", &[listener.clone(), sender.clone()])
        .await;
    let endpoint = world.running.endpoint.clone();
    let args = [
        format!("{JS_DIR}/messaging_session.cjs"),
        endpoint,
        LOCAL_ACCESS_KEY_ID.to_owned(),
        LOCAL_SECRET_ACCESS_KEY.to_owned(),
        listener,
        sender.clone(),
        channel.clone(),
    ];
    let output = tokio::task::spawn_blocking(move || Command::new("node").args(args).output())
        .await
        .expect("the node task")
        .expect("node runs");
    world.stop().await;
    assert!(
        output.status.success(),
        "the JS client failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON line");
    assert_eq!(report["prefetchedChannel"], channel.as_str());
    assert_eq!(
        report["types"],
        serde_json::json!([
            "SESSION_ESTABLISHED",
            "CHANNEL_DETAILS",
            "CREATE_CHANNEL_MESSAGE"
        ]),
        "{report}"
    );
    assert_eq!(
        report["message"]["Content"],
        "hello from amazon-chime-sdk-js"
    );
    assert_eq!(report["message"]["MessageId"], report["sentMessageId"]);
    assert_eq!(report["message"]["Sender"]["Arn"], sender.as_str());
    assert_eq!(report["message"]["ChannelArn"], channel.as_str());
    // A session started with each PrefetchSortBy value the SDK offers is established and prefetches.
    for sort_by in ["unread", "last-message-timestamp"] {
        assert_eq!(
            report["sorted"][sort_by],
            serde_json::json!(["SESSION_ESTABLISHED", "CHANNEL_DETAILS"]),
            "{sort_by}: {report}"
        );
    }
}
