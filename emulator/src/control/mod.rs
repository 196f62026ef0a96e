//! chime-local's own endpoints under `/_chime-local/` (unsigned, for tests, tools and the console):
//! faults, the expiry clock, staged processor events, seeded populations, the failure queue and its
//! redrive. Registered with the server as a local route; it answers every path under
//! `/_chime-local/` no other route serves (unknown ones with 404).

pub mod seed;
pub mod staged;

use std::sync::Arc;

use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::binding::query_pairs;
use crate::emulator::Emulator;
use crate::emulator::faults::Faults;
use crate::error::ApiError;
use crate::server::http::LOCAL_PREFIX;
use crate::server::{LocalRequest, LocalRoutes, RouteFuture};

/// The control endpoints, as a local route.
pub struct Control;

impl LocalRoutes for Control {
    fn serves(&self, _method: &Method, path: &str) -> bool {
        path.starts_with(LOCAL_PREFIX)
    }

    fn serve<'a>(
        &'a self,
        emulator: &'a Arc<Emulator>,
        request: LocalRequest<'a>,
    ) -> RouteFuture<'a> {
        Box::pin(async move {
            let LocalRequest { method, uri, body } = request;
            if uri.path() == "/_chime-local/failed-events/redrive" && method == Method::POST {
                return redrive(emulator, body).await;
            }
            control(emulator, method, uri, body)
        })
    }
}

/// `/_chime-local/faults` (GET, PUT), `/_chime-local/health`, `GET /_chime-local/failed-events`
/// and `/_chime-local/pending`, `POST /_chime-local/events` (stage a processor event, see
/// [`staged::stage_event`]), `POST /_chime-local/clock` (`{"AdvanceSeconds": n}`: move the
/// expiry clock forward and sweep what expired) and `POST /_chime-local/seed-messages` and
/// `/_chime-local/seed-users` (history and populations for load tests, see [`seed`]).
fn control(emulator: &Emulator, method: &Method, uri: &Uri, body: &[u8]) -> Response {
    let path = uri.path();
    match (method.as_str(), path) {
        ("GET", "/_chime-local/failed-events") => {
            axum::Json(emulator.failed.list()).into_response()
        }
        ("GET", "/_chime-local/pending") => pending(emulator, uri),
        ("GET", "/_chime-local/health") => (StatusCode::OK, "ok").into_response(),
        ("GET", "/_chime-local/faults") => axum::Json(emulator.faults.snapshot()).into_response(),
        ("PUT", "/_chime-local/faults") => {
            let parsed = serde_json::from_slice::<Faults>(body)
                .map_err(|e| e.to_string())
                .and_then(|f| emulator.set_faults(f));
            match parsed {
                Ok(()) => StatusCode::NO_CONTENT.into_response(),
                Err(e) => ApiError::bad_request(format!("fault rules: {e}")).into_response(),
            }
        }
        ("POST", "/_chime-local/clock") => advance_clock(emulator, body),
        ("POST", "/_chime-local/seed-users") => match seed::seed_users(&emulator.store, body) {
            Ok(summary) => axum::Json(summary).into_response(),
            Err(e) => e.into_response(),
        },
        ("POST", "/_chime-local/seed-messages") => {
            match seed::seed_messages(&emulator.store, body) {
                Ok(summary) => axum::Json(summary).into_response(),
                Err(e) => e.into_response(),
            }
        }
        ("POST", "/_chime-local/events") => {
            let staged = serde_json::from_slice::<Value>(body)
                .map_err(|e| ApiError::bad_request(format!("processor event: {e}")))
                .and_then(|event| staged::stage_event(&emulator.store, &event));
            match staged {
                Ok(summary) => axum::Json(crate::json::without_nulls(summary)).into_response(),
                Err(e) => e.into_response(),
            }
        }
        _ => ApiError::not_found(format!("no chime-local control endpoint {method} {path}"))
            .into_response(),
    }
}

/// `GET /_chime-local/pending?older-than-seconds=N&limit=M`: messages still waiting for their
/// flow.
fn pending(emulator: &Emulator, uri: &Uri) -> Response {
    let query = query_pairs(uri.query().unwrap_or_default()).unwrap_or_default();
    let number = |name: &str, default: i64| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map_or(Ok(default), |(_, v)| {
                v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "{name}: {v:?} is not a whole number of 0 or more"
                    ))
                })
            })
    };
    match (number("older-than-seconds", 0), number("limit", 100)) {
        (Ok(older), Ok(limit)) => {
            axum::Json(crate::processors::failed_events::pending_longer_than(
                &emulator.store,
                older,
                limit as usize,
            ))
            .into_response()
        }
        (Err(e), _) | (_, Err(e)) => e.into_response(),
    }
}

/// `POST /_chime-local/clock`: the expiry clock moved forward, then what expired swept.
fn advance_clock(emulator: &Emulator, body: &[u8]) -> Response {
    match serde_json::from_slice::<ClockAdvance>(body) {
        Ok(advance) => {
            emulator
                .store
                .advance_clock(advance.advance_seconds.saturating_mul(1000));
            let swept = crate::state::expiry::sweep(&emulator.store);
            axum::Json(serde_json::json!({"Swept": swept})).into_response()
        }
        Err(e) => ApiError::bad_request(format!("clock: {e}")).into_response(),
    }
}

/// `POST /_chime-local/failed-events/redrive` (`{"Limit"?, "DryRun"?}`): the failure queue
/// replayed through the processors, with `chime_flow::redrive` as the admin API replays SQS.
async fn redrive(emulator: &Emulator, body: &[u8]) -> Response {
    let request = if body.iter().all(u8::is_ascii_whitespace) {
        Ok(chime_flow::redrive::RedriveRequest::default())
    } else {
        serde_json::from_slice::<chime_flow::redrive::RedriveRequest>(body)
            .map_err(|e| e.to_string())
    }
    .and_then(|request| request.check().map(|()| request));
    let request = match request {
        Ok(request) => request,
        Err(problem) => {
            return ApiError::bad_request(format!("redrive: {problem}")).into_response();
        }
    };
    let Some(invokers) = emulator.invoker.get().cloned() else {
        return ApiError::bad_request("redrive: no processors are connected yet").into_response();
    };
    let limits = chime_flow::redrive::ReplayLimits {
        // The expiry clock: a test that advances it past 48 hours sees the window closed.
        now: Some(
            std::time::UNIX_EPOCH
                + std::time::Duration::from_millis(emulator.store.clock().0.max(0) as u64),
        ),
        ..Default::default()
    };
    let report = chime_flow::redrive::redrive(
        emulator.failed.as_ref(),
        invokers.as_ref(),
        request,
        &limits,
    )
    .await;
    axum::Json(report).into_response()
}

/// `POST /_chime-local/clock`'s body.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct ClockAdvance {
    advance_seconds: i64,
}
