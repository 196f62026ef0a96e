//! chime-local: a local, wire-compatible Amazon Chime SDK Messaging and Identity service, with channel
//! flows, for the real AWS SDKs, the AWS CLI, boto3 and `cargo lambda`. Routing, request binding and
//! validation come from the vendored service models (crate `chime-api`); operations are only their
//! semantics.
//!
//! Rooms, bottom to top; each uses only the rooms below it (`tests/api/layers.rs` reads the imports
//! and fails on one that points up or sideways):
//! - [`error`] and [`json`]: the service's errors and JSON helpers (and chime-api's [`binding`],
//!   [`model`] and [`validate`]).
//! - [`state`]: app instances, channels and messages, expiry, idempotency tokens, the journal, and the
//!   port a change is announced through ([`state::changes`]).
//! - [`ops`]: the operations' semantics, one module per resource; [`ops::processing`] moves a
//!   message through its flow's processors.
//! - [`processors`]: reaching a flow's processors (in-process or the Lambda Invoke API), Lambda's
//!   asynchronous retry and the failure queue; an in-process callback goes through a port the
//!   service implements.
//! - [`emulator`]: the service object and the operation pipeline every request and in-process
//!   callback goes through (faults, validation, idempotency, the handler, the invocations it starts).
//! - [`server`]: the accept loop, HTTP in (body limit, SigV4, routing and binding), errors as the
//!   service writes them, the messaging WebSocket with its sessions (which implement the change
//!   port), and the port for the local routes under `/_chime-local/`.
//! - [`control`] and [`console`]: chime-local's own endpoints and its web console, as local routes.
//! - [`config`]: what a chime-local starts with, composed of each room's own settings.
//! - [`tools`]: the command line, the demo, run-bootstrap with its Lambda Runtime API, sample
//!   events, the set-up through the SDK, and [`start`], which wires the rooms together.
//! - `testing` (feature `testing`): one test world and a loopback stub server for every crate's
//!   tests and the load generator.
//!
//! [`Emulator`] is the service object; [`Config`] what a chime-local starts with.

pub mod config;
pub mod console;
pub mod control;
pub mod emulator;
pub mod error;
pub mod json;
pub mod ops;
pub mod processors;
pub mod server;
pub mod state;
#[cfg(feature = "testing")]
pub mod testing;
pub mod tools;

pub use config::Config;
pub use emulator::Emulator;
pub use server::{Running, StartError};
pub use tools::launch::start;

/// The models, router, binder and validator, shared with the admin functions (crate `chime-api`).
pub use chime_api::{binding, model, validate};
