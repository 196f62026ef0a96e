//! Seeding: `POST /_chime-local/seed-messages` puts `Count` SENT messages from `SenderArn` into a
//! channel at once, and `POST /_chime-local/seed-users` makes `Count` app instance users
//! (`PREFIX0`, `PREFIX1`…), so that load tests start from a channel holding a million messages or
//! an app instance of a hundred thousand users without making them one by one.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::state::{Body, Message, Store, lock, now, random_hex};

/// The most one call seeds (about 0.8 KB of memory each): a million, as the load benchmark seeds a
/// history in calls of a million.
pub const MAX_SEED: u64 = 1_000_000;

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
    if let Some(content) = &seed.content {
        if content.is_empty() {
            return Err(ApiError::bad_request(
                "Content: empty; a message holds at least 1 byte",
            ));
        }
        Message::check_size("STANDARD", content)?;
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

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct SeedUsers {
    app_instance_arn: String,
    prefix: String,
    count: u64,
}

pub fn seed_users(store: &Store, body: &[u8]) -> Result<Value, ApiError> {
    let seed: SeedUsers = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("seed-users: {e}")))?;
    if seed.count > MAX_SEED {
        return Err(ApiError::bad_request(format!(
            "Count: {} is more than {MAX_SEED} per call",
            seed.count
        )));
    }
    if seed.prefix.is_empty()
        || !seed
            .prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c))
    {
        return Err(ApiError::bad_request(
            "Prefix: letters, digits and -_.@ only, not empty",
        ));
    }
    let instance = store.instance(&seed.app_instance_arn)?;
    let mut instance = lock(&instance);
    let at = now();
    let mut created = 0;
    for n in 0..seed.count {
        let id = format!("{}{n}", seed.prefix);
        let arn = format!("{}/user/{id}", instance.arn);
        if !instance.users.contains_key(&arn) {
            instance
                .users
                .insert(arn.clone(), crate::state::User::new(&arn, &id, at));
            created += 1;
        }
    }
    Ok(
        json!({"Seeded": created, "UserArnPrefix": format!("{}/user/{}", instance.arn, seed.prefix)}),
    )
}
