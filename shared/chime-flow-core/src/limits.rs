//! Limits from the service model (`ChannelMessageCallback`) and the Chime SDK messaging quotas.
//!
//! Lengths are checked in UTF-8 bytes: that is never shorter than the model's count of characters, so
//! a value that passes here cannot be rejected by the service for its length.

/// `CallbackIdType`: 32–64 characters.
pub const CALLBACK_ID_LEN: (usize, usize) = (32, 64);
/// `MessageId` and `SubChannelId`: 1–128 characters of `[-_a-zA-Z0-9]`.
pub const ID_LEN: (usize, usize) = (1, 128);
/// `ChimeArn`: 5–1600 characters.
pub const ARN_LEN: (usize, usize) = (5, 1600);
/// STANDARD message content: 4 KB quota; the model requires at least one character.
pub const CONTENT_MAX_BYTES: usize = 4096;
/// `Metadata`: at most 1024.
pub const METADATA_MAX_BYTES: usize = 1024;
/// `ContentType`: at most 45.
pub const CONTENT_TYPE_MAX_BYTES: usize = 45;
/// `MessageAttributeName`: 1–64.
pub const ATTRIBUTE_KEY_LEN: (usize, usize) = (1, 64);
/// `MessageAttributeStringValue`: 1–512.
pub const ATTRIBUTE_VALUE_LEN: (usize, usize) = (1, 512);
/// `PushNotificationTitle`: 1–50.
pub const PUSH_TITLE_LEN: (usize, usize) = (1, 50);
/// `PushNotificationBody`: 1–150.
pub const PUSH_BODY_LEN: (usize, usize) = (1, 150);

/// True for the characters the model allows in message and sub-channel ids.
pub fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}
