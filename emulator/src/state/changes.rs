//! Announcing a change to whoever watches: the port below the operations that the messaging
//! WebSocket's sessions implement (`server::events`). Operations announce while holding their app
//! instance's lock, so a watcher sees changes in the order they happened; the console's journal
//! hears of every message change too.

use super::{Instance, Membership, Store};

/// What happened to a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageChange {
    Created,
    Updated,
    Redacted,
    Deleted,
    /// An edit its flow dropped (the message keeps its earlier text): the sender is told.
    EditFailed,
}

/// One change, named by the ARNs and ids it concerns; the watcher reads the rest from the instance.
#[derive(Debug, Clone, Copy)]
pub enum Change<'a> {
    Message {
        channel_arn: &'a str,
        id: &'a str,
        change: MessageChange,
    },
    /// A member joined (`removed: None`) or left (with the membership it had).
    Membership {
        channel_arn: &'a str,
        member: &'a str,
        removed: Option<&'a Membership>,
    },
    /// Members a batch added.
    Members {
        channel_arn: &'a str,
        added: &'a [String],
    },
    /// `UPDATE_CHANNEL` or `DELETE_CHANNEL` (announced before the channel is removed).
    Channel {
        channel_arn: &'a str,
        kind: &'static str,
    },
}

/// The port: told of every change, under the instance's lock. It must not block.
pub trait Publish: Send + Sync + std::fmt::Debug {
    fn publish(&self, instance: &Instance, change: Change<'_>);
}

impl Store {
    /// Announces `change` to the journal (message changes) and to the publisher, when one is set.
    pub fn announce(&self, instance: &Instance, change: Change<'_>) {
        if let Change::Message {
            channel_arn, id, ..
        } = change
        {
            self.journal.changed(channel_arn, id);
        }
        if let Some(publisher) = self.publisher.get() {
            publisher.publish(instance, change);
        }
    }

    /// Sets who hears of changes (once; the server, when it starts).
    pub fn set_publisher(&self, publisher: std::sync::Arc<dyn Publish>) {
        let _ = self.publisher.set(publisher);
    }
}

/// A change to message `id` of `channel_arn`.
pub fn message(
    store: &Store,
    instance: &Instance,
    channel_arn: &str,
    id: &str,
    change: MessageChange,
) {
    store.announce(
        instance,
        Change::Message {
            channel_arn,
            id,
            change,
        },
    );
}

/// `member` joined `channel_arn` (`removed: None`) or left it.
pub fn membership(
    store: &Store,
    instance: &Instance,
    channel_arn: &str,
    member: &str,
    removed: Option<&Membership>,
) {
    store.announce(
        instance,
        Change::Membership {
            channel_arn,
            member,
            removed,
        },
    );
}

/// Members a batch added to `channel_arn`.
pub fn batch_membership(store: &Store, instance: &Instance, channel_arn: &str, added: &[String]) {
    store.announce(instance, Change::Members { channel_arn, added });
}

/// `UPDATE_CHANNEL` or `DELETE_CHANNEL`.
pub fn channel(store: &Store, instance: &Instance, channel_arn: &str, kind: &'static str) {
    store.announce(instance, Change::Channel { channel_arn, kind });
}
