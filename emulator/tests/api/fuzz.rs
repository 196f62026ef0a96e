//! A hostile client cannot crash or stall the service: the router, binder and validator take
//! arbitrary input (fixed seed, repeatable in CI) and always answer with a status and, for errors,
//! a typed body; request bodies over the limit are refused with 413 before they are read.

use std::sync::Arc;

use axum::http::{HeaderMap, HeaderValue, Method, Uri};
use chime_local::model::{Model, Segment};
use chime_local::server::Wire;
use chime_local::server::http::{MAX_BODY_BYTES, handle};
use chime_local::{Config, Emulator};

use crate::common::{World, fake_auth, raw};

/// Strings that exercise the binder and validator: ARNs, numbers, booleans, timestamps, huge and
/// empty values, percent-encodings, control and non-ASCII characters.
const PIECES: &[&str] = &[
    "",
    "0",
    "-1",
    "51",
    "9999999999999999999999",
    "true",
    "x",
    "%",
    "%2F",
    "%zz",
    "%F0%9F%98%80",
    "arn:aws:chime:us-east-1:000000000000:app-instance/a",
    "arn:aws:chime:us-east-1:0:app-instance/a/user/u",
    "arn:aws:chime:us-east-1:0:app-instance/a/channel/c",
    "2024-01-02T03:04:05Z",
    "1704164645.5",
    "not-a-date",
    "ASCENDING",
    "DESCENDING",
    "PERSISTENT",
    "STANDARD",
    "CONTROL",
    "💥",
    "\u{0}",
    "../..",
    "?",
    "&",
    "=",
    "a b",
    "null",
    "{}",
    "[]",
];

fn piece(rng: &mut fastrand::Rng) -> String {
    if rng.u8(..) < 40 {
        (0..rng.usize(0..40))
            .map(|_| char::from(rng.u8(0x20..0x7f)))
            .collect()
    } else {
        PIECES[rng.usize(..PIECES.len())].to_owned()
    }
}

fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A JSON body: an object of random members (some named as the models name them), random scalars,
/// nested values; or raw bytes that are not JSON at all.
fn body(rng: &mut fastrand::Rng, members: &[&str]) -> Vec<u8> {
    fn value(rng: &mut fastrand::Rng, depth: u32) -> serde_json::Value {
        match rng.u8(0..7) {
            0 => serde_json::Value::Null,
            1 => rng.bool().into(),
            2 => rng.i64(..).into(),
            3 => (rng.f64() * 1e12).into(),
            4 if depth < 3 => (0..rng.usize(0..4))
                .map(|_| value(rng, depth + 1))
                .collect(),
            5 if depth < 3 => serde_json::Value::Object(
                (0..rng.usize(0..4))
                    .map(|_| (piece(rng), value(rng, depth + 1)))
                    .collect(),
            ),
            _ => piece(rng).into(),
        }
    }
    if rng.u8(..) < 30 {
        return (0..rng.usize(0..200)).map(|_| rng.u8(..)).collect();
    }
    let mut object = serde_json::Map::new();
    for _ in 0..rng.usize(0..6) {
        let name = if !members.is_empty() && rng.bool() {
            members[rng.usize(..members.len())].to_owned()
        } else {
            piece(rng)
        };
        object.insert(name, value(rng, 0));
    }
    serde_json::to_vec(&object).unwrap_or_default()
}

#[tokio::test]
async fn arbitrary_requests_get_an_answer_never_a_panic() {
    const MEMBERS: &[&str] = &[
        "Name",
        "AppInstanceArn",
        "ChannelArn",
        "MemberArns",
        "Mode",
        "Privacy",
        "Metadata",
        "Content",
        "Type",
        "Persistence",
        "ClientRequestToken",
        "Tags",
        "Processors",
        "SubChannelId",
        "ElasticChannelConfiguration",
        "Target",
        "MessageAttributes",
        "ExpirationSettings",
    ];
    let model = Model::load().expect("the models");
    let wire = Wire::unbound(Arc::new(
        Emulator::new(Config::default().service()).expect("an emulator"),
    ));
    let mut rng = fastrand::Rng::with_seed(0x00c0_ffee);
    let auth = fake_auth();
    let mut statuses = std::collections::BTreeMap::new();
    for _ in 0..20_000 {
        // Mostly a real route with random labels and query, sometimes a random path.
        let op = &model.operations[rng.usize(..model.operations.len())];
        let mut path = String::new();
        if rng.u8(..) < 20 {
            path.push_str(&format!("/{}", percent(&piece(&mut rng))));
        } else {
            for segment in &op.segments {
                path.push('/');
                match segment {
                    Segment::Literal(text) => path.push_str(text),
                    Segment::Label(_) => path.push_str(&percent(&piece(&mut rng))),
                }
            }
        }
        let mut query: Vec<String> = op
            .literal_query
            .iter()
            .filter(|_| rng.u8(..) > 20)
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        for _ in 0..rng.usize(0..4) {
            let name = [
                "max-results",
                "next-token",
                "not-before",
                "not-after",
                "sort-order",
                "arn",
                "x",
            ][rng.usize(..7)];
            query.push(format!("{name}={}", percent(&piece(&mut rng))));
        }
        let target = format!("{path}?{}", query.join("&"));
        let Ok(uri) = target.parse::<Uri>() else {
            continue;
        };
        let method =
            [Method::GET, Method::POST, Method::PUT, Method::DELETE][rng.usize(..4)].clone();
        let method = if rng.u8(..) < 200 {
            Method::from_bytes(op.method.as_bytes()).unwrap_or(method)
        } else {
            method
        };
        let mut headers = HeaderMap::new();
        if rng.u8(..) < 240 {
            headers.insert(
                "authorization",
                HeaderValue::from_str(&auth).expect("ascii"),
            );
            headers.insert("x-amz-date", HeaderValue::from_static("20260101T000000Z"));
        }
        if rng.bool()
            && let Ok(bearer) = HeaderValue::from_str(&piece(&mut rng))
        {
            headers.insert("x-amz-chime-bearer", bearer);
        }
        let body = body(&mut rng, MEMBERS);
        let response = handle(&wire, &method, &uri, &headers, &body).await;
        let status = response.status().as_u16();
        assert!((200..600).contains(&status));
        assert!(response.headers().contains_key("x-amzn-requestid"));
        if status >= 400 {
            assert!(
                response.headers().contains_key("x-amzn-errortype"),
                "{method} {target}: {status} without a typed error"
            );
        }
        *statuses.entry(status).or_insert(0u32) += 1;
    }
    println!("statuses over 20,000 arbitrary requests: {statuses:?}");
    // The run reached past routing into binding, validation and the operations themselves.
    assert!(statuses.keys().any(|&s| s == 400), "{statuses:?}");
    assert!(statuses.keys().any(|&s| s == 404), "{statuses:?}");
    assert!(statuses.len() >= 4, "{statuses:?}");
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_before_it_is_read() {
    let world = World::new(0).await;
    let big = "x".repeat(MAX_BODY_BYTES + 1);
    let refused = raw(
        &world.running.endpoint,
        "POST",
        "/channels",
        Some(&fake_auth()),
        &big,
    )
    .await;
    assert_eq!(refused.status, 413);
    assert_eq!(refused.headers["x-amzn-errortype"], "BadRequestException");
    assert!(
        refused
            .body
            .contains(&format!("the request body is {} bytes", MAX_BODY_BYTES + 1)),
        "{}",
        refused.body
    );
    // The service goes on answering.
    let fine = raw(
        &world.running.endpoint,
        "GET",
        "/app-instances",
        Some(&fake_auth()),
        "",
    )
    .await;
    assert_eq!(fine.status, 200);
    world.stop().await;
}
