//! An app instance: its identities (users, bots, their endpoints), flows and channels, behind one lock.

use std::collections::BTreeMap;

use serde_json::Value;

use super::channel::Channel;
use super::times_and_ids::Millis;
use crate::error::ApiError;

/// The app instance ARN an ARN belongs to (`…:app-instance/ID` up to the next `/`).
pub use chime_flow::arn::app_instance_of as instance_of;

#[derive(Debug, Clone)]
pub struct User {
    pub arn: String,
    pub name: String,
    pub metadata: Option<String>,
    pub expiration: Option<Value>,
    pub created: Millis,
    pub updated: Millis,
    /// Push endpoints by EndpointId.
    pub endpoints: BTreeMap<String, Endpoint>,
}

impl User {
    pub fn new(arn: &str, name: &str, at: Millis) -> Self {
        Self {
            arn: arn.to_owned(),
            name: name.to_owned(),
            metadata: None,
            expiration: None,
            created: at,
            updated: at,
            endpoints: BTreeMap::new(),
        }
    }
}

/// A user's push endpoint (APNS or GCM device), as registered.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub name: Option<String>,
    pub kind: String,
    pub resource_arn: String,
    /// `DeviceToken` and `VoipDeviceToken` as given.
    pub attributes: Value,
    pub allow_messages: String,
    pub created: Millis,
    pub updated: Millis,
}

/// An AppInstanceBot: an identity like a user (bearer, channel member) backed by a Lex bot.
#[derive(Debug, Clone)]
pub struct Bot {
    pub arn: String,
    pub name: String,
    pub metadata: Option<String>,
    /// `{"Lex": {...}}` as given.
    pub configuration: Value,
    pub created: Millis,
    pub updated: Millis,
}

#[derive(Debug, Clone)]
pub struct Flow {
    pub arn: String,
    pub name: String,
    /// The processors as sent (the model's shape), kept sorted by ExecutionOrder.
    pub processors: Vec<Value>,
    pub created: Millis,
    pub updated: Millis,
}

#[derive(Debug, Clone)]
pub struct Instance {
    pub arn: String,
    pub name: String,
    pub metadata: Option<String>,
    pub created: Millis,
    pub updated: Millis,
    pub users: BTreeMap<String, User>,
    pub admins: BTreeMap<String, Millis>,
    pub channels: BTreeMap<String, Channel>,
    pub flows: BTreeMap<String, Flow>,
    pub bots: BTreeMap<String, Bot>,
    /// Resource ARN (the instance, a user, a bot, a channel, a flow) → its tags.
    pub tags: BTreeMap<String, BTreeMap<String, String>>,
    /// `AppInstanceRetentionSettings` as put, and when that put started deletions.
    pub retention: Option<(Value, Millis)>,
    /// `StreamingConfigurations` as put.
    pub streaming: Option<Value>,
}

impl Instance {
    /// An app instance with nothing in it yet.
    pub fn new(arn: &str, name: &str, metadata: Option<String>, at: Millis) -> Self {
        Self {
            arn: arn.to_owned(),
            name: name.to_owned(),
            metadata,
            created: at,
            updated: at,
            users: BTreeMap::new(),
            admins: BTreeMap::new(),
            channels: BTreeMap::new(),
            flows: BTreeMap::new(),
            bots: BTreeMap::new(),
            tags: BTreeMap::new(),
            retention: None,
            streaming: None,
        }
    }

    /// The name of a user or bot (empty when it no longer exists).
    pub fn display_name(&self, arn: &str) -> String {
        match self.users.get(arn) {
            Some(user) => user.name.clone(),
            None => self
                .bots
                .get(arn)
                .map(|b| b.name.clone())
                .unwrap_or_default(),
        }
    }

    /// Whether `arn` is an identity of this instance that can act and be a member: a user or a bot.
    pub fn is_identity(&self, arn: &str) -> bool {
        self.users.contains_key(arn) || self.bots.contains_key(arn)
    }

    /// An identity leaves for good: its admin role, tags, and every channel's memberships,
    /// moderator roles and bans go with it, so nothing dangles.
    pub fn forget_identity(&mut self, arn: &str) {
        self.admins.remove(arn);
        self.tags.remove(arn);
        for channel in self.channels.values_mut() {
            channel.remove_member(arn);
            channel.moderators.remove(arn);
            channel.bans.remove(arn);
        }
    }

    /// Removes a channel and its tags; whether it existed.
    pub fn remove_channel(&mut self, arn: &str) -> bool {
        self.tags.remove(arn);
        self.channels.remove(arn).is_some()
    }

    pub fn channel(&self, arn: &str) -> Result<&Channel, ApiError> {
        self.channels
            .get(arn)
            .ok_or_else(|| ApiError::not_found(format!("channel {arn} not found")))
    }

    pub fn channel_mut(&mut self, arn: &str) -> Result<&mut Channel, ApiError> {
        self.channels
            .get_mut(arn)
            .ok_or_else(|| ApiError::not_found(format!("channel {arn} not found")))
    }
}
