//! amazon-chime-sdk-js's messaging session (npm, `emulator/tests/js/`) against chime-local with
//! signature verification on: the real front-end client resolves the endpoint, presigns with its own
//! SigV4, waits for SESSION_ESTABLISHED, prefetches and receives a message sent through the JS SDK;
//! then starts a session with each `PrefetchSortBy` value the SDK offers.
//! CI runs `npm ci` there and sets CHIME_LOCAL_REQUIRE_JS=1 so this never goes unrun; elsewhere,
//! without node or the packages, it says so and passes.

use std::path::Path;

use chime_local::config::{LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY};

use crate::common::{World, node_report, outside_client_runs};

const JS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/js");

#[tokio::test]
async fn amazon_chime_sdk_js_receives_messages_over_the_websocket() {
    let installed = Path::new(JS_DIR)
        .join("node_modules/amazon-chime-sdk-js")
        .is_dir();
    let missing = format!("node or {JS_DIR}/node_modules is missing (npm ci there)");
    if !outside_client_runs(
        installed,
        &["node", "--version"],
        "CHIME_LOCAL_REQUIRE_JS",
        &missing,
    ) {
        return;
    }
    let config = crate::common::verifying();
    let world = World::with_config(config, 2).await;
    let (listener, sender) = (world.users[0].clone(), world.users[1].clone());
    let channel = world
        .private_channel("js", &[listener.clone(), sender.clone()])
        .await;
    let endpoint = world.running.endpoint.clone();
    let args = vec![
        format!("{JS_DIR}/messaging_session.cjs"),
        endpoint,
        LOCAL_ACCESS_KEY_ID.to_owned(),
        LOCAL_SECRET_ACCESS_KEY.to_owned(),
        listener,
        sender.clone(),
        channel.clone(),
    ];
    let report = node_report(args).await;
    world.stop().await;
    let report = report.unwrap_or_else(|stderr| panic!("the JS client failed: {stderr}"));
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
