//! boto3 (botocore's own SigV4, serialisation and error parsing) against chime-local with signature
//! verification on. CI installs boto3 and sets CHIME_LOCAL_REQUIRE_BOTO3=1 so this never goes unrun
//! there; elsewhere, without boto3, it says so and passes.

use std::process::Command;

use chime_local::config::{LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY};

use crate::common::{outside_client_runs, start_with};

#[tokio::test]
async fn boto3_sends_and_lists() {
    let import = ["python3", "-c", "import boto3"];
    let missing = "`python3 -c 'import boto3'` fails (pip install boto3)";
    if !outside_client_runs(true, &import, "CHIME_LOCAL_REQUIRE_BOTO3", missing) {
        return;
    }
    let config = crate::common::verifying();
    let running = start_with(config).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/boto3_send_list.py");
    let endpoint = running.endpoint.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .args([
                script,
                &endpoint,
                LOCAL_ACCESS_KEY_ID,
                LOCAL_SECRET_ACCESS_KEY,
            ])
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    running.stop().await;
    assert!(
        output.status.success(),
        "boto3 script failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["status"], "SENT");
    assert_eq!(
        report["contents"],
        serde_json::json!(["hello from boto3 👋"])
    );
    assert_eq!(report["sender"], "Py Thon");
    assert_eq!(report["created_is_datetime"], true);
    assert_eq!(
        report["typed_error"],
        "Content: 4097 bytes, a STANDARD message holds at most 4096"
    );
}
