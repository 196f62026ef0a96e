//! `chime-flow-core`: Amazon Chime SDK Messaging channel flows without I/O.
//!
//! A channel flow passes each message to a processor (a Lambda function) that decides — keep it,
//! rewrite it, or deny it — and answers with one `ChannelFlowCallback`. This crate is everything
//! about that decision that needs no network, no AWS SDK and no async runtime, so a stage, its
//! tests and its benchmarks build in seconds:
//!
//! - [`event`]: the processor event, parsed tolerantly, with JSON-path errors.
//! - [`stage`]: the [`Stage`] trait (a pure function of a message) and [`AsyncStage`] (one that
//!   awaits I/O within a budget).
//! - [`decision`]: a stage's verdict ([`Decision`]: pass, update, deny) and its [`Edits`].
//! - [`callback`]: the verdict as exactly one [`CallbackRequest`], the service's limits checked.
//! - [`stages`]: the built-in stages (moderation, redaction, enrichment, the pipeline) and the one
//!   [`stages::catalog`] of them; [`config`]: how every stage reads its environment.
//! - [`arn`], [`limits`], [`retry`]: ARNs, the service's limits and the retry policy.
//!
//! The `chime-flow` crate runs stages on AWS Lambda (the runtime, the SDK callback sender, retries,
//! deadlines, metrics) and re-exports everything here.
//!
//! # A stage of your own
//!
//! ```
//! use chime_flow_core::{CallbackRequest, ChannelMessage, Decision, Edits, ProcessorEvent, Stage, StageError};
//!
//! /// Gives a message that names a ticket (`TICKET-123`) a `ticket` attribute.
//! struct Tickets;
//!
//! impl Stage for Tickets {
//!     fn name(&self) -> &str {
//!         "tickets"
//!     }
//!
//!     fn decide(&self, message: &ChannelMessage) -> Result<Decision, StageError> {
//!         let content = message.content.as_deref().unwrap_or_default();
//!         let Some((_, after)) = content.split_once("TICKET-") else {
//!             return Ok(Decision::Pass);
//!         };
//!         let number: String = after.chars().take_while(char::is_ascii_digit).collect();
//!         if number.is_empty() {
//!             return Ok(Decision::Pass);
//!         }
//!         let edits = Edits::default().with_attribute("ticket", vec![format!("TICKET-{number}")]);
//!         Ok(Decision::update(edits))
//!     }
//! }
//!
//! let event = ProcessorEvent::from_slice(
//!     br#"{"CallbackId": "0123456789abcdef0123456789abcdef",
//!          "ChannelMessage": {"MessageId": "m-1", "Content": "see TICKET-42",
//!            "ChannelArn": "arn:aws:chime:us-east-1:111122223333:app-instance/a/channel/c"}}"#,
//! )?;
//! let decision = Tickets.decide(&event.channel_message)?;
//! // What the runtime sends: exactly one ChannelFlowCallback, the service's limits checked.
//! let request = CallbackRequest::for_decision(&event.channel_message, &event.callback_id, &decision)?;
//! assert_eq!(request.message.attributes["ticket"], ["TICKET-42"]);
//! assert!(!request.delete_resource);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

pub mod arn;
pub mod background;
#[cfg(feature = "test-support")]
pub mod bench_input;
pub mod callback;
pub mod config;
pub mod decision;
pub mod event;
pub mod limits;
pub mod retry;
pub mod stage;
pub mod stages;

pub use callback::CallbackRequest;
pub use config::{ConfigError, Env, FailurePolicy, ProcessorConfig};
pub use decision::{Decision, Edits};
pub use event::{ChannelMessage, ProcessorEvent};
pub use stage::{AsyncStage, Stage, StageError, StageFuture};
