//! Stage and pipeline cost on a 100-byte and a 4 KB message with a 5,000-term deny list, the
//! classifier's score alone and moderation with it on, and the start-up cost of building the
//! matchers. Run: `cargo bench -p chime-flow-core --bench stages`.

use std::hint::black_box;
use std::sync::Arc;

use chime_flow_core::bench_input::{chat_text, synthetic_terms};
use chime_flow_core::stages::classifier::{Classifier, ClassifierConfig};
use chime_flow_core::stages::enrichment::Enrichment;
use chime_flow_core::stages::moderation::{Entry, Moderation, ModerationConfig};
use chime_flow_core::stages::pipeline::Pipeline;
use chime_flow_core::stages::redaction::{Redaction, RedactionConfig};
use chime_flow_core::{ChannelMessage, FailurePolicy, ProcessorEvent, Stage};
use criterion::{Criterion, criterion_group, criterion_main};

/// 5,000 distinct pseudo-words (deterministic), plus the built-in list.
fn five_thousand_terms() -> ModerationConfig {
    let mut config = ModerationConfig::builtin();
    config.terms.extend(
        synthetic_terms(5_000)
            .into_iter()
            .map(|text| Entry::new(text, 10)),
    );
    config
}

fn message(bytes: usize, last: char) -> ChannelMessage {
    let event = serde_json::json!({
        "CallbackId": "0123456789abcdef0123456789abcdef",
        "ChannelMessage": {"MessageId": "m-1", "ChannelArn": "arn:aws:chime:us-east-1:123456789012:app-instance/a/channel/c", "Content": chat_text(bytes, last)}
    });
    ProcessorEvent::from_value(&event)
        .expect("bench event")
        .channel_message
}

fn benches(c: &mut Criterion) {
    let builtin = ModerationConfig::builtin();
    c.bench_function("build/moderation-builtin-lists", |b| {
        b.iter(|| Moderation::new(black_box(&builtin)).expect("builds"))
    });
    c.bench_function("build/moderation-builtin-lists-from-text", |b| {
        b.iter(|| Moderation::new(&ModerationConfig::builtin()).expect("builds"))
    });
    let config = five_thousand_terms();
    c.bench_function("build/moderation-5000-terms", |b| {
        b.iter(|| Moderation::new(black_box(&config)).expect("builds"))
    });
    // At start only the set is compiled; each kind's own regex the first time a text needs it.
    c.bench_function("build/redaction-detectors", |b| {
        b.iter(|| Redaction::new(RedactionConfig::default(), None).expect("builds"))
    });
    c.bench_function("build/redaction-detectors-every-kind", |b| {
        b.iter(|| {
            let built = Redaction::new(RedactionConfig::default(), None).expect("builds");
            built.compile_all_now();
            built
        })
    });

    // Steady state: the fast term automaton, which a processor builds in the background at start-up
    // and uses from then on (its own build is measured below).
    let moderation = Arc::new(Moderation::new(&config).expect("builds"));
    moderation.build_fast_automaton_now();
    c.bench_function("build/moderation-5000-terms-plus-fast-automaton", |b| {
        b.iter(|| {
            let built = Moderation::new(black_box(&config)).expect("builds");
            built.build_fast_automaton_now();
            built
        })
    });
    // Until the fast automaton is there (the first milliseconds), the one built at start serves.
    let start_up = Moderation::new(&config).expect("builds");
    let redaction =
        Redaction::new(RedactionConfig::default(), Some(Arc::clone(&moderation))).expect("builds");
    redaction.compile_all_now();
    let enrichment = Enrichment::default();
    let pipeline = Pipeline::new(vec![
        (Box::new(Arc::clone(&moderation)), FailurePolicy::Deny),
        (Box::new(redaction.clone()), FailurePolicy::Deny),
        (Box::new(Enrichment::default()), FailurePolicy::Pass),
    ]);
    let classifier = Classifier::builtin(&ClassifierConfig::default()).expect("the built-in model");
    let with_classifier = Moderation::new(&ModerationConfig {
        classifier: Some(ClassifierConfig::default()),
        ..five_thousand_terms()
    })
    .expect("builds");
    with_classifier.build_fast_automaton_now();
    c.bench_function("build/classifier", |b| {
        b.iter(|| Classifier::builtin(black_box(&ClassifierConfig::default())).expect("parses"))
    });
    for (label, size) in [("100B", 100), ("4KB", 4096)] {
        // Two messages that differ in their last character, taken in turn: moderation remembers its
        // last scan, and a processor never sees the same message twice, so neither may the benchmark.
        // (Within one pipeline run redaction does reuse moderation's scan, as in production.)
        let pair = [message(size, 'x'), message(size, 'y')];
        let mut turn = 0;
        let mut next = move || {
            turn ^= 1;
            turn
        };
        c.bench_function(&format!("moderation/{label}"), |b| {
            b.iter(|| moderation.decide(black_box(&pair[next()])))
        });
        c.bench_function(&format!("redaction/{label}"), |b| {
            b.iter(|| redaction.decide(black_box(&pair[next()])))
        });
        c.bench_function(&format!("enrichment/{label}"), |b| {
            b.iter(|| enrichment.decide(black_box(&pair[next()])))
        });
        c.bench_function(&format!("pipeline/{label}"), |b| {
            b.iter(|| pipeline.decide(black_box(&pair[next()])))
        });
        c.bench_function(&format!("classifier/{label}"), |b| {
            b.iter(|| classifier.score(black_box(pair[next()].text())))
        });
        c.bench_function(&format!("moderation-with-classifier/{label}"), |b| {
            b.iter(|| with_classifier.decide(black_box(&pair[next()])))
        });
        c.bench_function(&format!("moderation-before-fast-automaton/{label}"), |b| {
            b.iter(|| start_up.decide(black_box(&pair[next()])))
        });
    }
}

criterion_group! {
    name = stages;
    config = Criterion::default().sample_size(30).warm_up_time(std::time::Duration::from_millis(500)).measurement_time(std::time::Duration::from_secs(2));
    targets = benches
}
criterion_main!(stages);
