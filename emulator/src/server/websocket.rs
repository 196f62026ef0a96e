//! The messaging WebSocket (developer guide, "Using WebSockets to receive messages"): `GET /connect`
//! with a SigV4-presigned query (`X-Amz-*`, `userArn`, `sessionId`, optionally `prefetch-on=connect`
//! and `prefetch-sort-by`). The signature is verified when signature checking is on; the user must
//! be a user or bot of its app instance. The session first gets `SESSION_ESTABLISHED`, then (with
//! prefetch) a `CHANNEL_DETAILS` event per channel, then every event its user may see.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::extract::ws::{CloseFrame, Message as Frame, WebSocket, WebSocketUpgrade};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::Wire;
use crate::error::ApiError;
use crate::json::without_nulls;
use crate::server::events::{channel_payload, frame, message_payload};
use crate::server::sigv4::{self, LocalCredentials};
use crate::state::{Channel, Instance, Store, iso8601, lock};

/// The largest frame or message a client may send on the messaging WebSocket (clients send only
/// pings and closes; the service reads nothing else).
pub const MAX_CLIENT_MESSAGE_BYTES: usize = 64 * 1024;

/// Channels a prefetch describes, and messages and members per channel.
const PREFETCH_CHANNELS: usize = 50;
const PREFETCH_ITEMS: usize = 50;

/// Close code for a session that fell `SESSION_QUEUE` events behind (4000–4999 are the
/// application's; the JS SDK reconnects on it).
const CLOSE_STALLED: u16 = 4410;

/// What `/connect` asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connect {
    pub user_arn: String,
    pub session_id: String,
    pub prefetch: bool,
    pub sort_by_unread: bool,
}

fn decoded(raw: &str) -> String {
    percent_encoding::percent_decode_str(&raw.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// Reads `/connect`'s query: its presigned form is checked (and its signature, with `credentials`).
pub fn parse_connect(
    query: &str,
    host: &str,
    credentials: Option<&LocalCredentials>,
) -> Result<Connect, ApiError> {
    let presigned = sigv4::parse_presigned(query)?;
    if let Some(credentials) = credentials {
        sigv4::verify_presigned(&presigned, credentials, "/connect", host)?;
    }
    let value = |name: &str| {
        presigned
            .signed_pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| decoded(v))
    };
    let user_arn = value("userArn")
        .ok_or_else(|| ApiError::bad_request("userArn: missing, it is required"))?;
    let session_id = value("sessionId")
        .ok_or_else(|| ApiError::bad_request("sessionId: missing, it is required"))?;
    let prefetch = match value("prefetch-on").as_deref() {
        None => false,
        Some("connect") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "prefetch-on: {other:?} is not connect"
            )));
        }
    };
    // amazon-chime-sdk-js's `PrefetchSortBy` sends `unread` or `last-message-timestamp`; the
    // camel-case spelling is kept for clients written from older examples.
    let sort_by_unread = match value("prefetch-sort-by").as_deref() {
        None | Some("last-message-timestamp" | "lastMessageTimestamp") => false,
        Some("unread") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "prefetch-sort-by: {other:?} is not unread or last-message-timestamp"
            )));
        }
    };
    Ok(Connect {
        user_arn,
        session_id,
        prefetch,
        sort_by_unread,
    })
}

/// Answers `GET /connect`: refuses before upgrading when the query, signature or user is wrong.
pub async fn connect(wire: Arc<Wire>, mut parts: Parts) -> Response {
    let host = parts
        .headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let query = parts.uri.query().unwrap_or_default().to_owned();
    let credentials = wire.settings.verify_signatures.as_ref();
    let connect = match parse_connect(&query, &host, credentials) {
        Ok(connect) => connect,
        Err(e) => return e.into_response(),
    };
    if let Err(e) = check_user(wire.emulator.store(), &connect.user_arn) {
        return e.into_response();
    }
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    // Clients send nothing the service reads: a frame or message past this closes the session.
    upgrade
        .max_frame_size(MAX_CLIENT_MESSAGE_BYTES)
        .max_message_size(MAX_CLIENT_MESSAGE_BYTES)
        .on_upgrade(move |socket| serve_session(wire, connect, socket))
}

fn check_user(store: &Store, user: &str) -> Result<(), ApiError> {
    let instance = store.instance(user)?;
    if !lock(&instance).is_identity(user) {
        return Err(ApiError::forbidden(format!(
            "userArn: {user} is not a user or bot of its app instance"
        )));
    }
    Ok(())
}

async fn serve_session(wire: Arc<Wire>, connect: Connect, mut socket: WebSocket) {
    let store = wire.emulator.store();
    // Registered before anything is sent, so no event between the two is lost.
    let (id, mut frames) = wire.sessions.open(&connect.user_arn);
    tracing::info!(session = id, session_id = %connect.session_id, "messaging session opened");
    let mut first = vec![established()];
    if connect.prefetch {
        first.extend(prefetch(store, &connect));
    }
    // Sessions close with 1001 when chime-local stops.
    let mut stopping = wire.emulator.stopping();
    if send_all(&mut socket, &first).await {
        pump(&mut socket, &mut frames, &mut stopping).await;
    }
    wire.sessions.close(&connect.user_arn, id);
    tracing::info!(session = id, "messaging session closed");
}

async fn send_all(socket: &mut WebSocket, texts: &[Arc<str>]) -> bool {
    for text in texts {
        if socket
            .send(Frame::Text(text.as_ref().into()))
            .await
            .is_err()
        {
            return false;
        }
    }
    true
}

/// Sends queued events until the client leaves, the queue is dropped as stalled, or chime-local stops.
async fn pump(
    socket: &mut WebSocket,
    frames: &mut crate::server::sessions::Frames,
    stopping: &mut tokio::sync::watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            queued = frames.recv() => match queued {
                Some(text) => {
                    if socket.send(Frame::Text(text.as_ref().into())).await.is_err() {
                        return;
                    }
                }
                None => {
                    let _ = socket.send(close(CLOSE_STALLED, "the session fell too far behind")).await;
                    return;
                }
            },
            received = socket.recv() => match received {
                // Clients send nothing the service reads; pings are answered by the socket.
                Some(Ok(Frame::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
            _ = stopping.changed() => {
                let _ = socket.send(close(1001, "chime-local is stopping")).await;
                return;
            }
        }
    }
}

fn close(code: u16, reason: &'static str) -> Frame {
    Frame::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

fn established() -> Arc<str> {
    Arc::from(
        json!({"Headers": {"x-amz-chime-event-type": "SESSION_ESTABLISHED",
            "x-amz-chime-message-type": "SYSTEM"}})
        .to_string(),
    )
}

/// `CHANNEL_DETAILS` for the user's channels: the most recently active (or, sorted by unread, those
/// with messages after the read marker first), each with its latest messages the user may read,
/// its first members and the user's read marker.
fn prefetch(store: &Store, connect: &Connect) -> Vec<Arc<str>> {
    let Ok(instance) = store.instance(&connect.user_arn) else {
        return Vec::new();
    };
    let instance = lock(&instance);
    let user = connect.user_arn.as_str();
    let mut channels: Vec<&Channel> = instance
        .channels
        .values()
        .filter(|c| c.members().contains_key(user))
        .collect();
    let unread = |c: &Channel| {
        let marker = c.members().get(user).and_then(|m| m.read_marker);
        c.last_message
            .is_some_and(|last| marker.is_none_or(|m| last > m))
    };
    channels.sort_by(|a, b| {
        let by_unread = if connect.sort_by_unread {
            unread(b).cmp(&unread(a))
        } else {
            std::cmp::Ordering::Equal
        };
        by_unread.then(b.last_message.cmp(&a.last_message))
    });
    channels
        .into_iter()
        .take(PREFETCH_CHANNELS)
        .map(|channel| channel_details(&instance, channel, user))
        .collect()
}

fn channel_details(instance: &Instance, channel: &Channel, user: &str) -> Arc<str> {
    let sub = channel
        .members()
        .get(user)
        .and_then(|m| m.sub_channel.clone());
    let mut messages: Vec<Value> = Vec::new();
    for position in (0..channel.message_count()).rev() {
        if messages.len() == PREFETCH_ITEMS {
            break;
        }
        let Some(m) = channel.message_at(position) else {
            continue;
        };
        if m.visible() && (m.shown() || m.sender == user) && m.sub_channel == sub && m.is_for(user)
        {
            messages.push(message_payload(instance, &channel.arn, m));
        }
    }
    let memberships: Vec<Value> = channel
        .members()
        .iter()
        .filter(|(_, m)| m.sub_channel == sub)
        .take(PREFETCH_ITEMS)
        .map(|(arn, m)| {
            without_nulls(json!({"Type": m.kind, "SubChannelId": m.sub_channel,
                "Member": crate::json::identity(arn, &instance.display_name(arn))}))
        })
        .collect();
    let marker = channel
        .members()
        .get(user)
        .and_then(|m| m.read_marker)
        .map(iso8601);
    let payload = without_nulls(json!({
        "Channel": channel_payload(instance, channel),
        "ChannelMessages": messages,
        "ChannelMemberships": memberships,
        "ReadMarkerTimestamp": marker,
    }));
    frame("CHANNEL_DETAILS", "SYSTEM", None, &payload)
}

/// A client's `ws://HOST/connect?…` URL for `user`, presigned with the SDK's own signer
/// (query-string SigV4, valid 10 s), as the developer guide describes: for tests, tools and the
/// load generator. `host` is what GetMessagingSessionEndpoint returns.
pub fn presigned_connect_url(
    host: &str,
    user: &str,
    session_id: &str,
    (access_key_id, secret): (&str, &str),
    region: &str,
    extra_query: &str,
) -> Result<String, String> {
    use aws_sigv4::http_request::{
        SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
    };
    let url = format!(
        "http://{host}/connect?sessionId={}&userArn={}{extra_query}",
        chime_flow::callback::percent_encode(session_id),
        chime_flow::callback::percent_encode(user)
    );
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(std::time::Duration::from_secs(10));
    let identity =
        aws_credential_types::Credentials::new(access_key_id, secret, None, None, "presign").into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("chime")
        .time(std::time::SystemTime::now())
        .settings(settings)
        .build()
        .map_err(|e| e.to_string())?
        .into();
    let request = SignableRequest::new(
        "GET",
        &url,
        [("host", host)].into_iter(),
        SignableBody::Bytes(b""),
    )
    .map_err(|e| e.to_string())?;
    let (instructions, _) = sign(request, &params)
        .map_err(|e| e.to_string())?
        .into_parts();
    let mut request = axum::http::Request::builder()
        .uri(&url)
        .body(())
        .map_err(|e| e.to_string())?;
    instructions.apply_to_request_http1x(&mut request);
    Ok(request.uri().to_string().replacen("http://", "ws://", 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connect_query_is_read_and_its_form_checked() {
        let signature = "a".repeat(64);
        let query = format!(
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fchime%2Faws4_request\
             &X-Amz-Date=20260101T000000Z&X-Amz-Expires=10&X-Amz-SignedHeaders=host\
             &prefetch-on=connect&sessionId=42&userArn=arn%3Aaws%3Achime%3Aus-east-1%3A1%3Aapp-instance%2Fi%2Fuser%2Fu\
             &X-Amz-Signature={signature}"
        );
        let connect = parse_connect(&query, "127.0.0.1:8000", None).expect("well formed");
        assert_eq!(
            connect.user_arn,
            "arn:aws:chime:us-east-1:1:app-instance/i/user/u"
        );
        assert_eq!(connect.session_id, "42");
        assert!(connect.prefetch && !connect.sort_by_unread);
        let unsigned = query.replace(&format!("&X-Amz-Signature={signature}"), "");
        let error = parse_connect(&unsigned, "h", None).expect_err("no signature");
        assert!(
            error.message.contains("X-Amz-Signature"),
            "{}",
            error.message
        );
        for (sort_by, unread) in [("unread", true), ("last-message-timestamp", false)] {
            let sorted = format!("{query}&prefetch-sort-by={sort_by}");
            let connect = parse_connect(&sorted, "h", None).expect("a sort the JS SDK sends");
            assert_eq!(connect.sort_by_unread, unread, "{sort_by}");
        }
        let unknown = format!("{query}&prefetch-sort-by=newest");
        assert!(parse_connect(&unknown, "h", None).is_err());
        let other_service = query.replace("%2Fchime%2F", "%2Fs3%2F");
        assert!(parse_connect(&other_service, "h", None).is_err());
    }
}
