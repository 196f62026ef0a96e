//! The HTTP/1.1 accept loop, with the bounds a slow or hostile client must not get past: a request
//! head larger than [`MAX_HEADER_BYTES`] is refused (431), a connection that sends no complete head
//! within the idle timeout — between requests or in the middle of one — is closed, and a body that
//! does not arrive within the same time is answered 408 (see `service::entry`). Stopping refuses
//! new connections and lets the open ones finish what they are answering.

use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// The largest request head (request line and headers). A Chime request's head is well under
/// 4 KiB: a SigV4 Authorization header, a bearer ARN of at most 1,600 characters, a few more.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// By default, how long a connection may sit without sending a complete request head (idle
/// keep-alive connections included), and how long a body may take to arrive.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// The most connections served at once; past it, new ones wait in the kernel's backlog until one
/// closes (a client cannot make chime-local hold unbounded tasks and sockets).
pub const MAX_CONNECTIONS: usize = 1024;

/// How long stopping waits for open connections to finish their answers.
const DRAIN: Duration = Duration::from_secs(5);

/// Serves `app` on `listener` until `stopping` turns true.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    idle: Duration,
    mut stopping: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        tokio::select! {
            accepted = async {
                let slot = std::sync::Arc::clone(&slots).acquire_owned().await;
                (slot, listener.accept().await)
            } => {
                let (Ok(slot), Ok((stream, _))) = accepted else {
                    // Out of descriptors or a reset before accept: keep serving the others.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let served = connection(stream, app.clone(), idle, stopping.clone());
                connections.spawn(async move {
                    served.await;
                    drop(slot);
                });
            }
            _ = stopping.changed() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(DRAIN, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.abort_all();
    }
}

async fn connection(
    stream: tokio::net::TcpStream,
    app: Router,
    idle: Duration,
    mut stopping: watch::Receiver<bool>,
) {
    let service = TowerToHyperService::new(app);
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(idle)
        .max_header_size(MAX_HEADER_BYTES);
    let connection = builder
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        _ = stopping.changed() => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}
