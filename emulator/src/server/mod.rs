//! The wire: the accept loop, HTTP in, SigV4, errors as the service writes them, and the messaging
//! WebSocket with its sessions and event frames.

pub mod error;
pub mod events;
pub mod guard;
pub mod http;
pub mod listener;
pub mod sessions;
pub mod sigv4;
pub mod websocket;

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{Method, Uri};
use axum::response::Response;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::emulator::Emulator;
use crate::model::ModelError;
use sessions::Sessions;
pub use sigv4::LocalCredentials;

/// How often expiration and retention are applied in the background.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// What the wire starts with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// When set, signatures are verified against these credentials; otherwise only their form is.
    pub verify_signatures: Option<LocalCredentials>,
    /// How long a connection may go without sending a complete request head (idle keep-alive
    /// connections included) and a body may take to arrive.
    pub idle_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            verify_signatures: None,
            idle_timeout: listener::IDLE_TIMEOUT,
        }
    }
}

/// A request under `/_chime-local/` as a local route reads it.
pub struct LocalRequest<'a> {
    pub method: &'a Method,
    pub uri: &'a Uri,
    pub body: &'a [u8],
}

pub type RouteFuture<'a> = Pin<Box<dyn Future<Output = Response> + Send + 'a>>;

/// The port for chime-local's own endpoints under `/_chime-local/` (the control endpoints, the
/// console, the demo): whoever starts the server registers them; the first that serves a request
/// answers it.
pub trait LocalRoutes: Send + Sync {
    fn serves(&self, method: &Method, path: &str) -> bool;
    fn serve<'a>(
        &'a self,
        emulator: &'a Arc<Emulator>,
        request: LocalRequest<'a>,
    ) -> RouteFuture<'a>;
}

/// What every connection shares: the service, the wire's settings, who is connected, the local
/// routes and the address listened on (a `Host` naming it is accepted beside loopback names).
pub struct Wire {
    pub emulator: Arc<Emulator>,
    pub settings: Settings,
    pub sessions: Arc<Sessions>,
    pub routes: Vec<Arc<dyn LocalRoutes>>,
    pub bound: std::net::IpAddr,
}

impl Wire {
    /// A wire listening nowhere, for driving [`http::handle`] directly: default settings, nobody
    /// connected, no local routes.
    pub fn unbound(emulator: Arc<Emulator>) -> Arc<Self> {
        Arc::new(Self {
            emulator,
            settings: Settings::default(),
            sessions: Arc::default(),
            routes: Vec::new(),
            bound: std::net::Ipv4Addr::LOCALHOST.into(),
        })
    }
}

/// A running chime-local; dropping it does not stop it, `stop` does.
pub struct Running {
    pub endpoint: String,
    pub addr: SocketAddr,
    pub emulator: Arc<Emulator>,
    task: JoinHandle<()>,
    sweeper: JoinHandle<()>,
}

impl Running {
    /// Stops accepting requests and waits for the server task to end.
    pub async fn stop(mut self) {
        self.sweeper.abort();
        self.emulator.stop();
        let _ = (&mut self.task).await;
    }

    /// Waits until the server ends (for `serve`, which runs until interrupted).
    pub async fn wait(self) {
        let _ = self.task.await;
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error("cannot listen on {addr}: {error}")]
    Bind {
        addr: SocketAddr,
        error: std::io::Error,
    },
}

/// Serves `emulator` on `addr` (port 0 picks a free one) with `routes` under `/_chime-local/`;
/// returns once it accepts requests. In-process processors sign with `credentials`.
pub async fn serve(
    emulator: Arc<Emulator>,
    settings: Settings,
    routes: Vec<Arc<dyn LocalRoutes>>,
    (addr, credentials): (SocketAddr, (String, String)),
) -> Result<Running, StartError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|error| StartError::Bind { addr, error })?;
    let addr = listener
        .local_addr()
        .map_err(|error| StartError::Bind { addr, error })?;
    if !addr.ip().is_loopback() {
        eprintln!(
            "chime-local: warning: listening on {addr}, which is not a loopback address: it is a \
             development service without access control, reachable from other machines"
        );
    }
    let endpoint = format!("http://{addr}");
    // GetMessagingSessionEndpoint's Url is a host without a scheme, as the service's
    // (`id.region.ws-messaging.chime.aws`); clients connect to `/connect` on it.
    let _ = emulator.store.session_endpoint.set(addr.to_string());
    let sessions = Arc::new(Sessions::default());
    emulator.store.set_publisher(sessions.clone());
    emulator.connect_invokers(&endpoint, credentials).await;
    let idle_timeout = settings.idle_timeout;
    let wire = Arc::new(Wire {
        emulator: Arc::clone(&emulator),
        settings,
        sessions,
        routes,
        bound: addr.ip(),
    });
    let app = axum::Router::new().fallback(http::entry).with_state(wire);
    let task = tokio::spawn(listener::serve(
        listener,
        app,
        idle_timeout,
        emulator.stopping(),
    ));
    let swept = Arc::downgrade(&emulator);
    let sweeper = tokio::spawn(async move {
        let mut every = tokio::time::interval(SWEEP_EVERY);
        every.tick().await;
        loop {
            every.tick().await;
            let Some(emulator) = swept.upgrade() else {
                return;
            };
            crate::state::expiry::sweep(&emulator.store);
        }
    });
    Ok(Running {
        endpoint,
        addr,
        emulator,
        task,
        sweeper,
    })
}
