//! Every sample event in `tests/events/`: valid ones parse and survive parse → serialise → re-parse;
//! malformed ones fail with an error naming the field; none panics.

use chime_flow::event::{EventError, ProcessorEvent};
use flow_tests::{event_bytes, events_dir};

const MALFORMED: &[(&str, &str)] = &[
    ("malformed-missing-callback-id.json", "CallbackId: missing"),
    (
        "malformed-short-callback-id.json",
        "CallbackId: length 12, must be 32–64",
    ),
    (
        "malformed-missing-channel-message.json",
        "ChannelMessage: missing",
    ),
    (
        "malformed-bad-channel-arn.json",
        "ChannelMessage.ChannelArn: not an ARN (must start with 'arn:')",
    ),
    (
        "malformed-not-json.json",
        "payload is not JSON: unexpected end of input at line 2, column 0",
    ),
];

fn all_fixtures() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(events_dir())
        .expect("tests/events exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    names
}

#[test]
fn every_fixture_is_covered() {
    let names = all_fixtures();
    assert!(names.len() >= 18, "{names:?}");
    for name in names.iter().filter(|n| n.starts_with("malformed-")) {
        assert!(
            MALFORMED.iter().any(|(m, _)| m == name),
            "{name} has no expected error"
        );
    }
}

#[test]
fn valid_fixtures_round_trip() {
    for name in all_fixtures()
        .iter()
        .filter(|n| !n.starts_with("malformed-"))
    {
        let event = ProcessorEvent::from_slice(&event_bytes(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let reserialised = serde_json::to_value(&event).unwrap();
        let again = ProcessorEvent::from_value(&reserialised)
            .unwrap_or_else(|e| panic!("{name} re-parse: {e}"));
        assert_eq!(event, again, "{name}");
        assert_eq!(event.callback_id.len(), 34, "{name}");
    }
}

#[test]
fn malformed_fixtures_name_the_field() {
    for (name, expected) in MALFORMED {
        let error = ProcessorEvent::from_slice(&event_bytes(name)).unwrap_err();
        assert_eq!(error.to_string(), *expected, "{name}");
        if !name.contains("not-json") {
            assert!(matches!(error, EventError::Invalid { .. }));
        }
    }
}

#[test]
fn fixture_details() {
    let parse = |name: &str| {
        ProcessorEvent::from_slice(&event_bytes(name))
            .unwrap()
            .channel_message
    };
    assert_eq!(
        parse("elastic-subchannel.json").sub_channel_id.as_deref(),
        Some("subchannel-3")
    );
    let iso = parse("timestamps-iso.json");
    assert_eq!(
        iso.created_timestamp.unwrap().to_string(),
        "2024-11-25T16:00:00.123Z"
    );
    assert!(iso.is_edit());
    assert_eq!(
        parse("plain.json").created_timestamp.unwrap().seconds,
        1_732_550_400
    );
    assert!(parse("edit.json").is_edit());
    assert_eq!(
        parse("non-persistent.json").persistence.as_deref(),
        Some("NON_PERSISTENT")
    );
    assert_eq!(
        parse("metadata-attributes.json").message_attributes["topic"],
        vec!["ops", "alerts"]
    );
    assert!(parse("unicode.json").text().contains("👋🏽"));
    assert_eq!(parse("unknown-fields.json").target.len(), 1);
}
