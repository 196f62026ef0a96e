//! What the runtime's test binaries share: a processor event, a configuration, and stages that
//! answer a fixed decision or panic.

#![allow(dead_code)]

use chime_flow::{
    ChannelMessage, Decision, Env, FailurePolicy, ProcessorConfig, Stage, StageError,
};
use serde_json::{Value, json};

/// A processor event in an elastic channel, with metadata and an attribute whose values must never
/// reach a log (`Zorblax`).
pub fn event(content: &str) -> Value {
    json!({
        "EventType": "CHANNEL_MESSAGE_EVENT",
        "CallbackId": "0123456789abcdef0123456789abcdef",
        "ChannelMessage": {
            "MessageId": "msg-1",
            "ChannelArn": "arn:aws:chime:us-east-1:123456789012:app-instance/app/channel/chan",
            "SubChannelId": "sub-7",
            "Content": content,
            "Metadata": "{\"secretMeta\":\"Zorblax\"}",
            "MessageAttributes": {"secretAttr": {"StringValues": ["Zorblax-attr"]}}
        }
    })
}

/// A processor's configuration from `pairs` as its environment, with `policy` as the default.
pub fn config(policy: FailurePolicy, pairs: &[(&str, &str)]) -> ProcessorConfig {
    ProcessorConfig::from_env(&Env::from_pairs(pairs.iter().copied()), policy)
        .expect("a valid test configuration")
}

/// A stage that always decides the same.
pub struct Fixed(pub Result<Decision, StageError>);

impl Stage for Fixed {
    fn name(&self) -> &str {
        "fixed"
    }

    fn decide(&self, _: &ChannelMessage) -> Result<Decision, StageError> {
        self.0.clone()
    }
}

/// A stage with a bug: it panics, naming the text it was reading (which must not be logged).
pub struct Panics;

impl Stage for Panics {
    fn name(&self) -> &str {
        "panics"
    }

    fn decide(&self, message: &ChannelMessage) -> Result<Decision, StageError> {
        panic!("stage bug while reading {}", message.text());
    }
}
