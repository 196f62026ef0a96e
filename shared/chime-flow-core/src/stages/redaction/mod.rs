//! Redaction: rewrite personal data, secrets and profanity out of the content.
//!
//! Findings come from validated detectors (Luhn, mod-97, SSN ranges, IPv6 parse, entropy) and from the
//! moderation lists (profanity is masked here, not denied). Overlaps are resolved deterministically:
//! higher-priority kinds first (see [`Kind::priority`]), then earlier, then longer. Replacements work on whole
//! characters, so emoji, combining marks and right-to-left text around them stay intact. What was done
//! is recorded as counts per kind, never the values. Nothing found → pass.

mod detectors;
mod numbering;
mod regions;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::json;

use super::metadata::merge_section;
use super::moderation::Moderation;
use crate::config::{ConfigError, Env};
use crate::decision::{Decision, Edits};
use crate::event::ChannelMessage;
use crate::limits::CONTENT_MAX_BYTES;
use crate::stage::{Stage, StageError};
pub use detectors::{Detectors, Kind, accepted_len, iban_ok, luhn, ssn_ok};
pub use regions::{Region, Regions};

/// How a finding is replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `[EMAIL]`, `[CARD]`…
    Tag,
    /// Every letter and digit becomes `•`; separators stay, so the length and shape remain.
    Mask,
    /// As `Mask`, but cards, IBANs and phones keep their last four digits (`•••• •••• •••• 4242`).
    MaskLast4,
}

/// Where the counts are recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    /// In an attribute (`redactions`: `email:2`).
    Attribute,
    /// In the metadata (JSON).
    Metadata,
    /// In both.
    Both,
}

/// Redaction's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedactionConfig {
    /// What to find.
    pub kinds: Vec<Kind>,
    /// How a finding is replaced.
    pub style: Style,
    /// Where the counts are recorded.
    pub record: Record,
    /// The attribute the counts go to.
    pub attribute: String,
    /// `REDACTION_REGIONS`: whose bare national phone numbers count (see [`Regions`]).
    pub regions: Regions,
}

impl Default for RedactionConfig {
    fn default() -> Self {
        Self {
            kinds: Kind::ALL.to_vec(),
            style: Style::Tag,
            record: Record::Attribute,
            attribute: "redactions".into(),
            regions: Regions::all(),
        }
    }
}

impl RedactionConfig {
    /// `REDACT_KINDS` (names, default all), `REDACTION_STYLE` (`tag`|`mask`|`mask-last4`),
    /// `REDACTION_RECORD` (`attribute`|`metadata`|`both`), `REDACTION_ATTRIBUTE` (default `redactions`),
    /// `REDACTION_REGIONS` (`all`, default, or ISO codes: `US,GB,TR,PH`).
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let mut config = Self::default();
        let names = env.list("REDACT_KINDS");
        if !names.is_empty() {
            config.kinds = names
                .iter()
                .map(|n| {
                    Kind::from_name(n).ok_or_else(|| {
                        ConfigError::new("REDACT_KINDS", format!("unknown kind {n:?}"))
                    })
                })
                .collect::<Result<_, _>>()?;
        }
        config.style = env.choice(
            "REDACTION_STYLE",
            Style::Tag,
            &[
                ("tag", Style::Tag),
                ("mask", Style::Mask),
                ("mask-last4", Style::MaskLast4),
            ],
        )?;
        config.record = env.choice(
            "REDACTION_RECORD",
            Record::Attribute,
            &[
                ("attribute", Record::Attribute),
                ("metadata", Record::Metadata),
                ("both", Record::Both),
            ],
        )?;
        if let Some(name) = env.get("REDACTION_ATTRIBUTE") {
            if name.len() > 64 {
                return Err(ConfigError::new(
                    "REDACTION_ATTRIBUTE",
                    "longer than 64 bytes",
                ));
            }
            config.attribute = name.to_owned();
        }
        if let Some(spec) = env.get("REDACTION_REGIONS") {
            config.regions =
                Regions::parse(spec).map_err(|e| ConfigError::new("REDACTION_REGIONS", e))?;
        }
        Ok(config)
    }
}

/// The compiled redaction stage.
#[derive(Debug, Clone)]
pub struct Redaction {
    detectors: Detectors,
    profanity: Option<Arc<Moderation>>,
    config: RedactionConfig,
}

impl Redaction {
    /// `profanity` supplies the word lists when the `profanity` kind is enabled.
    pub fn new(
        config: RedactionConfig,
        profanity: Option<Arc<Moderation>>,
    ) -> Result<Self, regex::Error> {
        let profanity = if config.kinds.contains(&Kind::Profanity) {
            profanity
        } else {
            None
        };
        Ok(Self {
            detectors: Detectors::with_regions(&config.kinds, config.regions.clone())?,
            profanity,
            config,
        })
    }

    /// Builds from the environment; profanity lists from the moderation variables.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Self::from_env_sharing(env, None)
    }

    /// As [`Redaction::from_env`], reusing an already compiled moderation (the pipeline builds one).
    pub fn from_env_sharing(
        env: &Env,
        moderation: Option<Arc<Moderation>>,
    ) -> Result<Self, ConfigError> {
        let config = RedactionConfig::from_env(env)?;
        let profanity = match moderation {
            Some(shared) => Some(shared),
            None if config.kinds.contains(&Kind::Profanity) => {
                Some(Arc::new(Moderation::from_env(env)?))
            }
            None => None,
        };
        Self::new(config, profanity)
            .map_err(|e| ConfigError::new("REDACT_KINDS", format!("detector build failed: {e}")))
    }

    /// Compiles every kind's searcher now rather than on first need (benchmarks, warm-up).
    pub fn compile_all_now(&self) {
        self.detectors.compile_all_now();
    }

    /// What would be replaced: (kind, byte range), in order, overlaps resolved.
    pub fn findings(&self, text: &str) -> Vec<(Kind, usize, usize)> {
        let mut found = Vec::new();
        self.detectors.find(text, &mut found);
        if let Some(moderation) = &self.profanity {
            found.extend(
                moderation
                    .scan(text)
                    .into_iter()
                    .map(|hit| (Kind::Profanity, hit.range.0, hit.range.1)),
            );
        }
        if found.is_empty() {
            return found;
        }
        resolve_overlaps(text, found)
    }

    /// The redacted text and the counts per kind, or `None` when there is nothing to redact.
    pub fn redact(&self, text: &str) -> Option<(String, BTreeMap<Kind, usize>)> {
        let chosen = self.findings(text);
        if chosen.is_empty() {
            return None;
        }
        let mut out = self.render(text, &chosen, false);
        if out.len() > CONTENT_MAX_BYTES && out.len() > text.len() {
            // Tags and `•` (3 bytes) can make a message at the 4 KB limit too long to call back;
            // `*` masks are never longer than what they replace, so this always fits where the
            // original did.
            out = self.render(text, &chosen, true);
        }
        let mut counts = BTreeMap::new();
        for &(kind, _, _) in &chosen {
            *counts.entry(kind).or_insert(0) += 1;
        }
        Some((out, counts))
    }

    /// The text with every chosen finding replaced; `compact` masks with `*` whatever the style.
    fn render(&self, text: &str, chosen: &[(Kind, usize, usize)], compact: bool) -> String {
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for &(kind, start, end) in chosen {
            out.push_str(&text[at..start]);
            self.replace(kind, &text[start..end], &mut out, compact);
            at = end;
        }
        out.push_str(&text[at..]);
        out
    }

    fn replace(&self, kind: Kind, value: &str, out: &mut String, compact: bool) {
        let (style, mask) = match (self.config.style, compact) {
            (Style::MaskLast4, true) => (Style::MaskLast4, '*'),
            (_, true) => (Style::Mask, '*'),
            (style, false) => (style, '•'),
        };
        let keep_from = match style {
            Style::Tag => {
                out.push('[');
                out.push_str(&kind.name().to_ascii_uppercase());
                out.push(']');
                return;
            }
            Style::Mask => usize::MAX,
            Style::MaskLast4 if kind.keeps_last_digits() => {
                let digits = value.chars().filter(char::is_ascii_digit).count();
                digits.saturating_sub(4)
            }
            Style::MaskLast4 => usize::MAX,
        };
        let mut seen_digits = 0;
        for c in value.chars() {
            if c.is_ascii_digit() {
                seen_digits += 1;
                out.push(if seen_digits > keep_from { c } else { mask });
            } else if c.is_alphanumeric() {
                out.push(mask);
            } else {
                out.push(c);
            }
        }
    }
}

impl Stage for Redaction {
    fn name(&self) -> &str {
        "redaction"
    }

    fn decide(&self, message: &ChannelMessage) -> Result<Decision, StageError> {
        let Some((content, counts)) = self.redact(message.text()) else {
            return Ok(Decision::Pass);
        };
        let mut edits = Edits::default().with_content(content);
        edits.redacted = counts.iter().map(|(k, n)| (k.name(), *n as u64)).collect();
        let mut write_attribute = matches!(self.config.record, Record::Attribute | Record::Both);
        if matches!(self.config.record, Record::Metadata | Record::Both) {
            let record: serde_json::Map<String, serde_json::Value> = counts
                .iter()
                .map(|(k, n)| (k.name().to_owned(), json!(n)))
                .collect();
            match merge_section(message.metadata.as_deref(), "redactions", &record) {
                Ok(metadata) => edits.metadata = Some(metadata),
                // The sender's metadata is kept; the record goes to the attribute so it is not lost.
                Err(_) => write_attribute = true,
            }
        }
        if write_attribute {
            let values = counts
                .iter()
                .map(|(k, n)| format!("{}:{n}", k.name()))
                .collect();
            edits
                .attributes
                .insert(self.config.attribute.clone(), values);
        }
        Ok(Decision::update(edits))
    }
}

/// Deterministic overlap resolution: priority, then position, then the longer finding. A finding that
/// overlaps chosen ones is not dropped: each part of it left uncovered is redacted as its kind (a card
/// detected from the middle of a phone number would otherwise leave the card's last groups readable),
/// so the union of everything detected is always covered. The result is sorted by position.
fn resolve_overlaps(text: &str, mut found: Vec<(Kind, usize, usize)>) -> Vec<(Kind, usize, usize)> {
    found.sort_by(|a, b| {
        a.0.priority()
            .cmp(&b.0.priority())
            .then(a.1.cmp(&b.1))
            .then((b.2 - b.1).cmp(&(a.2 - a.1)))
    });
    let mut chosen: Vec<(Kind, usize, usize)> = Vec::with_capacity(found.len());
    for (kind, start, end) in found {
        let mut taken: Vec<(usize, usize)> = chosen
            .iter()
            .filter(|c| end > c.1 && start < c.2)
            .map(|c| (c.1, c.2))
            .collect();
        if taken.is_empty() {
            chosen.push((kind, start, end));
            continue;
        }
        taken.sort_unstable();
        let mut at = start;
        for (from, to) in taken.into_iter().chain([(end, end)]) {
            if from > at
                && let Some((s, e)) = trim_separators(text, at, from.min(end))
            {
                chosen.push((kind, s, e));
            }
            at = at.max(to);
        }
    }
    chosen.sort_by_key(|c| c.1);
    chosen
}

/// `text[start..end]` without separators at either end, or `None` when nothing is left.
fn trim_separators(text: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let separator = |c: char| c.is_whitespace() || matches!(c, '-' | '.' | '/' | ',' | ':' | ';');
    let piece = &text[start..end];
    let trimmed_start = piece.trim_start_matches(separator);
    let s = start + (piece.len() - trimmed_start.len());
    let e = s + trimmed_start.trim_end_matches(separator).len();
    (e > s).then_some((s, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::moderation::ModerationConfig;

    fn redaction(style: Style) -> Redaction {
        let moderation = Arc::new(Moderation::new(&ModerationConfig::builtin()).unwrap());
        Redaction::new(
            RedactionConfig {
                style,
                ..RedactionConfig::default()
            },
            Some(moderation),
        )
        .unwrap()
    }

    #[test]
    fn tags_masks_and_counts() {
        let text = "Mail jane@example.com, card 4242 4242 4242 4242 — merci 🙏🏽";
        let (out, counts) = redaction(Style::Tag).redact(text).unwrap();
        assert_eq!(out, "Mail [EMAIL], card [CARD] — merci 🙏🏽");
        assert_eq!(counts[&Kind::Email], 1);
        let (out, _) = redaction(Style::MaskLast4).redact(text).unwrap();
        assert_eq!(
            out,
            "Mail ••••@•••••••.•••, card •••• •••• •••• 4242 — merci 🙏🏽"
        );
        let (out, _) = redaction(Style::Mask).redact("this is bullshit").unwrap();
        assert_eq!(out, "this is ••••••••");
    }

    #[test]
    fn bad_style_names_the_variable_and_choices() {
        let err =
            RedactionConfig::from_env(&Env::from_pairs([("REDACTION_STYLE", "blur")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "REDACTION_STYLE: invalid value \"blur\": expected one of tag, mask, mask-last4"
        );
        let config =
            RedactionConfig::from_env(&Env::from_pairs([("REDACTION_RECORD", "BOTH")])).unwrap();
        assert_eq!(config.record, Record::Both);
    }

    #[test]
    fn regions_decide_whose_bare_numbers_are_phones() {
        let with = |regions: &str| {
            let config =
                RedactionConfig::from_env(&Env::from_pairs([("REDACTION_REGIONS", regions)]))
                    .unwrap();
            Redaction::new(config, None).unwrap()
        };
        let text = "call me on 5321234567 or 532.123.45.67";
        let (tr, counts) = with("TR").redact(text).unwrap();
        assert_eq!(tr, "call me on [PHONE] or [PHONE]");
        assert_eq!(counts[&Kind::Phone], 2);
        assert_eq!(
            with("US,GB").redact(text),
            None,
            "no plan of theirs assigns them"
        );
        assert_eq!(
            with("US")
                .redact("order 4155550100 shipped")
                .map(|r| r.0)
                .as_deref(),
            Some("order [PHONE] shipped")
        );
        assert_eq!(with("GB").redact("order 4155550100 shipped"), None);
        assert!(
            with("GB").redact("call +1 415 555 0100").is_some(),
            "an international number is a phone whatever the regions"
        );
        let error = RedactionConfig::from_env(&Env::from_pairs([("REDACTION_REGIONS", "US,EU")]))
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("REDACTION_REGIONS: unknown region \"EU\""),
            "{error}"
        );
    }

    #[test]
    fn a_message_at_the_limit_stays_within_it() {
        // 4,096 bytes of short addresses: tags and `•` masks would both make it longer.
        let unit = "a@b.io ";
        let text = unit.repeat(4096 / unit.len()) + &"x".repeat(4096 % unit.len());
        assert_eq!(text.len(), 4096);
        for style in [Style::Tag, Style::Mask, Style::MaskLast4] {
            let (out, counts) = redaction(style).redact(&text).unwrap();
            assert!(out.len() <= 4096, "{style:?}: {} bytes", out.len());
            assert!(!out.contains("a@b.io"), "{style:?}");
            assert_eq!(counts[&Kind::Email], 4096 / unit.len());
            assert!(
                out.starts_with("*@*.** *@*.** "),
                "{style:?}: {}",
                &out[..20]
            );
        }
        // Where it fits, the configured style is kept.
        let (out, _) = redaction(Style::Tag).redact("a@b.io").unwrap();
        assert_eq!(out, "[EMAIL]");
    }

    #[test]
    fn nothing_found_is_none_and_rtl_text_survives() {
        assert!(
            redaction(Style::Tag)
                .redact("just a normal message 🎉")
                .is_none()
        );
        let (out, _) = redaction(Style::Tag)
            .redact("مرحبا jane@example.com שלום")
            .unwrap();
        assert_eq!(out, "مرحبا [EMAIL] שלום");
    }

    #[test]
    fn overlaps_prefer_the_validated_higher_priority_kind() {
        // A card number also looks like a phone; the card wins and is redacted once.
        let (out, counts) = redaction(Style::Tag).redact("4242-4242-4242-4242").unwrap();
        assert_eq!(out, "[CARD]");
        assert_eq!(counts.len(), 1);
    }

    #[test]
    fn every_detected_part_stays_covered_when_findings_overlap() {
        // Found by the property test: the card detector reads "20 7946 0958 4242 4242" (valid Luhn) out of
        // a phone number followed by a card, which cut the real card short; its last groups must not
        // remain readable.
        let text = "+44 20 7946 0958 4242 4242 4242 4242 end";
        let (out, _) = redaction(Style::Tag).redact(text).unwrap();
        assert!(!out.contains("4242"), "{out}");
        assert!(!out.contains("7946"), "{out}");
        assert!(out.ends_with(" end"), "{out}");
        // A phone greedily running into an SSN keeps its own part, the SSN stays whole.
        let (out, _) = redaction(Style::Tag)
            .redact("+44 20 7946 0958 123-45-6789")
            .unwrap();
        assert_eq!(out, "[PHONE] [SSN]");
    }
}
