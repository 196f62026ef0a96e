//! The console: a web page served by chime-local itself at `/_chime-local/console/` that shows
//! every app instance, channel and message, each message's journey through its flow, live; and acts
//! (send, edit, faults, the clock, staged events, the demo conversation) only through the service's
//! operations and chime-local's control endpoints, so it adds no second path. Its page, script and
//! style are compiled into the binary: it works offline and loads nothing from elsewhere.
//!
//! - [`views`]: what the page reads, as JSON.
//! - [`live`]: the feed of changed messages, as server-sent events.
//! - [`samples`]: the sample processor events of `tests/events/`, to stage.

pub mod live;
pub mod samples;
pub mod views;

use std::sync::Arc;

use axum::http::{Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::binding::query_pairs;
use crate::emulator::Emulator;
use crate::error::ApiError;
use crate::server::{LocalRequest, LocalRoutes, RouteFuture};

/// The console, as a local route; it counts its live readers (at most [`live::MAX_LIVE_READERS`]).
#[derive(Default)]
pub struct Console {
    live_readers: Arc<std::sync::atomic::AtomicUsize>,
}

impl LocalRoutes for Console {
    fn serves(&self, _method: &Method, path: &str) -> bool {
        path.starts_with(PATH)
    }

    fn serve<'a>(
        &'a self,
        emulator: &'a Arc<Emulator>,
        request: LocalRequest<'a>,
    ) -> RouteFuture<'a> {
        Box::pin(async move { serve(self, emulator, request.method, request.uri) })
    }
}

/// Where the console is served.
pub const PATH: &str = "/_chime-local/console/";

/// The console's URL on a chime-local serving at `endpoint` (`http://127.0.0.1:8000`).
pub fn url(endpoint: &str) -> String {
    format!("{}{PATH}", endpoint.trim_end_matches('/'))
}

const INDEX: &str = include_str!("assets/index.html");
const SCRIPT: &str = include_str!("assets/console.js");
const STYLE: &str = include_str!("assets/console.css");

/// `GET /_chime-local/console/…`: the page, its script and style, and its API.
fn serve(console: &Console, emulator: &Arc<Emulator>, method: &Method, uri: &Uri) -> Response {
    if method != Method::GET {
        return ApiError::bad_request(format!("the console answers GET only, not {method}"))
            .into_response();
    }
    let path = uri.path().strip_prefix(PATH).unwrap_or_default();
    let query = query_pairs(uri.query().unwrap_or_default()).unwrap_or_default();
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let store = emulator.store();
    let json = |value: serde_json::Value| axum::Json(value).into_response();
    match path {
        "" | "index.html" => asset(INDEX, "text/html; charset=utf-8"),
        "console.js" => asset(SCRIPT, "text/javascript; charset=utf-8"),
        "console.css" => asset(STYLE, "text/css; charset=utf-8"),
        "api/overview" => json(views::overview(store)),
        "api/samples" => json(samples::listing()),
        "api/events" => live::events(&console.live_readers, emulator, param("channel")),
        "api/members" | "api/messages" | "api/message" => match channel_api(store, path, &param) {
            Ok(value) => axum::Json(value).into_response(),
            Err(error) => error.into_response(),
        },
        other => ApiError::not_found(format!("the console has no {PATH}{other}")).into_response(),
    }
}

/// The views of one channel (`?channel=ARN`): its members, a page of its messages, one message.
fn channel_api(
    store: &crate::state::Store,
    path: &str,
    param: &dyn Fn(&str) -> Option<String>,
) -> Result<serde_json::Value, ApiError> {
    let channel = param("channel")
        .ok_or_else(|| ApiError::bad_request("channel: missing, it names the channel's ARN"))?;
    let number = |name: &str, max: usize| {
        param(name)
            .map(|text| {
                text.parse::<usize>()
                    .ok()
                    .filter(|n| *n <= max)
                    .ok_or_else(|| {
                        ApiError::bad_request(format!(
                            "{name}: {text:?} is not a whole number up to {max}"
                        ))
                    })
            })
            .transpose()
    };
    let found = match path {
        "api/members" => {
            let limit = number("limit", views::LISTED)?.unwrap_or(views::LISTED);
            views::members(store, &channel, limit)
        }
        "api/messages" => {
            let before = number("before", usize::MAX)?;
            let limit = number("limit", views::MAX_PAGE)?.unwrap_or(views::PAGE);
            views::messages(store, &channel, before, limit)
        }
        _ => {
            let id = param("id")
                .ok_or_else(|| ApiError::bad_request("id: missing, it names the message"))?;
            views::message(store, &channel, &id)
        }
    };
    found.map_err(ApiError::not_found)
}

/// A compiled-in file, never cached stale: the page is tiny and chime-local may be rebuilt.
fn asset(body: &'static str, content_type: &'static str) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}
