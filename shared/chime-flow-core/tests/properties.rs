//! Properties over arbitrary UTF-8: no stage panics, outputs stay valid, and redacted output contains
//! none of the values that were detected.

use chime_flow_core::stages::enrichment::Enrichment;
use chime_flow_core::stages::moderation::{Moderation, ModerationConfig};
use chime_flow_core::stages::redaction::{Detectors, Kind, Redaction, RedactionConfig, Style};
use proptest::prelude::*;
use std::sync::{Arc, LazyLock};

/// Built once: compiling the lists per case would dominate the run.
static MODERATION: LazyLock<Arc<Moderation>> = LazyLock::new(|| {
    Arc::new(Moderation::new(&ModerationConfig::builtin()).expect("built-in lists compile"))
});
/// The same lists with the fast (DFA) term automaton, which must find exactly the same.
static FAST: LazyLock<Moderation> = LazyLock::new(|| {
    let fast = Moderation::new(&ModerationConfig::builtin()).expect("built-in lists compile");
    fast.build_fast_automaton_now();
    fast
});
static DETECTORS: LazyLock<Detectors> =
    LazyLock::new(|| Detectors::new(&Kind::ALL).expect("detectors compile"));
static REDACTIONS: LazyLock<Vec<Redaction>> = LazyLock::new(|| {
    [Style::Tag, Style::Mask]
        .into_iter()
        .map(|style| {
            Redaction::new(
                RedactionConfig {
                    style,
                    ..RedactionConfig::default()
                },
                None,
            )
            .expect("compiles")
        })
        .collect()
});

fn pieces() -> impl Strategy<Value = String> {
    // Free text mixed with values the detectors look for, so that redaction really happens.
    let value = prop_oneof![
        Just("jane.doe@example.com".to_owned()),
        Just("4242 4242 4242 4242".to_owned()),
        Just("+44 20 7946 0958".to_owned()),
        Just("GB82 WEST 1234 5698 7654 32".to_owned()),
        Just("123-45-6789".to_owned()),
        Just("10.0.0.1".to_owned()),
        Just("AKIAIOSFODNN7EXAMPLE".to_owned()),
        Just("fe80::1%eth0".to_owned()),
        Just("2001:db8::/32".to_owned()),
        Just("05321234567".to_owned()),
        Just("0(20) 7946 0958".to_owned()),
        Just("DE89-3704-0044-0532-0130-00".to_owned()),
        Just("a.b@mail.xn--p1ai".to_owned()),
        Just("sh1t".to_owned()),
        Just("👋🏽".to_owned()),
        Just("שלום".to_owned()),
        any::<String>(),
    ];
    prop::collection::vec(value, 0..8).prop_map(|parts| parts.join(" "))
}

/// Text built from listed terms, their evasions and innocent look-alikes, with random filler.
fn evasive() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("shit".to_owned()),
        Just("$h!t".to_owned()),
        Just("s.h.i.t".to_owned()),
        Just("fuuuck".to_owned()),
        Just("b1tch".to_owned()),
        Just("f*ck".to_owned()),
        Just("bullsh#t".to_owned()),
        Just("phuk".to_owned()),
        Just("пиздец".to_owned()),
        Just("他妈的".to_owned()),
        Just("Matsushita".to_owned()),
        Just("kill yourself".to_owned()),
        Just("shiitake".to_owned()),
        Just("classic".to_owned()),
        Just("a".to_owned()),
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..10).prop_map(|parts| parts.join(" "))
}

proptest! {
    // 256 cases unless PROPTEST_CASES says otherwise; .ci/run fixes PROPTEST_RNG_SEED so CI is repeatable.
    #![proptest_config(ProptestConfig::default())]

    #[test]
    fn stages_never_panic_on_any_utf8(text in any::<String>()) {
        let _ = MODERATION.judge(&text);
        let _ = Enrichment::default().analyse(&text);
        let redaction = Redaction::new(RedactionConfig::default(), Some(Arc::clone(&MODERATION))).unwrap();
        if let Some((out, _)) = redaction.redact(&text) {
            prop_assert!(std::str::from_utf8(out.as_bytes()).is_ok());
        }
    }

    #[test]
    fn both_term_automata_find_the_same(text in evasive()) {
        prop_assert!(FAST.fast_automaton_ready());
        prop_assert_eq!(MODERATION.scan(&text), FAST.scan(&text));
    }

    #[test]
    fn redacted_output_has_none_of_the_detected_values(text in pieces()) {
        let mut found = Vec::new();
        DETECTORS.find(&text, &mut found);
        // The text with every detected character blanked: what may legitimately remain.
        let undetected: String = text
            .char_indices()
            .map(|(at, c)| if found.iter().any(|&(_, s, e)| s <= at && at < e) { '\u{1}' } else { c })
            .collect();
        for redaction in REDACTIONS.iter() {
            let out = redaction.redact(&text).map(|(out, _)| out).unwrap_or_else(|| text.clone());
            for &(_, start, end) in &found {
                let value = &text[start..end];
                // Only values with some substance: a detected value can't hide in a mask of bullets.
                // The same value may also stand where it was not detected (glued to a longer run of
                // groups): only the detected occurrences must be gone.
                if value.chars().filter(|c| c.is_alphanumeric()).count() >= 6 {
                    prop_assert!(
                        out.matches(value).count() <= undetected.matches(value).count(),
                        "{:?} still in {:?}", value, out
                    );
                }
            }
        }
    }
}
