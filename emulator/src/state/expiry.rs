//! Expiration and retention, applied: users and channels with `ExpirationSettings` are deleted once
//! their time has passed, and messages older than the app instance's retention period are deleted.
//! The service does this in the background; so does chime-local (a sweep a minute), judged by the
//! store's expiry clock, which tests advance through `POST /_chime-local/clock`.

use serde::Serialize;
use serde_json::Value;

use crate::state::{Channel, Millis, Store, lock};

const DAY_MS: i64 = 86_400_000;

/// What one sweep deleted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Swept {
    pub users: usize,
    pub channels: usize,
    pub messages: usize,
}

/// `ExpirationDays` of an `ExpirationSettings`, in milliseconds.
fn lifetime(settings: &Value) -> Option<i64> {
    settings
        .get("ExpirationDays")
        .and_then(Value::as_i64)
        .map(|days| days * DAY_MS)
}

/// When a channel expires: `ExpirationDays` after its creation, or after its last message
/// (`LAST_MESSAGE_TIMESTAMP`; its creation when it has none).
fn channel_expires(channel: &Channel) -> Option<Millis> {
    let settings = channel.expiration.as_ref()?;
    let from = match settings.get("ExpirationCriterion").and_then(Value::as_str) {
        Some("LAST_MESSAGE_TIMESTAMP") => channel.last_message.unwrap_or(channel.created),
        _ => channel.created,
    };
    Some(Millis(from.0 + lifetime(settings)?))
}

/// Deletes what has expired at the store's clock. Messages are checked once each: retention walks a
/// channel from where its last sweep stopped (messages are in time order).
pub fn sweep(store: &Store) -> Swept {
    let now = store.clock();
    let mut swept = Swept::default();
    for instance in store.all() {
        let mut instance = lock(&instance);
        let expired_users: Vec<String> = instance
            .users
            .values()
            .filter(|u| {
                u.expiration
                    .as_ref()
                    .and_then(lifetime)
                    .is_some_and(|life| u.created.0 + life <= now.0)
            })
            .map(|u| u.arn.clone())
            .collect();
        for arn in &expired_users {
            instance.users.remove(arn);
            instance.forget_identity(arn);
        }
        swept.users += expired_users.len();
        let expired_channels: Vec<String> = instance
            .channels
            .values()
            .filter(|c| channel_expires(c).is_some_and(|at| at <= now))
            .map(|c| c.arn.clone())
            .collect();
        for arn in &expired_channels {
            crate::state::changes::channel(store, &instance, arn, "DELETE_CHANNEL");
            instance.remove_channel(arn);
        }
        swept.channels += expired_channels.len();
        let retention = instance
            .retention
            .as_ref()
            .and_then(|(settings, _)| settings.get("ChannelRetentionSettings"))
            .and_then(|c| c.get("RetentionDays"))
            .and_then(Value::as_i64);
        if let Some(days) = retention {
            let cutoff = now.0 - days * DAY_MS;
            for channel in instance.channels.values_mut() {
                swept.messages += retire_before(channel, Millis(cutoff));
            }
        }
    }
    if swept != Swept::default() {
        tracing::info!(
            users = swept.users,
            channels = swept.channels,
            messages = swept.messages,
            "expired"
        );
    }
    swept
}

/// Deletes the channel's messages created before `cutoff`; how many it deleted.
fn retire_before(channel: &mut Channel, cutoff: Millis) -> usize {
    let mut deleted = 0;
    while let Some(message) = channel.message_at_mut(channel.retained_from) {
        if message.created >= cutoff {
            break;
        }
        if !message.deleted {
            message.deleted = true;
            deleted += 1;
        }
        channel.retained_from += 1;
    }
    deleted
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{Body, Message};

    #[test]
    fn retention_deletes_old_messages_once() {
        let mut channel = Channel::new("arn:c", "c", "arn:u", Millis(0));
        for n in 0..10 {
            channel.push_message(Message::new(
                format!("m{n}"),
                "arn:u",
                Body::text("x"),
                Millis(n * 1000),
            ));
        }
        assert_eq!(retire_before(&mut channel, Millis(3500)), 4);
        assert_eq!(channel.retained_from, 4);
        assert_eq!(retire_before(&mut channel, Millis(3500)), 0);
        assert!(channel.message("m4").is_some_and(|m| !m.deleted));
        assert_eq!(retire_before(&mut channel, Millis(100_000)), 6);
    }

    #[test]
    fn a_channel_without_messages_expires_from_its_creation() {
        let mut channel = Channel::new("arn:c", "c", "arn:u", Millis(1000));
        assert_eq!(channel_expires(&channel), None);
        channel.expiration = Some(serde_json::json!({
            "ExpirationCriterion": "LAST_MESSAGE_TIMESTAMP", "ExpirationDays": 2}));
        assert_eq!(channel_expires(&channel), Some(Millis(1000 + 2 * DAY_MS)));
        channel.last_message = Some(Millis(5000));
        assert_eq!(channel_expires(&channel), Some(Millis(5000 + 2 * DAY_MS)));
    }
}
