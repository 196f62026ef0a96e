//! The built-in stages: pure functions of a message and their configuration, and the pipeline that
//! chains them inside one function; [`catalog`] is the one table of them all.

pub mod catalog;
#[cfg(feature = "classifier")]
pub mod classifier;
#[cfg(feature = "enrichment")]
pub mod enrichment;
#[cfg(feature = "enrichment")]
pub mod language;
pub mod metadata;
#[cfg(feature = "moderation")]
pub mod moderation;
pub mod pipeline;
#[cfg(feature = "redaction")]
pub mod redaction;
