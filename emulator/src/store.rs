//! The emulator's state. Everything in Chime SDK Messaging belongs to one app instance (its users,
//! admins, channels and flows all carry the instance ARN as their prefix), so there is one lock per app
//! instance: requests on different instances never wait on each other, and no lock is held across an
//! await (processor invocations run after the lock is released).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::error::ApiError;

/// A point in time in whole milliseconds since the epoch: how times are kept and compared, so that
/// "everything since the last message I saw" can never drop one to a rounding difference. On the wire
/// (JSON epoch seconds) it is written as seconds with the milliseconds as fraction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Millis(pub i64);

impl Millis {
    /// The nearest millisecond to a time in nanoseconds. Rounding, not truncating: a client that read
    /// `1732612345.678` as a float holds `…45.677999973` and sends that back; it means `.678`.
    pub fn from_nanos(nanos: i128) -> Self {
        Self(nanos.div_euclid(1_000_000) as i64 + i64::from(nanos.rem_euclid(1_000_000) >= 500_000))
    }

    pub fn nanos(self) -> i128 {
        i128::from(self.0) * 1_000_000
    }
}

impl serde::Serialize for Millis {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // The shortest decimal that reads back as this f64 is exactly the milliseconds' decimal.
        serializer.serialize_f64(self.0 as f64 / 1000.0)
    }
}

/// Now, to the millisecond, as the service reports times.
pub fn now() -> Millis {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Millis(since.as_millis() as i64)
}

/// ISO-8601 with milliseconds (`2026-11-25T19:08:10.123Z`), as processor events carry times.
pub fn iso8601(at: Millis) -> String {
    let Ok(at) = time::OffsetDateTime::from_unix_timestamp_nanos(at.nanos()) else {
        return String::new();
    };
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    at.format(&format).unwrap_or_default()
}

/// The static copy of a validated enum value (the validator has already refused others; an
/// unknown value falls back to the first).
pub fn one_of(value: &str, values: &[&'static str]) -> &'static str {
    values
        .iter()
        .find(|v| **v == value)
        .or(values.first())
        .copied()
        .unwrap_or("")
}

pub const PERSISTENCE: [&str; 2] = ["PERSISTENT", "NON_PERSISTENT"];
pub const MESSAGE_TYPES: [&str; 2] = ["STANDARD", "CONTROL"];

/// A random lowercase hex id of `len` characters.
pub fn random_hex(len: usize) -> String {
    (0..len)
        .map(|_| char::from_digit(fastrand::u32(0..16), 16).unwrap_or('0'))
        .collect()
}

/// A UUID-shaped random id (what the service uses for instance, channel and flow ids).
pub fn random_uuid() -> String {
    let hex = random_hex(32);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elastic {
    pub maximum_sub_channels: i64,
    pub target_per_sub_channel: i64,
    pub minimum_percentage: i64,
}

impl Elastic {
    /// Below this many members a sub-channel is merged away: ceil(percentage × target / 100).
    pub fn minimum_members(&self) -> usize {
        ((self.minimum_percentage * self.target_per_sub_channel + 99) / 100) as usize
    }
}

#[derive(Debug, Clone)]
pub struct Membership {
    pub kind: String,
    pub invited_by: String,
    pub sub_channel: Option<String>,
    pub created: Millis,
    pub updated: Millis,
    pub read_marker: Option<Millis>,
    /// `{"PushNotifications": {...}}` as last put.
    pub preferences: Option<Value>,
}

impl Membership {
    pub fn new(kind: &str, invited_by: &str, sub_channel: Option<String>, at: Millis) -> Self {
        Self {
            kind: kind.to_owned(),
            invited_by: invited_by.to_owned(),
            sub_channel,
            created: at,
            updated: at,
            read_marker: None,
            preferences: None,
        }
    }
}

/// Who made someone a moderator, or banned them, and when.
#[derive(Debug, Clone)]
pub struct Grant {
    pub created_by: String,
    pub created: Millis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Sent,
    Pending,
    Failed,
    Denied,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Sent => "SENT",
            Status::Pending => "PENDING",
            Status::Failed => "FAILED",
            Status::Denied => "DENIED",
        }
    }
}

/// What a message says: the part a processor sees and may rewrite.
#[derive(Debug, Clone, PartialEq)]
pub struct Body {
    pub content: String,
    pub metadata: Option<String>,
    pub content_type: Option<String>,
    pub attributes: Option<Value>,
    pub push: Option<Value>,
}

impl Body {
    /// Content and nothing else.
    pub fn text(content: impl Into<String>) -> Self {
        Self {
            content: content.into(),
            metadata: None,
            content_type: None,
            attributes: None,
            push: None,
        }
    }
}

/// A message waiting for its flow: which processor holds it, under which CallbackId, with which body.
#[derive(Debug, Clone)]
pub struct Pending {
    pub callback_id: String,
    /// Index into the flow's processors (sorted by ExecutionOrder).
    pub processor: usize,
    pub processors: Vec<Value>,
    /// The body travelling through the flow (a new message's, or an edit's).
    pub body: Body,
    /// When this is an edit: the time of the edit (the event's LastEditedTimestamp).
    pub edited_at: Option<Millis>,
}

#[derive(Debug, Clone)]
pub struct Message {
    pub id: String,
    pub sub_channel: Option<String>,
    pub body: Body,
    pub sender: String,
    /// `PERSISTENT` or `NON_PERSISTENT` (see [`one_of`]): a static string, not one allocation per message.
    pub persistence: &'static str,
    /// `STANDARD` or `CONTROL`.
    pub kind: &'static str,
    pub target: Option<Value>,
    pub created: Millis,
    pub updated: Millis,
    pub last_edited: Option<Millis>,
    pub redacted: bool,
    pub deleted: bool,
    pub status: Status,
    pub detail: Option<String>,
    /// Boxed: most messages are not in a flow, and an inline `Pending` would double their size.
    pub pending: Option<Box<Pending>>,
    /// CallbackIds already answered for this message, so a repeat is refused as non-pending.
    pub used_callbacks: Vec<String>,
}

impl Message {
    /// A persistent, standard message sent at `at`, SENT, not in a sub-channel, targeted at nobody;
    /// callers set what differs with struct update syntax.
    pub fn new(id: impl Into<String>, sender: impl Into<String>, body: Body, at: Millis) -> Self {
        Self {
            id: id.into(),
            sub_channel: None,
            body,
            sender: sender.into(),
            persistence: "PERSISTENT",
            kind: "STANDARD",
            target: None,
            created: at,
            updated: at,
            last_edited: None,
            redacted: false,
            deleted: false,
            status: Status::Sent,
            detail: None,
            pending: None,
            used_callbacks: Vec::new(),
        }
    }

    /// Whether lists and reads show it: stored, not deleted, not dropped by a flow.
    pub fn visible(&self) -> bool {
        self.persistence == "PERSISTENT"
            && !self.deleted
            && !matches!(self.status, Status::Denied | Status::Failed)
    }

    /// Whether `user` may see it at all: a targeted message (`Target`) is for its sender and its
    /// targets only — not other members, moderators or admins.
    pub fn is_for(&self, user: &str) -> bool {
        match self.target.as_ref().and_then(Value::as_array) {
            Some(targets) if !targets.is_empty() => {
                self.sender == user
                    || targets
                        .iter()
                        .any(|t| t.get("MemberArn").and_then(Value::as_str) == Some(user))
            }
            _ => true,
        }
    }

    /// Whether others see it: SENT, or SENT before and now PENDING for an edit (its old text shows
    /// until the flow decides). A new message in its flow is seen by its sender only.
    pub fn shown(&self) -> bool {
        self.status == Status::Sent || self.pending.as_ref().is_some_and(|p| p.edited_at.is_some())
    }
}

#[derive(Debug, Clone)]
pub struct Channel {
    pub arn: String,
    pub name: String,
    pub mode: String,
    pub privacy: String,
    pub metadata: Option<String>,
    pub expiration: Option<Value>,
    pub created_by: String,
    pub created: Millis,
    pub updated: Millis,
    pub last_message: Option<Millis>,
    pub elastic: Option<Elastic>,
    pub flow: Option<String>,
    pub moderators: BTreeMap<String, Grant>,
    /// Banned users: never members while the ban stands.
    pub bans: BTreeMap<String, Grant>,
    /// Private so that every change goes through [`Channel::insert_member`] and friends, which keep
    /// the sub-channel sizes true.
    members: BTreeMap<String, Membership>,
    /// Elastic channels: the sub-channels that exist, in opening order, with their member counts
    /// (kept as members come and go, so placing a member costs the number of sub-channels, not
    /// the number of members; a sub-channel can be empty right after it opens).
    sub_channels: Vec<(String, usize)>,
    pub next_sub_channel: u64,
    /// In send order, which is also `created` order (see [`Channel::push_message`]); messages are
    /// flagged deleted, never removed, so positions stay valid. Boxed so that growing the history
    /// moves pointers, not messages (at a million messages a doubling copies 8 MB, not 368 MB).
    #[allow(clippy::vec_box)]
    messages: Vec<Box<Message>>,
    /// MessageId → position in `messages`: lookups cost the same however long the history.
    message_index: HashMap<String, usize>,
    /// Elastic channels: sub-channel → the positions of its messages, ascending, so that a
    /// sub-channel's list walks its own messages only.
    sub_channel_messages: HashMap<String, Vec<usize>>,
    /// Messages before this position have been checked against the retention period already:
    /// retention walks each message once, whatever the history.
    pub retained_from: usize,
}

impl Channel {
    /// A RESTRICTED, PRIVATE channel with nobody in it and no flow.
    pub fn new(arn: &str, name: &str, created_by: &str, at: Millis) -> Self {
        Self {
            arn: arn.to_owned(),
            name: name.to_owned(),
            mode: "RESTRICTED".into(),
            privacy: "PRIVATE".into(),
            metadata: None,
            expiration: None,
            created_by: created_by.to_owned(),
            created: at,
            updated: at,
            last_message: None,
            elastic: None,
            flow: None,
            moderators: BTreeMap::new(),
            bans: BTreeMap::new(),
            members: BTreeMap::new(),
            sub_channels: Vec::new(),
            next_sub_channel: 1,
            messages: Vec::new(),
            message_index: HashMap::new(),
            sub_channel_messages: HashMap::new(),
            retained_from: 0,
        }
    }

    pub fn sub_channel_counts(&self) -> &[(String, usize)] {
        &self.sub_channels
    }

    pub fn has_sub_channel(&self, id: &str) -> bool {
        self.sub_channels.iter().any(|(s, _)| s == id)
    }

    /// Opens a sub-channel (no members yet); nothing happens when it exists.
    pub fn open_sub_channel(&mut self, id: &str) {
        if !self.has_sub_channel(id) {
            self.sub_channels.push((id.to_owned(), 0));
        }
    }

    /// Closes an (emptied) sub-channel.
    pub fn close_sub_channel(&mut self, id: &str) {
        self.sub_channels.retain(|(s, _)| s != id);
    }

    fn count_in(&mut self, sub: Option<&str>, delta: isize) {
        if let Some(sub) = sub
            && let Some((_, count)) = self.sub_channels.iter_mut().find(|(s, _)| s == sub)
        {
            *count = count.saturating_add_signed(delta);
        }
    }

    pub fn members(&self) -> &BTreeMap<String, Membership> {
        &self.members
    }

    /// Adds (or replaces) a membership, counting it in its sub-channel.
    pub fn insert_member(&mut self, arn: &str, membership: Membership) {
        let sub = membership.sub_channel.clone();
        if let Some(old) = self.members.insert(arn.to_owned(), membership) {
            self.count_in(old.sub_channel.as_deref(), -1);
        }
        self.count_in(sub.as_deref(), 1);
    }

    pub fn remove_member(&mut self, arn: &str) -> Option<Membership> {
        let removed = self.members.remove(arn);
        if let Some(m) = &removed {
            self.count_in(m.sub_channel.as_deref(), -1);
        }
        removed
    }

    /// Moves a member to another sub-channel.
    pub fn move_member(&mut self, arn: &str, to: &str) {
        let Some(m) = self.members.get_mut(arn) else {
            return;
        };
        let from = m.sub_channel.replace(to.to_owned());
        self.count_in(from.as_deref(), -1);
        self.count_in(Some(to), 1);
    }

    /// A membership to change what is not its sub-channel (read marker, preferences).
    pub fn membership_mut(&mut self, arn: &str) -> Option<&mut Membership> {
        self.members.get_mut(arn)
    }

    /// How many messages the channel has ever had (deleted ones included).
    pub fn message_count(&self) -> usize {
        self.messages.len()
    }

    /// The message at a position (send order).
    pub fn message_at(&self, position: usize) -> Option<&Message> {
        self.messages.get(position).map(|m| &**m)
    }

    /// The positions of a sub-channel's messages (ascending), or `None` for the whole channel.
    pub fn sub_channel_positions(&self, sub: &str) -> &[usize] {
        self.sub_channel_messages
            .get(sub)
            .map_or(&[], |positions| positions.as_slice())
    }

    /// Adds a message (its id must be new in this channel). Its `created` is raised to the last
    /// message's when the clock went back (or a staged event is older), so that send order and time
    /// order are one order: lists seek by time with a binary search instead of sorting the history.
    pub fn push_message(&mut self, mut message: Message) {
        if let Some(last) = self.messages.last() {
            message.created = message.created.max(last.created);
            message.updated = message.updated.max(message.created);
        }
        let position = self.messages.len();
        self.message_index.insert(message.id.clone(), position);
        if let Some(sub) = &message.sub_channel {
            self.sub_channel_messages
                .entry(sub.clone())
                .or_default()
                .push(position);
        }
        self.messages.push(Box::new(message));
    }

    /// The message with this id, deleted or not.
    pub fn message(&self, id: &str) -> Option<&Message> {
        self.message_index.get(id).map(|&i| &*self.messages[i])
    }

    /// The message with this id, deleted or not, to change.
    pub fn message_entry(&mut self, id: &str) -> Option<&mut Message> {
        self.message_index
            .get(id)
            .copied()
            .map(move |i| &mut *self.messages[i])
    }

    /// The message at a position, to change.
    pub fn message_at_mut(&mut self, position: usize) -> Option<&mut Message> {
        self.messages.get_mut(position).map(|m| &mut **m)
    }

    /// The message with this id unless deleted, to change.
    pub fn message_mut(&mut self, id: &str) -> Option<&mut Message> {
        self.message_entry(id).filter(|m| !m.deleted)
    }
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

/// All app instances, each behind its own lock.
#[derive(Debug)]
pub struct Store {
    pub region: String,
    pub account: String,
    instances: RwLock<HashMap<String, Arc<Mutex<Instance>>>>,
    /// How far the expiry clock runs ahead of the wall clock (tests advance it; see [`Store::clock`]).
    clock_ahead_ms: AtomicI64,
    /// The messaging WebSocket's URL as GetMessagingSessionEndpoint reports it, once listening.
    pub session_endpoint: OnceLock<String>,
    /// Who is connected to the messaging WebSocket.
    pub sessions: crate::sessions::Sessions,
}

impl Store {
    pub fn new(region: &str, account: &str) -> Self {
        Self {
            region: region.to_owned(),
            account: account.to_owned(),
            instances: RwLock::new(HashMap::new()),
            clock_ahead_ms: AtomicI64::new(0),
            session_endpoint: OnceLock::new(),
            sessions: crate::sessions::Sessions::default(),
        }
    }

    /// The time expiration and retention are judged by: the wall clock plus however far tests have
    /// advanced it. Timestamps the API reports stay wall-clock times.
    pub fn clock(&self) -> Millis {
        Millis(now().0 + self.clock_ahead_ms.load(Ordering::Relaxed))
    }

    /// Moves the expiry clock forward (never back).
    pub fn advance_clock(&self, by_ms: i64) {
        self.clock_ahead_ms
            .fetch_add(by_ms.max(0), Ordering::Relaxed);
    }

    pub fn insert(&self, instance: Instance) {
        let mut all = self.instances.write().unwrap_or_else(|e| e.into_inner());
        all.insert(instance.arn.clone(), Arc::new(Mutex::new(instance)));
    }

    pub fn remove(&self, arn: &str) -> bool {
        let mut all = self.instances.write().unwrap_or_else(|e| e.into_inner());
        all.remove(arn).is_some()
    }

    /// Every instance, in ARN order (each locked briefly by the caller).
    pub fn all(&self) -> Vec<Arc<Mutex<Instance>>> {
        let all = self.instances.read().unwrap_or_else(|e| e.into_inner());
        let mut list: Vec<_> = all.iter().collect();
        list.sort_by(|a, b| a.0.cmp(b.0));
        list.into_iter().map(|(_, v)| Arc::clone(v)).collect()
    }

    /// The instance an ARN (of the instance, a user, a channel or a flow) belongs to.
    pub fn instance(&self, arn: &str) -> Result<Arc<Mutex<Instance>>, ApiError> {
        let key = instance_of(arn)
            .ok_or_else(|| ApiError::bad_request(format!("{arn} is not an app-instance ARN")))?;
        let all = self.instances.read().unwrap_or_else(|e| e.into_inner());
        all.get(key)
            .cloned()
            .ok_or_else(|| ApiError::not_found(format!("app instance {key} not found")))
    }
}

/// Locks an instance; a panic in another request never poisons the emulator for good.
pub fn lock(instance: &Mutex<Instance>) -> MutexGuard<'_, Instance> {
    instance.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_instance_of_any_arn() {
        let instance = "arn:aws:chime:us-east-1:123456789012:app-instance/abc";
        assert_eq!(instance_of(instance), Some(instance));
        assert_eq!(
            instance_of(&format!("{instance}/channel/c1")),
            Some(instance)
        );
        assert_eq!(instance_of(&format!("{instance}/user/u1")), Some(instance));
        assert_eq!(instance_of("arn:aws:chime:us-east-1:1:app-instance/"), None);
        assert_eq!(instance_of("arn:aws:lambda:us-east-1:1:function:f"), None);
    }

    #[test]
    fn iso8601_keeps_milliseconds() {
        assert_eq!(
            iso8601(Millis(1_764_097_690_123)),
            "2025-11-25T19:08:10.123Z"
        );
    }

    #[test]
    fn messages_are_found_by_id_whatever_the_history() {
        let mut channel = Channel::new("arn:c", "c", "arn:u", Millis(1000));
        let message = |id: &str| Message::new(id, "arn:u", Body::text("hi"), Millis(1000));
        for n in 0..1000 {
            channel.push_message(message(&format!("m{n}")));
        }
        assert_eq!(channel.message("m777").map(|m| m.id.as_str()), Some("m777"));
        assert!(channel.message("m1000").is_none());
        if let Some(m) = channel.message_mut("m5") {
            m.deleted = true;
        }
        assert!(
            channel.message_mut("m5").is_none(),
            "deleted messages are not changed"
        );
        assert!(
            channel.message("m5").is_some_and(|m| m.deleted),
            "but still found"
        );
        assert_eq!(channel.message_count(), 1000);
        assert_eq!(
            channel.message_at(999).map(|m| m.id.as_str()),
            Some("m999"),
            "send order kept"
        );
    }

    #[test]
    fn minimum_members_rounds_up() {
        let elastic = Elastic {
            maximum_sub_channels: 5,
            target_per_sub_channel: 3,
            minimum_percentage: 40,
        };
        assert_eq!(elastic.minimum_members(), 2);
    }

    /// Every form a client may send a millisecond in comes back as that millisecond: ISO-8601 with
    /// 3, 6 or 9 fractional digits, decimal epoch seconds, and what an SDK holds after reading the
    /// service's JSON number as a float (`1732612345.678` → `…45.677999973`) and formatting it again.
    #[test]
    fn every_millisecond_form_round_trips_exactly() {
        use chime_api::binding::parse_timestamp;
        use time::OffsetDateTime;
        use time::format_description::well_known::Rfc3339;
        let format = |nanos: i128, digits: usize| {
            let at = OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap();
            let whole = at.replace_nanosecond(0).unwrap().format(&Rfc3339).unwrap();
            let fraction = format!("{:09}", at.nanosecond());
            format!("{}.{}Z", whole.trim_end_matches('Z'), &fraction[..digits])
        };
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..20_000 {
            // xorshift: a fixed, repeatable spread of milliseconds from 2001 to 2033.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let ms = 1_000_000_000_000 + (state % 1_000_000_000_000) as i64;
            let exact = i128::from(ms) * 1_000_000;
            let through_float = {
                let seconds = ms as f64 / 1000.0;
                let whole = seconds.floor();
                i128::from(whole as i64) * 1_000_000_000 + ((seconds - whole) * 1e9).round() as i128
            };
            let decimal = format!("{}.{:03}", ms / 1000, ms % 1000);
            for text in [
                format(exact, 3),
                format(exact, 6),
                format(exact, 9),
                format(through_float, 9),
                format(through_float, 6),
                decimal,
            ] {
                let nanos = parse_timestamp(&text).unwrap_or_else(|| panic!("{text}"));
                assert_eq!(Millis::from_nanos(i128::from(nanos)), Millis(ms), "{text}");
            }
        }
        for bad in ["", "1.2.3", "12a", "1.0000000001", "yesterday"] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }
}
