//! chime-local: a local, wire-compatible Amazon Chime SDK Messaging and Identity service, with channel
//! flows, for the real AWS SDKs, the AWS CLI, boto3 and `cargo lambda`. Routing, request binding and
//! validation come from the vendored service models (crate `chime-api`); operations are only their
//! semantics.

pub mod bootstrap_run;
pub mod demo;
pub mod error;
pub mod expiry;
pub mod failed_events;
pub mod faults;
pub mod flow;
pub mod idempotency;
pub mod listener;
pub mod ops;
pub mod runtime_api;
pub mod sample_events;
pub mod service;
pub mod sessions;
pub mod sigv4;
pub mod store;
pub mod websocket;

pub use service::{Config, Emulator, Running, StartError, start};

/// The models, router, binder and validator, shared with the admin functions (crate `chime-api`).
pub use chime_api::{binding, model, validate};
