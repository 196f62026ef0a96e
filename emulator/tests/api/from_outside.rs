//! chime-local checked from outside, as an attacker's page or a stale client would reach it: a
//! cross-origin request a browser sends without asking, a `Host` a rebound DNS name carries, a
//! signature from 20 minutes ago, an oversized WebSocket frame, seeds beyond the documented
//! limits — each refused, every time, and chime-local serving on afterwards.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use chime_local::config::{LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message as Frame;

use crate::common::verifying;
use chime_local::testing::World;

/// Sends a request with exactly these headers (Host included); the status and body.
async fn send(
    endpoint: &str,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &str,
) -> (u16, String) {
    let answer = crate::common::raw_with(endpoint, method, path, headers, body).await;
    (answer.status, answer.body)
}

fn authority(world: &World) -> String {
    world
        .running
        .endpoint
        .trim_start_matches("http://")
        .to_owned()
}

async fn still_serving(world: &World) {
    let (status, body) = send(
        &world.running.endpoint,
        "GET",
        "/_chime-local/health",
        &[("host", authority(world))],
        "",
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (200, "ok"),
        "chime-local serves on"
    );
}

/// ListChannels signed with chime-local's credentials as of `at`.
fn signed_list_channels(world: &World, at: SystemTime) -> (String, Vec<(&'static str, String)>) {
    let path = format!(
        "/channels?app-instance-arn={}",
        percent_encoding::utf8_percent_encode(&world.instance, percent_encoding::NON_ALPHANUMERIC)
    );
    let amz_date = time::OffsetDateTime::from(at)
        .format(&time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .expect("a date");
    let host = authority(world);
    let headers = [
        ("host", host.clone()),
        ("x-amz-date", amz_date.clone()),
        ("x-amz-chime-bearer", world.admin.clone()),
    ];
    let identity = Credentials::new(
        LOCAL_ACCESS_KEY_ID,
        LOCAL_SECRET_ACCESS_KEY,
        None,
        None,
        "test",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("chime")
        .time(at)
        .settings(SigningSettings::default())
        .build()
        .expect("params")
        .into();
    let url = format!("{}{path}", world.running.endpoint);
    let signable = SignableRequest::new(
        "GET",
        &url,
        headers.iter().map(|(k, v)| (*k, v.as_str())),
        SignableBody::Bytes(b""),
    )
    .expect("signable");
    let (instructions, _) = sign(signable, &params).expect("signed").into_parts();
    let mut all: Vec<(&'static str, String)> = headers.to_vec();
    for (name, value) in instructions.headers() {
        if name.eq_ignore_ascii_case("authorization") {
            all.push(("authorization", value.to_owned()));
        }
    }
    (path, all)
}

#[tokio::test]
async fn what_a_foreign_page_or_a_stale_client_sends_is_refused_and_chime_local_serves_on() {
    let world = World::with_config(verifying(), 1).await;
    let endpoint = world.running.endpoint.clone();
    let host = authority(&world);

    // A simple cross-origin POST a page of any site can send (`mode: "no-cors"`): no control
    // header, a foreign Origin. The faults stay as they were.
    let faults = r#"{"ChannelFlowCallback": {"reject_first": 1}}"#;
    for headers in [
        vec![
            ("host", host.clone()),
            ("origin", "https://evil.example".to_owned()),
            ("content-type", "text/plain".to_owned()),
        ],
        vec![
            ("host", host.clone()),
            ("content-type", "text/plain".to_owned()),
        ],
        vec![
            ("host", host.clone()),
            ("origin", "http://localhost:3000".to_owned()),
            ("x-chime-local-control", "1".to_owned()),
        ],
    ] {
        let (status, body) = send(&endpoint, "PUT", "/_chime-local/faults", &headers, faults).await;
        assert_eq!(status, 403, "{headers:?}: {body}");
    }
    let (status, rules) = send(
        &endpoint,
        "GET",
        "/_chime-local/faults",
        &[("host", host.clone())],
        "",
    )
    .await;
    assert_eq!((status, rules.as_str()), (200, "{}"), "nothing injected");

    // DNS rebinding: the attacker's name now resolves to 127.0.0.1, and the browser says so.
    for path in [
        "/_chime-local/console/api/overview",
        "/_chime-local/health",
        "/channels",
    ] {
        let (status, body) = send(
            &endpoint,
            "GET",
            path,
            &[("host", "rebind.evil.example:8000".to_owned())],
            "",
        )
        .await;
        assert_eq!(status, 403, "{path}: {body}");
        assert!(body.contains("is not chime-local's"), "{body}");
    }

    // A signature 20 minutes old is refused as AWS refuses it; the same request signed now passes.
    let (path, headers) =
        signed_list_channels(&world, SystemTime::now() - Duration::from_secs(20 * 60));
    let (status, body) = send(&endpoint, "GET", &path, &headers, "").await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("Signature expired"), "{body}");
    let (path, headers) = signed_list_channels(&world, SystemTime::now());
    let (status, body) = send(&endpoint, "GET", &path, &headers, "").await;
    assert_eq!(status, 200, "{body}");

    // A WebSocket frame past the limit closes that session, not the service.
    let url = chime_local::server::websocket::presigned_connect_url(
        &host,
        &world.users[0],
        "s1",
        (LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY),
        "us-east-1",
        "",
    )
    .expect("a presigned URL");
    let (mut socket, _) = connect_async(url).await.expect("the session opens");
    let oversized = "x".repeat(chime_local::server::websocket::MAX_CLIENT_MESSAGE_BYTES + 1);
    let _ = socket.send(Frame::Text(oversized.into())).await;
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match socket.next().await {
                Some(Ok(Frame::Close(_))) | None | Some(Err(_)) => return true,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert_eq!(ended, Ok(true), "the session ends");

    // Seeds keep the service's limits.
    let seed = |body: String| {
        let endpoint = endpoint.clone();
        let host = host.clone();
        async move {
            send(
                &endpoint,
                "POST",
                "/_chime-local/seed-messages",
                &[
                    ("host", host),
                    ("x-chime-local-control", "1".to_owned()),
                    ("content-type", "application/json".to_owned()),
                ],
                &body,
            )
            .await
        }
    };
    let channel = world.private_channel("seeded", &world.users).await;
    let (status, body) = seed(
        serde_json::json!({"ChannelArn": channel, "SenderArn": world.users[0],
        "Count": 10_000_001})
        .to_string(),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("Count"), "{body}");
    let (status, body) = seed(
        serde_json::json!({"ChannelArn": channel, "SenderArn": world.users[0],
        "Count": 1, "Content": "x".repeat(5000)})
        .to_string(),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("Content"), "{body}");

    still_serving(&world).await;
    world.stop().await;
}
