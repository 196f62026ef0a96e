//! The sample processor events of `tests/events/`, compiled in, for the console to stage (through
//! `POST /_chime-local/events`, as `chime-local seed` does). A test checks the list against the
//! folder, so a new sample shows up here or the build says so.

use serde_json::{Value, json};

/// Every sample: its file name and its text (the malformed ones too: staging one shows the refusal).
pub const SAMPLES: &[(&str, &str)] = &[
    ("edit.json", include_str!("../../../tests/events/edit.json")),
    (
        "elastic-subchannel.json",
        include_str!("../../../tests/events/elastic-subchannel.json"),
    ),
    (
        "innocent-lookalikes.json",
        include_str!("../../../tests/events/innocent-lookalikes.json"),
    ),
    (
        "malformed-bad-channel-arn.json",
        include_str!("../../../tests/events/malformed-bad-channel-arn.json"),
    ),
    (
        "malformed-missing-callback-id.json",
        include_str!("../../../tests/events/malformed-missing-callback-id.json"),
    ),
    (
        "malformed-missing-channel-message.json",
        include_str!("../../../tests/events/malformed-missing-channel-message.json"),
    ),
    (
        "malformed-not-json.json",
        include_str!("../../../tests/events/malformed-not-json.json"),
    ),
    (
        "malformed-short-callback-id.json",
        include_str!("../../../tests/events/malformed-short-callback-id.json"),
    ),
    (
        "mentions-links.json",
        include_str!("../../../tests/events/mentions-links.json"),
    ),
    (
        "metadata-attributes.json",
        include_str!("../../../tests/events/metadata-attributes.json"),
    ),
    (
        "non-persistent.json",
        include_str!("../../../tests/events/non-persistent.json"),
    ),
    ("pii.json", include_str!("../../../tests/events/pii.json")),
    (
        "plain.json",
        include_str!("../../../tests/events/plain.json"),
    ),
    (
        "profanity-evasion.json",
        include_str!("../../../tests/events/profanity-evasion.json"),
    ),
    (
        "profanity.json",
        include_str!("../../../tests/events/profanity.json"),
    ),
    (
        "timestamps-iso.json",
        include_str!("../../../tests/events/timestamps-iso.json"),
    ),
    (
        "unicode.json",
        include_str!("../../../tests/events/unicode.json"),
    ),
    (
        "unknown-fields.json",
        include_str!("../../../tests/events/unknown-fields.json"),
    ),
];

/// The samples as the console lists them.
pub fn listing() -> Value {
    let samples: Vec<Value> = SAMPLES
        .iter()
        .map(|(name, text)| json!({"Name": name, "Event": text}))
        .collect();
    json!({ "Samples": samples })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sample_event_in_the_folder_is_listed() {
        let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/events");
        let mut on_disk: Vec<String> = std::fs::read_dir(folder)
            .expect("tests/events is readable")
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .filter(|name| name.ends_with(".json"))
            .collect();
        on_disk.sort();
        let listed: Vec<&str> = SAMPLES.iter().map(|(name, _)| *name).collect();
        assert_eq!(listed, on_disk);
    }
}
