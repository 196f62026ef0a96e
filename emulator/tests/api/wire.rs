//! The wire itself, by raw HTTP: SigV4 required (and verified when configured), error headers and
//! bodies, status codes, percent-encoded ARNs, unknown routes, and the connection-level bounds.

use std::time::Duration;

use chime_local::Config;
use chime_local::config::{LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY};

use crate::common::{World, clients_with, code, encode, fake_auth, raw};

#[tokio::test]
async fn errors_statuses_and_routes_on_the_wire() {
    let world = World::new(1).await;
    let endpoint = world.running.endpoint.clone();
    let auth = fake_auth();

    let unsigned = raw(&endpoint, "GET", "/app-instances", None, "").await;
    assert_eq!(unsigned.status, 401);
    assert_eq!(
        unsigned.headers["x-amzn-errortype"],
        "UnauthorizedClientException"
    );
    let body: serde_json::Value = serde_json::from_str(&unsigned.body).unwrap();
    assert_eq!(body["Code"], "UnauthorizedClient");
    assert_eq!(
        body["Message"],
        "missing Authorization header: requests must be signed with SigV4"
    );
    let s3 = auth.replace("/chime/", "/s3/");
    let wrong_service = raw(&endpoint, "GET", "/app-instances", Some(&s3), "").await;
    assert_eq!(wrong_service.status, 401);
    assert!(wrong_service.body.contains("scoped to the service 'chime'"));

    let created = raw(
        &endpoint,
        "POST",
        "/app-instances",
        Some(&auth),
        r#"{"Name": "raw", "ClientRequestToken": "token-1"}"#,
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let arn = serde_json::from_str::<serde_json::Value>(&created.body).unwrap()["AppInstanceArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/app-instances/{}", encode(&arn));
    assert!(path.contains("%3A") && path.contains("%2F"));
    let described = raw(&endpoint, "GET", &path, Some(&auth), "").await;
    assert_eq!(described.status, 200);
    assert!(described.body.contains("\"Name\":\"raw\""));
    assert!(
        !described.body.contains("null"),
        "absent members are omitted: {}",
        described.body
    );
    let deleted = raw(&endpoint, "DELETE", &path, Some(&auth), "").await;
    assert_eq!((deleted.status, deleted.body.as_str()), (204, ""));

    let missing = raw(
        &endpoint,
        "POST",
        "/app-instances",
        Some(&auth),
        r#"{"ClientRequestToken": "tt"}"#,
    )
    .await;
    assert_eq!(missing.status, 400);
    assert_eq!(missing.headers["x-amzn-errortype"], "BadRequestException");
    assert!(missing.body.contains("Name: missing, it is required"));
    let not_json = raw(&endpoint, "POST", "/app-instances", Some(&auth), "{nope").await;
    assert_eq!(not_json.status, 400);
    assert!(not_json.body.contains("the request body is not JSON"));

    let unknown = raw(&endpoint, "GET", "/no/such/route", Some(&auth), "").await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.headers["x-amzn-errortype"], "NotFoundException");
    assert!(
        unknown
            .body
            .contains("no Chime SDK Messaging or Identity operation matches GET /no/such/route")
    );

    let channel = world.private_channel("c", &world.users).await;
    let no_bearer = raw(
        &endpoint,
        "GET",
        &format!("/channels/{}", encode(&channel)),
        Some(&auth),
        "",
    )
    .await;
    assert_eq!(no_bearer.status, 400);
    assert!(
        no_bearer
            .body
            .contains("ChimeBearer: missing, it is required")
    );

    // Every operation of the models is served: the session endpoint answers on the wire with the
    // host clients connect to.
    let session = raw(
        &endpoint,
        "GET",
        "/endpoints/messaging-session",
        Some(&auth),
        "",
    )
    .await;
    assert_eq!(session.status, 200, "{}", session.body);
    assert!(
        session
            .body
            .contains(endpoint.trim_start_matches("http://"))
    );
    world.stop().await;
}

#[tokio::test]
async fn signatures_are_verified_when_asked() {
    let config = crate::common::verifying();
    // World signs with the right credentials: every set-up call verifies.
    let world = World::with_config(config, 1).await;
    let channel = world.private_channel("signed", &world.users).await;
    world
        .send(
            &channel,
            &world.users[0],
            "signed: ✓ with a query and ARN path",
        )
        .await;
    let (_, ident) =
        clients_with(&world.running.endpoint, LOCAL_ACCESS_KEY_ID, "wrong-secret").await;
    let error = ident.list_app_instances().send().await.unwrap_err();
    let (code_name, message) = code(&error);
    assert_eq!(code_name, "UnauthorizedClientException");
    assert_eq!(
        message,
        "the request signature does not match the one computed with chime-local's credentials"
    );
    let (chime, _) = clients_with(
        &world.running.endpoint,
        "AKIDOTHER",
        LOCAL_SECRET_ACCESS_KEY,
    )
    .await;
    let error = chime
        .list_channel_messages()
        .channel_arn(&channel)
        .chime_bearer(&world.users[0])
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&error).0, "UnauthorizedClientException");
    assert_eq!(code(&error).1, "unknown access key id AKIDOTHER");
    world.stop().await;
}

/// A slow or hostile client: an oversized request head is refused (431), a connection that never
/// sends a complete head is closed after the idle timeout, a body that stalls is answered 408, and
/// the service keeps answering everyone else.
#[tokio::test]
async fn oversized_heads_and_idle_or_stalled_connections_are_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let config = Config {
        idle_timeout: Duration::from_millis(300),
        ..Config::default()
    };
    let world = World::with_config(config, 0).await;
    let addr = world.running.addr;
    let read_all = |mut stream: tokio::net::TcpStream| async move {
        let mut answer = Vec::new();
        let read =
            tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
        assert!(read.is_ok(), "the server closed the connection within 5 s");
        String::from_utf8_lossy(&answer).into_owned()
    };

    let mut huge = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connects");
    let padding = "x".repeat(chime_local::server::listener::MAX_HEADER_BYTES + 1);
    huge.write_all(
        format!("GET /channels HTTP/1.1\r\nhost: localhost\r\nx-pad: {padding}\r\n\r\n").as_bytes(),
    )
    .await
    .expect("writes");
    let answer = read_all(huge).await;
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer:.80}");

    let started = std::time::Instant::now();
    let silent = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connects");
    assert_eq!(read_all(silent).await, "", "closed without an answer");
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "not before the timeout"
    );

    let mut half = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connects");
    half.write_all(
        b"POST /channels HTTP/1.1\r\nhost: localhost\r\ncontent-length: 100\r\n\r\n{\"Name\":",
    )
    .await
    .expect("writes");
    let answer = read_all(half).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:.80}");
    assert!(answer.contains("x-amzn-requestid"), "{answer}");

    // Everyone else is still served.
    world
        .ident
        .list_app_instances()
        .send()
        .await
        .expect("still answering");
    world.stop().await;
}
