//! Processors of one's own, built on `chime-flow` as a team outside this workspace would build them:
//!
//! - `src/bin/tickets.rs`: a synchronous stage and its `main` in 30 lines (the README's "Write your
//!   own processor" block, verbatim).
//! - [`webhook`]: a stage that awaits a team's own HTTP moderation service; `src/bin/webhook.rs` runs it.

pub mod webhook;
