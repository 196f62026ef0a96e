//! Starting a chime-local: the service, the wire, and the local routes the wire serves under
//! `/_chime-local/` (the demo trigger, the console, the control endpoints) wired together here, so
//! no room reaches up to another.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::config::Config;
use crate::console::Console;
use crate::control::Control;
use crate::emulator::Emulator;
use crate::error::ApiError;
use crate::server::{self, LocalRequest, LocalRoutes, RouteFuture, Running, StartError};

/// Starts chime-local on `addr` (port 0 picks a free one) and returns once it accepts requests.
pub async fn start(config: Config, addr: SocketAddr) -> Result<Running, StartError> {
    let emulator = Arc::new(Emulator::new(config.service())?);
    // The first route that serves a path answers it: the control endpoints take the rest.
    let routes: Vec<Arc<dyn LocalRoutes>> = vec![
        Arc::new(DemoRoute),
        Arc::new(Console::default()),
        Arc::new(Control),
    ];
    let credentials = config.client_credentials();
    server::serve(emulator, config.wire(), routes, (addr, credentials)).await
}

/// `POST /_chime-local/demo`: the demo's scripted conversation (an app instance, a flow, a channel
/// and an elastic one, the messages and an edit) run against this chime-local, in the background;
/// answers 202 at once. The console's "Run the demo conversation" button.
struct DemoRoute;

impl LocalRoutes for DemoRoute {
    fn serves(&self, method: &Method, path: &str) -> bool {
        method == Method::POST && path == "/_chime-local/demo"
    }

    fn serve<'a>(&'a self, emulator: &'a Arc<Emulator>, _: LocalRequest<'a>) -> RouteFuture<'a> {
        Box::pin(async move { start_demo(emulator) })
    }
}

fn start_demo(emulator: &Emulator) -> Response {
    let Some(addr) = emulator.store().session_endpoint.get() else {
        return ApiError::bad_request("demo: chime-local is not listening yet").into_response();
    };
    let endpoint = format!("http://{addr}");
    let store = emulator.store();
    let (region, account) = (store.region.clone(), store.account.clone());
    tokio::spawn(async move {
        let patience = std::time::Duration::from_secs(30);
        match super::demo::conversation(&endpoint, &region, &account, patience).await {
            Ok(report) => tracing::info!(messages = report.rows.len(), "demo conversation done"),
            Err(error) => tracing::warn!(error = %error, "demo conversation failed"),
        }
    });
    (
        StatusCode::ACCEPTED,
        axum::Json(serde_json::json!({"Started": true})),
    )
        .into_response()
}
