//! The built-in stages: pure functions of a message and their configuration.

pub mod moderation;
