//! The built-in stages: pure functions of a message and their configuration, and the pipeline that
//! chains them inside one function; [`catalog`] is the one table of them all.

pub mod catalog;
pub mod classifier;
pub mod enrichment;
pub mod language;
pub mod metadata;
pub mod moderation;
pub mod pipeline;
pub mod redaction;
