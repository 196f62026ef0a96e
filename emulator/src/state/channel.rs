//! A channel: the one type with invariants. Members are counted per sub-channel as they move, and
//! messages are found by id and by sub-channel without scanning the history.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::message::Message;
use super::times_and_ids::Millis;

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

    /// The position (send order) of the message with this id.
    pub fn position_of(&self, id: &str) -> Option<usize> {
        self.message_index.get(id).copied()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Body;

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
}
