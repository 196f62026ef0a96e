//! `chime-flow`: everything Chime SDK Messaging channel-flow processors share.
//!
//! - [`event`]: the processor event, parsed tolerantly, with JSON-path errors.
//! - [`decision`]: a stage's verdict (pass, update, deny) and its edits.
//! - [`callback`]: the verdict as exactly one `ChannelFlowCallback`, the sender port and its SDK adapter.
//! - [`stage`]: the `Stage` trait; [`runtime`]: the shared processor `main`.
//! - [`metrics`]: one Embedded Metric Format line per event; [`redrive`]: replaying failed events.

pub mod arn;
pub mod bench_input;
pub mod callback;
pub mod config;
pub mod decision;
pub mod event;
pub mod idempotency;
pub mod limits;
pub mod metrics;
pub mod redrive;
pub mod retry;
pub mod runtime;
pub mod stage;
pub mod stages;
pub mod telemetry;

pub use callback::{CallbackRequest, CallbackSender, Delivered};
pub use config::{ConfigError, Env, FailurePolicy, ProcessorConfig};
pub use decision::{Decision, Edits};
pub use event::{ChannelMessage, ProcessorEvent};
pub use stage::{Stage, StageError};
