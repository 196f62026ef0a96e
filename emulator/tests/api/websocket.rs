//! The messaging WebSocket with a real WebSocket client and a URL presigned by the SDK's own signer:
//! who gets which event (members, sub-channels, targets, the sender of a message in its flow), the
//! prefetch, refusals before the upgrade, and sessions closing when chime-local stops.

use std::time::Duration;

use aws_sdk_chimesdkmessaging::types::{
    ChannelMembershipType, ChannelMessagePersistenceType, ChannelMessageType, Target,
};
use chime_local::config::{LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

use crate::common::{World, pipeline_processor};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// `ws://HOST/connect?…` for `user`, presigned with `secret` by aws-sigv4 (query-string signing).
fn presigned(host: &str, user: &str, secret: &str, extra: &str) -> String {
    chime_local::server::websocket::presigned_connect_url(
        host,
        user,
        "s1",
        (LOCAL_ACCESS_KEY_ID, secret),
        "us-east-1",
        extra,
    )
    .expect("a presigned URL")
}

fn host(world: &World) -> String {
    world
        .running
        .endpoint
        .trim_start_matches("http://")
        .to_owned()
}

async fn session(world: &World, user: &str, extra: &str) -> Socket {
    let url = presigned(&host(world), user, LOCAL_SECRET_ACCESS_KEY, extra);
    let (mut socket, _) = connect_async(url).await.expect("the session opens");
    let (kind, _) = next(&mut socket).await;
    assert_eq!(kind, "SESSION_ESTABLISHED", "the first event");
    socket
}

/// The next event (bounded: 5 s): its type and its payload parsed.
async fn next(socket: &mut Socket) -> (String, Value) {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .expect("an event within 5 s")
            .expect("the session is open")
            .expect("a frame");
        if let Frame::Text(text) = frame {
            let event: Value = serde_json::from_str(&text).expect("JSON");
            let kind = event["Headers"]["x-amz-chime-event-type"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let payload = event["Payload"]
                .as_str()
                .map(|p| serde_json::from_str(p).expect("the payload is JSON text"))
                .unwrap_or(Value::Null);
            return (kind, payload);
        }
    }
}

fn target(user: &str) -> Target {
    Target::builder().member_arn(user).build()
}

#[tokio::test]
async fn events_reach_exactly_who_may_see_them() {
    let world = World::with_config(crate::common::verifying(), 3).await;
    let (a, b, outsider) = (&world.users[0], &world.users[1], &world.users[2]);
    let channel = world.private_channel("live", &[a.clone(), b.clone()]).await;
    world.send(&channel, a, "before anyone connected").await;

    let mut at_a = session(&world, a, "&prefetch-on=connect").await;
    let (kind, details) = next(&mut at_a).await;
    assert_eq!(
        kind, "CHANNEL_DETAILS",
        "prefetch follows the session start"
    );
    assert_eq!(details["Channel"]["ChannelArn"], channel.as_str());
    assert_eq!(
        details["ChannelMessages"][0]["Content"],
        "before anyone connected"
    );
    assert_eq!(
        details["ChannelMemberships"].as_array().map(Vec::len),
        Some(3)
    );
    let mut at_b = session(&world, b, "").await;
    let mut at_admin = session(&world, &world.admin, "").await;
    let mut at_outsider = session(&world, outsider, "").await;

    let (id, _) = world.send(&channel, a, "hello").await;
    for socket in [&mut at_a, &mut at_b, &mut at_admin] {
        let (kind, payload) = next(socket).await;
        assert_eq!(kind, "CREATE_CHANNEL_MESSAGE");
        assert_eq!(payload["MessageId"], id.as_str());
        assert_eq!(payload["Content"], "hello");
        assert_eq!(payload["Sender"]["Arn"], a.as_str());
        assert!(
            payload["CreatedTimestamp"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z'))
        );
    }

    // Targeted at b: a (its sender) and b see it, the admin does not.
    world
        .chime
        .send_channel_message()
        .channel_arn(&channel)
        .chime_bearer(a)
        .content("just for b")
        .r#type(ChannelMessageType::Standard)
        .persistence(ChannelMessagePersistenceType::NonPersistent)
        .target(target(b))
        .send()
        .await
        .expect("a targeted message");
    world.send(&channel, a, "for everyone").await;
    for socket in [&mut at_a, &mut at_b] {
        assert_eq!(next(socket).await.1["Content"], "just for b");
        assert_eq!(next(socket).await.1["Content"], "for everyone");
    }
    assert_eq!(
        next(&mut at_admin).await.1["Content"],
        "for everyone",
        "the targeted message skipped the admin"
    );

    // Edits, redactions, deletions and memberships.
    world
        .chime
        .update_channel_message()
        .channel_arn(&channel)
        .message_id(&id)
        .content("hello, edited")
        .chime_bearer(a)
        .send()
        .await
        .expect("UpdateChannelMessage");
    let (kind, payload) = next(&mut at_b).await;
    assert_eq!(
        (kind.as_str(), &payload["Content"]),
        ("UPDATE_CHANNEL_MESSAGE", &Value::from("hello, edited"))
    );
    world
        .chime
        .redact_channel_message()
        .channel_arn(&channel)
        .message_id(&id)
        .chime_bearer(a)
        .send()
        .await
        .expect("RedactChannelMessage");
    let (kind, payload) = next(&mut at_b).await;
    assert_eq!(kind, "REDACT_CHANNEL_MESSAGE");
    assert_eq!(payload["Redacted"], true);
    assert!(payload.get("Content").is_none(), "no content once redacted");
    world
        .chime
        .create_channel_membership()
        .channel_arn(&channel)
        .member_arn(outsider)
        .r#type(ChannelMembershipType::Default)
        .chime_bearer(&world.admin)
        .send()
        .await
        .expect("CreateChannelMembership");
    for socket in [&mut at_b, &mut at_outsider] {
        let (kind, payload) = next(socket).await;
        assert_eq!(kind, "CREATE_CHANNEL_MEMBERSHIP");
        assert_eq!(payload["Member"]["Arn"], outsider.as_str());
    }
    world
        .chime
        .delete_channel_message()
        .channel_arn(&channel)
        .message_id(&id)
        .chime_bearer(&world.admin)
        .send()
        .await
        .expect("DeleteChannelMessage");
    let (kind, _) = next(&mut at_outsider).await;
    assert_eq!(kind, "DELETE_CHANNEL_MESSAGE", "a member now");

    // Stopping chime-local closes every session with 1001 (going away).
    world.stop().await;
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match at_b.next().await {
                Some(Ok(Frame::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => continue,
                _ => return None,
            }
        }
    })
    .await
    .expect("closed within 5 s");
    assert_eq!(closed, Some(1001));
}

#[tokio::test]
async fn a_message_in_its_flow_is_pending_for_its_sender_then_reaches_the_members() {
    let world = World::new(2).await;
    let (a, b) = (&world.users[0], &world.users[1]);
    let channel = world
        .private_channel("moderated", &[a.clone(), b.clone()])
        .await;
    let flow = world
        .chime
        .create_channel_flow()
        .app_instance_arn(&world.instance)
        .name("pipeline")
        .processors(pipeline_processor())
        .client_request_token("flow-websocket")
        .send()
        .await
        .expect("CreateChannelFlow")
        .channel_flow_arn
        .unwrap_or_default();
    world
        .chime
        .associate_channel_flow()
        .channel_arn(&channel)
        .channel_flow_arn(&flow)
        .chime_bearer(&world.admin)
        .send()
        .await
        .expect("AssociateChannelFlow");
    let mut at_a = session(&world, a, "").await;
    let mut at_b = session(&world, b, "").await;

    let (denied, _) = world.send(&channel, a, "you are a fucking idiot").await;
    let (clean, _) = world.send(&channel, a, "see you at noon").await;
    let (kind, payload) = next(&mut at_a).await;
    assert_eq!(
        (kind.as_str(), payload["MessageId"].as_str()),
        ("PENDING_CREATE_CHANNEL_MESSAGE", Some(denied.as_str()))
    );
    assert_eq!(payload["Status"]["Value"], "PENDING");
    // The two flows run concurrently: collect the sender's next three events by message.
    let mut seen = Vec::new();
    for _ in 0..3 {
        let (kind, payload) = next(&mut at_a).await;
        seen.push((
            kind,
            payload["MessageId"].as_str().unwrap_or_default().to_owned(),
        ));
    }
    seen.sort();
    let mut expected = vec![
        ("CREATE_CHANNEL_MESSAGE".to_owned(), clean.clone()),
        ("DENIED_CREATE_CHANNEL_MESSAGE".to_owned(), denied.clone()),
        ("PENDING_CREATE_CHANNEL_MESSAGE".to_owned(), clean.clone()),
    ];
    expected.sort();
    assert_eq!(seen, expected);
    // The other member only ever sees the processed clean message.
    let (kind, payload) = next(&mut at_b).await;
    assert_eq!(kind, "CREATE_CHANNEL_MESSAGE");
    assert_eq!(payload["MessageId"], clean.as_str());
    assert_eq!(payload["Status"]["Value"], "SENT");
    world.send(&channel, b, "marker").await;
    assert_eq!(
        next(&mut at_b).await.1["Content"],
        "marker",
        "nothing of the denied one"
    );
    let _ = at_a.close(None).await;
    world.stop().await;
}

#[tokio::test]
async fn connections_are_refused_before_the_upgrade() {
    let world = World::with_config(crate::common::verifying(), 1).await;
    let user = &world.users[0];
    let refused = |url: String| async move {
        match connect_async(url).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                let body = response
                    .body()
                    .as_ref()
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .unwrap_or_default();
                (response.status().as_u16(), body)
            }
            other => panic!("expected an HTTP refusal, got {other:?}"),
        }
    };
    let (status, body) = refused(presigned(&host(&world), user, "not-the-secret", "")).await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("signature does not match"), "{body}");
    let ghost = format!("{}/user/ghost", world.instance);
    let (status, body) = refused(presigned(
        &host(&world),
        &ghost,
        LOCAL_SECRET_ACCESS_KEY,
        "",
    ))
    .await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = refused(format!("ws://{}/connect?userArn=x", host(&world))).await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("X-Amz-"), "{body}");
    let mut socket = session(&world, user, "").await;
    socket
        .send(Frame::Ping(vec![1].into()))
        .await
        .expect("a ping");
    world.stop().await;
}
