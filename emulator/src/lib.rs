//! chime-local: a local, wire-compatible Amazon Chime SDK Messaging and Identity service, with channel
//! flows, for the real AWS SDKs, the AWS CLI, boto3 and `cargo lambda`. Routing, request binding and
//! validation come from the vendored service models (crate `chime-api`); operations are only their
//! semantics.
//!
//! Layers, outside in:
//! - [`server`]: the accept loop, HTTP in (body limit, SigV4, routing and binding), errors as the
//!   service writes them, the messaging WebSocket with its sessions and event frames; [`start`].
//! - [`dispatch`]: the operation pipeline every request and in-process callback goes through.
//! - [`ops`]: the operations' semantics, one module per resource; [`ops::processing`] moves a
//!   message through its flow's processors.
//! - [`state`]: app instances, channels and messages, expiry, idempotency tokens.
//! - [`processors`]: reaching a flow's processors (in-process or the Lambda Invoke API), Lambda's
//!   asynchronous retry and the failure queue.
//! - [`control`]: chime-local's own endpoints under `/_chime-local/` (faults, clock, staged events).
//! - [`console`]: the web console at `/_chime-local/console/`: every message's journey, live.
//! - [`tools`]: the command line, the demo, run-bootstrap with its Lambda Runtime API, sample events.
//! - [`testing`]: one test world (set-up through the SDK, a loopback stub server) for every
//!   crate's tests, the demo and the load generator.
//!
//! [`Emulator`] is the service object they share; [`Config`] what it starts with.

pub mod config;
pub mod console;
pub mod control;
pub mod dispatch;
pub mod emulator;
pub mod ops;
pub mod processors;
pub mod server;
pub mod state;
pub mod testing;
pub mod tools;

pub use config::Config;
pub use emulator::Emulator;
pub use server::{Running, StartError, start};

/// The models, router, binder and validator, shared with the admin functions (crate `chime-api`).
pub use chime_api::{binding, model, validate};
