//! The vendored service models (`model/*.shapes.json`: Chime SDK Messaging 2021-05-15 and Identity
//! 2021-04-20, as AWS publishes them): every operation's HTTP binding and every shape's constraints. Routing, request binding and validation are
//! driven by this data, so an operation's handler is only its semantics.

use std::collections::{BTreeMap, HashMap};

use regex::Regex;
use serde::Deserialize;

const MESSAGING: &str = include_str!("../model/chime-sdk-messaging-2021-05-15.shapes.json");
const IDENTITY: &str = include_str!("../model/chime-sdk-identity-2021-04-20.shapes.json");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Messaging,
    Identity,
}

#[derive(Debug, Deserialize)]
struct RawModel {
    operations: BTreeMap<String, RawOperation>,
    shapes: HashMap<String, Shape>,
}

#[derive(Debug, Deserialize)]
struct RawOperation {
    http: RawHttp,
    input: Option<ShapeRef>,
    output: Option<ShapeRef>,
    #[serde(default)]
    errors: Vec<ShapeRef>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawHttp {
    method: String,
    request_uri: String,
    response_code: Option<u16>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ShapeRef {
    pub shape: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    pub shape: String,
    /// `uri`, `querystring` or `header`; absent for body members.
    pub location: Option<String>,
    pub location_name: Option<String>,
    /// An idempotency token (`ClientRequestToken`): SDKs fill it in when the caller does not.
    #[serde(default)]
    pub idempotency_token: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Shape {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub members: BTreeMap<String, Member>,
    #[serde(default)]
    pub required: Vec<String>,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub pattern: Option<String>,
    #[serde(rename = "enum")]
    pub allowed: Option<Vec<String>>,
    pub member: Option<ShapeRef>,
    pub key: Option<ShapeRef>,
    pub value: Option<ShapeRef>,
}

/// One piece of a path template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Literal(String),
    Label(String),
}

#[derive(Debug, Clone)]
pub struct Operation {
    pub name: String,
    pub service: Service,
    pub method: String,
    pub segments: Vec<Segment>,
    /// Literal query discriminators (`?operation=redact`, `?scope=message-status`).
    pub literal_query: Vec<(String, String)>,
    pub status: u16,
    pub input: Option<String>,
    pub output: Option<String>,
    /// The error codes the model lists (`BadRequest`, `Forbidden`…), the only ones SDKs type.
    pub errors: Vec<String>,
}

/// Both services' operations and shapes, with every pattern compiled once.
#[derive(Debug)]
pub struct Model {
    pub operations: Vec<Operation>,
    shapes: HashMap<(Service, String), Shape>,
    patterns: HashMap<String, Regex>,
}

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("service model {0:?} is not readable: {1}")]
    Unreadable(Service, serde_json::Error),
    #[error("pattern {0:?} of the service model does not compile: {1}")]
    Pattern(String, regex::Error),
}

impl Model {
    pub fn load() -> Result<Self, ModelError> {
        let mut model = Self {
            operations: Vec::new(),
            shapes: HashMap::new(),
            patterns: HashMap::new(),
        };
        for (service, text) in [
            (Service::Messaging, MESSAGING),
            (Service::Identity, IDENTITY),
        ] {
            let raw: RawModel =
                serde_json::from_str(text).map_err(|e| ModelError::Unreadable(service, e))?;
            for (name, op) in raw.operations {
                let (path, query) = op
                    .http
                    .request_uri
                    .split_once('?')
                    .unwrap_or((&op.http.request_uri, ""));
                model.operations.push(Operation {
                    name,
                    service,
                    method: op.http.method,
                    segments: parse_path(path),
                    literal_query: query
                        .split('&')
                        .filter(|pair| !pair.is_empty())
                        .map(|pair| {
                            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                            (k.to_owned(), v.to_owned())
                        })
                        .collect(),
                    status: op.http.response_code.unwrap_or(200),
                    input: op.input.map(|r| r.shape),
                    output: op.output.map(|r| r.shape),
                    errors: op
                        .errors
                        .iter()
                        .map(|e| e.shape.trim_end_matches("Exception").to_owned())
                        .collect(),
                });
            }
            for (name, shape) in raw.shapes {
                if let Some(pattern) = &shape.pattern
                    && !model.patterns.contains_key(pattern)
                {
                    let compiled = Regex::new(&java_to_rust_pattern(pattern))
                        .map_err(|e| ModelError::Pattern(pattern.clone(), e))?;
                    model.patterns.insert(pattern.clone(), compiled);
                }
                model.shapes.insert((service, name), shape);
            }
        }
        Ok(model)
    }

    pub fn shape(&self, service: Service, name: &str) -> Option<&Shape> {
        self.shapes.get(&(service, name.to_owned()))
    }

    pub fn pattern(&self, pattern: &str) -> Option<&Regex> {
        self.patterns.get(pattern)
    }

    /// The list a paginated operation's output pages over (`ChannelMemberships`…): the output's one
    /// list member, for an operation that takes a `NextToken`.
    pub fn paged_list(&self, op: &Operation) -> Option<&str> {
        let input = self.shape(op.service, op.input.as_deref()?)?;
        if !input.members.contains_key("NextToken") {
            return None;
        }
        let output = self.shape(op.service, op.output.as_deref()?)?;
        output
            .members
            .iter()
            .find(|(_, member)| {
                self.shape(op.service, &member.shape)
                    .is_some_and(|shape| shape.kind == "list")
            })
            .map(|(name, _)| name.as_str())
    }

    pub fn operation(&self, service: Service, name: &str) -> Option<&Operation> {
        self.operations
            .iter()
            .find(|op| op.service == service && op.name == name)
    }
}

fn parse_path(path: &str) -> Vec<Segment> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(
            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(label) => Segment::Label(label.to_owned()),
                None => Segment::Literal(s.to_owned()),
            },
        )
        .collect()
}

/// The models' patterns are Java regexes: `\uXXXXX` code points beyond the BMP need braces in Rust.
/// Smithy patterns are not anchored (a search), which is also how `Regex::is_match` treats them.
fn java_to_rust_pattern(pattern: &str) -> String {
    pattern
        .replace(r"\u10000", r"\u{10000}")
        .replace(r"\u10FFFF", r"\u{10FFFF}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_models_load_with_every_pattern_compiled() {
        let model = Model::load().unwrap();
        assert_eq!(model.operations.len(), 51 + 30);
        let redact = model
            .operation(Service::Messaging, "RedactChannelMessage")
            .unwrap();
        assert_eq!(redact.method, "POST");
        assert_eq!(
            redact.literal_query,
            vec![("operation".to_owned(), "redact".to_owned())]
        );
        assert_eq!(
            redact.segments,
            vec![
                Segment::Literal("channels".into()),
                Segment::Label("channelArn".into()),
                Segment::Literal("messages".into()),
                Segment::Label("messageId".into()),
            ]
        );
        let create = model
            .operation(Service::Identity, "CreateAppInstance")
            .unwrap();
        assert_eq!(create.status, 201);
        let non_bmp = model
            .pattern(
                r"[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]*",
            )
            .unwrap();
        assert!(non_bmp.is_match("héllo 👋"));
    }

    /// Every operation that takes a `NextToken` pages over exactly one list of its output.
    #[test]
    fn every_paginated_operation_names_its_list() {
        let model = Model::load().unwrap();
        let mut paged = 0;
        for op in &model.operations {
            let takes_token = op
                .input
                .as_deref()
                .and_then(|s| model.shape(op.service, s))
                .is_some_and(|s| s.members.contains_key("NextToken"));
            if takes_token {
                paged += 1;
                assert!(model.paged_list(op).is_some(), "{}", op.name);
            }
        }
        assert!(paged >= 16, "{paged}");
        let list = |name| {
            model
                .operation(Service::Messaging, name)
                .and_then(|op| model.paged_list(op))
        };
        assert_eq!(list("ListChannelMemberships"), Some("ChannelMemberships"));
        assert_eq!(list("ListChannelMessages"), Some("ChannelMessages"));
        assert_eq!(list("DescribeChannel"), None);
    }
}
