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

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::emulator::Emulator;
use crate::model::ModelError;

/// How often expiration and retention are applied in the background.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

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
        self.emulator.stopping.send_replace(true);
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

/// Starts chime-local on `addr` (port 0 picks a free one) and returns once it accepts requests.
pub async fn start(config: Config, addr: SocketAddr) -> Result<Running, StartError> {
    let emulator = Arc::new(Emulator::new(config)?);
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
    let _ = emulator.bound.set(addr.ip());
    let endpoint = format!("http://{addr}");
    // GetMessagingSessionEndpoint's Url is a host without a scheme, as the service's
    // (`id.region.ws-messaging.chime.aws`); clients connect to `/connect` on it.
    let _ = emulator.store.session_endpoint.set(addr.to_string());
    emulator.connect_invokers(&endpoint).await;
    let app = axum::Router::new()
        .fallback(http::entry)
        .with_state(Arc::clone(&emulator));
    let task = tokio::spawn(crate::server::listener::serve(
        listener,
        app,
        emulator.config.idle_timeout,
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
