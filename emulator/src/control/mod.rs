//! chime-local's own endpoints under `/_chime-local/` (unsigned, for tests, tools and the console):
//! faults, the expiry clock, staged processor events, seeded populations, the failure queue and its
//! redrive, the demo conversation.

pub mod faults;
pub mod seed;
pub mod staged;

use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::binding::query_pairs;
use crate::emulator::Emulator;
use crate::ops;
use crate::server::error::ApiError;
use faults::Faults;

impl Emulator {
    /// `/_chime-local/faults` (GET, PUT), `/_chime-local/health`, `GET /_chime-local/failed-events`
    /// and `/_chime-local/pending`, `POST /_chime-local/events` (stage a processor event, see
    /// [`staged::stage_event`]), `POST /_chime-local/clock` (`{"AdvanceSeconds": n}`: move the
    /// expiry clock forward and sweep what expired) and `POST /_chime-local/seed-messages` and
    /// `/_chime-local/seed-users` (history and populations for load tests, see [`seed`]).
    pub(crate) fn control(&self, method: &Method, uri: &Uri, body: &[u8]) -> Response {
        let path = uri.path();
        match (method.as_str(), path) {
            ("GET", "/_chime-local/failed-events") => {
                axum::Json(self.failed.list()).into_response()
            }
            ("GET", "/_chime-local/pending") => self.pending(uri),
            ("GET", "/_chime-local/health") => (StatusCode::OK, "ok").into_response(),
            ("GET", "/_chime-local/faults") => axum::Json(self.faults.snapshot()).into_response(),
            ("PUT", "/_chime-local/faults") => {
                let parsed = serde_json::from_slice::<Faults>(body)
                    .map_err(|e| e.to_string())
                    .and_then(|f| self.set_faults(f));
                match parsed {
                    Ok(()) => StatusCode::NO_CONTENT.into_response(),
                    Err(e) => ApiError::bad_request(format!("fault rules: {e}")).into_response(),
                }
            }
            ("POST", "/_chime-local/clock") => self.advance_clock(body),
            ("POST", "/_chime-local/seed-users") => match seed::seed_users(&self.store, body) {
                Ok(summary) => axum::Json(summary).into_response(),
                Err(e) => e.into_response(),
            },
            ("POST", "/_chime-local/seed-messages") => {
                match seed::seed_messages(&self.store, body) {
                    Ok(summary) => axum::Json(summary).into_response(),
                    Err(e) => e.into_response(),
                }
            }
            ("POST", "/_chime-local/events") => {
                let staged = serde_json::from_slice::<Value>(body)
                    .map_err(|e| ApiError::bad_request(format!("processor event: {e}")))
                    .and_then(|event| staged::stage_event(&self.store, &event));
                match staged {
                    Ok(summary) => axum::Json(ops::without_nulls(summary)).into_response(),
                    Err(e) => e.into_response(),
                }
            }
            _ => ApiError::not_found(format!("no chime-local control endpoint {method} {path}"))
                .into_response(),
        }
    }

    /// `GET /_chime-local/pending?older-than-seconds=N&limit=M`: messages still waiting for their
    /// flow.
    fn pending(&self, uri: &Uri) -> Response {
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
                    &self.store,
                    older,
                    limit as usize,
                ))
                .into_response()
            }
            (Err(e), _) | (_, Err(e)) => e.into_response(),
        }
    }

    /// `POST /_chime-local/clock`: the expiry clock moved forward, then what expired swept.
    fn advance_clock(&self, body: &[u8]) -> Response {
        match serde_json::from_slice::<ClockAdvance>(body) {
            Ok(advance) => {
                self.store
                    .advance_clock(advance.advance_seconds.saturating_mul(1000));
                let swept = crate::state::expiry::sweep(&self.store);
                axum::Json(serde_json::json!({"Swept": swept})).into_response()
            }
            Err(e) => ApiError::bad_request(format!("clock: {e}")).into_response(),
        }
    }

    /// `POST /_chime-local/demo`: the demo's scripted conversation (an app instance, a flow, a
    /// channel and an elastic one, the messages and an edit) run against this chime-local, in the
    /// background; answers 202 at once. The console's "Run the demo conversation" button.
    pub(crate) fn start_demo(&self) -> Response {
        let Some(addr) = self.store.session_endpoint.get() else {
            return ApiError::bad_request("demo: chime-local is not listening yet").into_response();
        };
        let endpoint = format!("http://{addr}");
        let (region, account) = (self.config.region.clone(), self.config.account.clone());
        tokio::spawn(async move {
            let patience = std::time::Duration::from_secs(30);
            match crate::tools::demo::conversation(&endpoint, &region, &account, patience).await {
                Ok(report) => {
                    tracing::info!(messages = report.rows.len(), "demo conversation done")
                }
                Err(error) => tracing::warn!(error = %error, "demo conversation failed"),
            }
        });
        (
            StatusCode::ACCEPTED,
            axum::Json(serde_json::json!({"Started": true})),
        )
            .into_response()
    }

    /// `POST /_chime-local/failed-events/redrive` (`{"Limit"?, "DryRun"?}`): the failure queue
    /// replayed through the processors, with `chime_flow::redrive` as the admin API replays SQS.
    pub(crate) async fn redrive(&self, body: &[u8]) -> Response {
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
        let Some(invokers) = self.invoker.get().cloned() else {
            return ApiError::bad_request("redrive: no processors are connected yet")
                .into_response();
        };
        let limits = chime_flow::redrive::ReplayLimits {
            // The expiry clock: a test that advances it past 48 hours sees the window closed.
            now: Some(
                std::time::UNIX_EPOCH
                    + std::time::Duration::from_millis(self.store.clock().0.max(0) as u64),
            ),
            ..Default::default()
        };
        let report =
            chime_flow::redrive::redrive(self.failed.as_ref(), invokers.as_ref(), request, &limits)
                .await;
        axum::Json(report).into_response()
    }
}

/// `POST /_chime-local/clock`'s body.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct ClockAdvance {
    advance_seconds: i64,
}
