//! Seeding history: `POST /_chime-local/seed-messages` puts `Count` SENT messages from `SenderArn`
//! into a channel at once, so that load tests and benchmarks can start from a channel holding a
//! million messages without sending them one by one.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::store::{Body, Message, Store, lock, now, random_hex};

/// The most one call seeds (about 0.8 KB of memory each).
pub const MAX_SEED: u64 = 10_000_000;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct Seed {
    channel_arn: String,
    sender_arn: String,
    count: u64,
    #[serde(default)]
    content: Option<String>,
}

pub fn seed_messages(store: &Store, body: &[u8]) -> Result<Value, ApiError> {
    let seed: Seed = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("seed-messages: {e}")))?;
    if seed.count > MAX_SEED {
        return Err(ApiError::bad_request(format!(
            "Count: {} is more than {MAX_SEED} per call",
            seed.count
        )));
    }
    let instance = store.instance(&seed.channel_arn)?;
    let mut instance = lock(&instance);
    if !instance.is_identity(&seed.sender_arn) {
        return Err(ApiError::not_found(format!(
            "SenderArn: {} is not a user or bot of this app instance",
            seed.sender_arn
        )));
    }
    let channel = instance.channel_mut(&seed.channel_arn)?;
    if !channel.members().contains_key(&seed.sender_arn) {
        return Err(ApiError::bad_request(format!(
            "SenderArn: {} is not a member of the channel",
            seed.sender_arn
        )));
    }
    let sub_channel = channel
        .members()
        .get(&seed.sender_arn)
        .and_then(|m| m.sub_channel.clone());
    let content = seed.content.unwrap_or_else(|| "seeded history".to_owned());
    let at = now();
    for _ in 0..seed.count {
        channel.push_message(Message {
            sub_channel: sub_channel.clone(),
            ..Message::new(random_hex(32), &seed.sender_arn, Body::text(&content), at)
        });
    }
    channel.last_message = Some(at);
    Ok(json!({"Seeded": seed.count, "MessageCount": channel.message_count()}))
}
