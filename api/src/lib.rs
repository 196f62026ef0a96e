//! The Chime SDK Messaging and Identity service models, vendored (`model/*.shapes.json`, as AWS
//! publishes them), and what is driven by them alone: the router (method, path template,
//! literal query → operation), the binder (labels, query, headers, JSON body → one input object named
//! as the model names its members) and the validator (required members, types, lengths, ranges,
//! patterns, enums, the kind of ARN a member holds, the member named in every refusal).
//! chime-local serves requests with it; the admin functions check their input with the same rules
//! before calling AWS.
//!
//! - [`model`]: both services' operations and shapes, typed, every pattern compiled once.
//! - [`binding`]: request → operation and input (router and binder).
//! - [`validate`]: the one validator; [`arn_kind`]: which kind of ARN each member holds.

pub mod arn_kind;
pub mod binding;
pub mod model;
pub mod validate;

pub use model::{Model, ModelError, Operation, Service, Shape};

/// Input the model refuses, or a request no operation matches. The message names what was wrong
/// (a member, a query parameter, a header), never a value that could be message content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ModelRefusal {
    pub kind: RefusalKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// The input breaks the model (a 400).
    BadRequest,
    /// No operation has this method, path and query (a 404).
    NoRoute,
}

impl ModelRefusal {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self {
            kind: RefusalKind::BadRequest,
            message: message.into(),
        }
    }

    /// The member a refusal names and what is wrong with it: `MaxResults: 51 is out of range` →
    /// (`MaxResults`, `51 is out of range`); a message that names no member (its head has a space,
    /// like `query max-results`, or there is none) → (`None`, the whole message).
    pub fn field_and_problem(&self) -> (Option<&str>, &str) {
        match self.message.split_once(": ") {
            Some((field, problem)) if !field.contains(' ') => (Some(field), problem),
            _ => (None, &self.message),
        }
    }

    pub fn no_route(message: impl Into<String>) -> Self {
        Self {
            kind: RefusalKind::NoRoute,
            message: message.into(),
        }
    }
}
