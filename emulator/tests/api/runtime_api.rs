//! The local Lambda Runtime API behind `chime-local run-bootstrap`, driven as a function's runtime
//! drives it (raw HTTP on loopback): next → response, next → error, and a failed start.

use std::time::Duration;

use chime_local::tools::runtime_api::{Outcome, RuntimeApi};
use serde_json::json;

use crate::common::raw;

const ARN: &str = "arn:aws:lambda:us-east-1:000000000000:function:f";

#[tokio::test]
async fn events_go_out_in_order_and_answers_come_back() {
    let api = RuntimeApi::start(ARN, Duration::from_secs(45))
        .await
        .unwrap();
    let base = format!("http://{}", api.address());
    assert!(api.first_poll().is_none());
    api.push("req-1", json!({"n": 1}));
    api.push("req-2", json!({"n": 2}));

    let next = raw(
        &base,
        "GET",
        "/2018-06-01/runtime/invocation/next",
        None,
        "",
    )
    .await;
    assert_eq!(next.status, 200);
    assert!(api.first_poll().is_some());
    let header = |name: &str| {
        next.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header("lambda-runtime-aws-request-id"), "req-1");
    assert_eq!(header("lambda-runtime-invoked-function-arn"), ARN);
    let deadline: u128 = header("lambda-runtime-deadline-ms").parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    assert!(
        deadline > now + 40_000 && deadline <= now + 45_000,
        "{deadline} vs {now}"
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&next.body).unwrap(),
        json!({"n": 1})
    );
    let answered = raw(
        &base,
        "POST",
        "/2018-06-01/runtime/invocation/req-1/response",
        None,
        r#"{"ok":true}"#,
    )
    .await;
    assert_eq!(answered.status, 202);
    let done = api.wait_for("req-1", Duration::from_secs(5)).await.unwrap();
    let (at, outcome) = done.answered.unwrap();
    assert!(at >= done.taken);
    assert_eq!(outcome, Outcome::Response(json!({"ok": true})));
    // An answer for something not handed out is refused.
    let stray = raw(
        &base,
        "POST",
        "/2018-06-01/runtime/invocation/req-9/response",
        None,
        "{}",
    )
    .await;
    assert_eq!(stray.status, 400);

    let next = raw(
        &base,
        "GET",
        "/2018-06-01/runtime/invocation/next",
        None,
        "",
    )
    .await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&next.body).unwrap(),
        json!({"n": 2})
    );
    let error = r#"{"errorType":"CallbackFailed","errorMessage":"gave up"}"#;
    raw(
        &base,
        "POST",
        "/2018-06-01/runtime/invocation/req-2/error",
        None,
        error,
    )
    .await;
    let done = api.wait_for("req-2", Duration::from_secs(5)).await.unwrap();
    assert_eq!(
        done.answered.unwrap().1,
        Outcome::Error(json!({"errorType": "CallbackFailed", "errorMessage": "gave up"}))
    );
    api.stop().await;
}

#[tokio::test]
async fn a_failed_start_or_silence_ends_the_wait() {
    let api = RuntimeApi::start(ARN, Duration::from_secs(45))
        .await
        .unwrap();
    let base = format!("http://{}", api.address());
    api.push("req-1", json!({}));
    // Nobody polls: the wait ends at its limit with nothing.
    assert!(
        api.wait_for("req-1", Duration::from_millis(100))
            .await
            .is_none()
    );
    let body =
        r#"{"errorType":"InvalidConfig","errorMessage":"FAILURE_POLICY: must be pass or deny"}"#;
    let init = raw(&base, "POST", "/2018-06-01/runtime/init/error", None, body).await;
    assert_eq!(init.status, 202);
    assert!(
        api.wait_for("req-1", Duration::from_secs(5))
            .await
            .is_none()
    );
    assert_eq!(api.init_error().unwrap()["errorType"], "InvalidConfig");
    api.stop().await;
}
