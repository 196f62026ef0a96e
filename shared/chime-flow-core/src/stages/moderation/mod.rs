//! Moderation: deny messages that hit the deny lists.
//!
//! Terms match as whole words after normalisation (see [`normalize`](mod@normalize)) in their listed shapes and
//! generated spellings (see [`lists`], [`variants`]), so evasions, inflections and compounds are
//! caught and innocent words that contain a term pass. Regexes (linear-time by construction,
//! size-bounded) run on the folded text. Every entry has a category and a severity; a message is
//! denied when, in some category, the severities of the distinct rules it hits reach that category's
//! threshold. Exempt senders always pass. A deny names the rule and its category, never the text.
//! Hits in mentions, quoted reports and false friends are set aside first (see [`context`]); with
//! `MODERATION_CLASSIFIER=on` the model joins the verdict (see [`crate::stages::classifier`]).

mod compile;
mod configuration;
pub mod context;
pub mod lists;
pub mod normalize;
mod terms;
mod thresholds;
pub mod variants;

use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::atomic::AtomicU64;

use regex::{Regex, RegexSet};

use crate::decision::Decision;
use crate::event::ChannelMessage;
use crate::stage::{Stage, StageError};
#[cfg(feature = "classifier")]
use crate::stages::classifier::{Classifier, Verdict};
pub use compile::ModerationError;
use compile::Rule;
#[cfg(feature = "classifier")]
use configuration::DEFAULT_SEVERITY;
pub use configuration::{DEFAULT_REGEX_SIZE_LIMIT, Entry, ModerationConfig};
pub use lists::{Category, ListTerm, parse_level};
use normalize::{Normalized, fold_mapped, normalize};
pub use terms::{Shape, TermError, TermMatcher, TermRef, TermSpec};
pub use thresholds::Thresholds;

/// A rule that matched: `category:list-N`, `category:term-N` or `category:regex-N`, with its severity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleHit {
    /// The rule, for logs and the deny.
    pub rule_id: String,
    /// Its category.
    pub category: Category,
    /// Its severity.
    pub severity: u32,
    /// Byte range in the original text.
    pub range: (usize, usize),
}

/// The compiled moderation stage.
#[derive(Debug, Clone)]
pub struct Moderation {
    terms: TermMatcher,
    /// Per term of the matcher.
    term_rules: Vec<Rule>,
    regex_set: Option<RegexSet>,
    regexes: Vec<Regex>,
    regex_rules: Vec<Rule>,
    thresholds: Thresholds,
    exempt: HashSet<String>,
    #[cfg(feature = "classifier")]
    classifier: Option<Classifier>,
    /// Identifies this compiled configuration (clones share it: same lists, same answers).
    id: u64,
}

/// Source of [`Moderation::id`]s; 0 is never handed out.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// The last scan on this thread: (moderation id, text, hits). A pipeline scans the same text twice
/// (moderation denies, redaction masks profanity); the second scan is answered from here. It holds a
/// copy of the last scanned content in memory until the next scan; nothing of it is ever logged.
type LastScan = (u64, String, Vec<RuleHit>);

thread_local! {
    static LAST_SCAN: RefCell<LastScan> = RefCell::default();
    /// Scratch buffers reused across messages: no allocation per message once warm.
    static SCRATCH: RefCell<(Normalized, String, Vec<usize>)> = RefCell::default();
}

impl Moderation {
    /// Whether the faster term automaton serves searches yet.
    pub fn fast_automaton_ready(&self) -> bool {
        self.terms.fast_ready()
    }

    /// Every rule hit in `text`, with original byte ranges (used by redaction to mask them).
    pub fn scan(&self, text: &str) -> Vec<RuleHit> {
        let remembered = LAST_SCAN.with(|last| {
            let last = last.borrow();
            (last.0 == self.id && last.1 == text).then(|| last.2.clone())
        });
        if let Some(hits) = remembered {
            return hits;
        }
        let hits = self.scan_uncached(text);
        LAST_SCAN.with(|last| {
            let mut last = last.borrow_mut();
            last.0 = self.id;
            last.1.clear();
            last.1.push_str(text);
            last.2.clone_from(&hits);
        });
        hits
    }

    fn scan_uncached(&self, text: &str) -> Vec<RuleHit> {
        SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            let (norm, folded, map) = &mut *scratch;
            normalize(text, norm);
            let mut hits = Vec::new();
            self.terms.find(norm, |hit| {
                if let Some(range) = norm.original_range(hit.stream.0, hit.stream.1) {
                    let rule = &self.term_rules[hit.term];
                    hits.push(RuleHit {
                        rule_id: rule.id(),
                        category: rule.category,
                        severity: rule.severity,
                        range,
                    });
                }
            });
            if let Some(set) = &self.regex_set {
                fold_mapped(text, folded, map);
                for index in set.matches(folded).iter() {
                    let rule = &self.regex_rules[index];
                    for found in self.regexes[index].find_iter(folded) {
                        hits.push(RuleHit {
                            rule_id: rule.id(),
                            category: rule.category,
                            severity: rule.severity,
                            range: (map[found.start()], map[found.end()]),
                        });
                    }
                }
            }
            hits
        })
    }

    /// The verdict: the lists' (the most severe rule of the categories whose distinct rules'
    /// severities reach their thresholds) and, with the classifier on, the model's by the rule in
    /// [`crate::stages::classifier`]: alone above its deny threshold (`classifier:model`), or with a
    /// listed word under its threshold above the assist threshold (`classifier+<rule>`).
    pub fn judge(&self, text: &str) -> Option<RuleHit> {
        let (listed, below) = self.judge_lists(text);
        if listed.is_some() {
            return listed;
        }
        self.judge_model(text, below)
    }

    #[cfg(not(feature = "classifier"))]
    fn judge_model(&self, _text: &str, _below: Option<RuleHit>) -> Option<RuleHit> {
        None
    }

    /// The model's verdict on what the lists let through (`below`: their most severe hit under
    /// its threshold).
    #[cfg(feature = "classifier")]
    fn judge_model(&self, text: &str, below: Option<RuleHit>) -> Option<RuleHit> {
        let classifier = self.classifier.as_ref()?;
        let whole = (0, text.len());
        match (classifier.verdict(text), below) {
            (Verdict::Deny(_), _) => Some(RuleHit {
                rule_id: "classifier:model".into(),
                category: Category::Harassment,
                severity: DEFAULT_SEVERITY,
                range: whole,
            }),
            (Verdict::Assist(_), Some(hit)) => Some(RuleHit {
                rule_id: format!("classifier+{}", hit.rule_id),
                range: whole,
                ..hit
            }),
            _ => None,
        }
    }

    /// The lists' verdict, and otherwise the most severe hit that did not reach its threshold.
    fn judge_lists(&self, text: &str) -> (Option<RuleHit>, Option<RuleHit>) {
        let mut hits = self.scan(text);
        hits.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.rule_id.cmp(&b.rule_id))
        });
        let mut judged = context::Judged::new(text);
        hits.retain(|hit| judged.set_aside(hit).is_none());
        hits.dedup_by(|a, b| a.rule_id == b.rule_id);
        let mut scores = [0u32; 6];
        for hit in &hits {
            scores[hit.category.index()] += hit.severity;
        }
        let denies = |category: Category| {
            self.thresholds
                .get(category)
                .is_some_and(|t| scores[category.index()] >= t)
        };
        match hits.iter().position(|hit| denies(hit.category)) {
            Some(at) => (Some(hits.swap_remove(at)), None),
            None => (None, hits.into_iter().next()),
        }
    }

    /// The classifier's probability for `text`, when it is on.
    #[cfg(feature = "classifier")]
    pub fn classifier_score(&self, text: &str) -> Option<f32> {
        self.classifier.as_ref().map(|c| c.score(text))
    }

    /// Whether messages from `sender_arn` skip moderation.
    pub fn is_exempt(&self, sender_arn: Option<&str>) -> bool {
        sender_arn.is_some_and(|arn| self.exempt.contains(arn))
    }
}

impl Stage for Moderation {
    fn name(&self) -> &str {
        "moderation"
    }

    fn decide(&self, message: &ChannelMessage) -> Result<Decision, StageError> {
        if self.is_exempt(message.sender_arn()) {
            return Ok(Decision::Pass);
        }
        Ok(match self.judge(message.text()) {
            Some(hit) => Decision::deny(hit.rule_id),
            None => Decision::Pass,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Env;
    use crate::stages::classifier::ClassifierConfig;

    #[test]
    fn lists_come_from_inline_variables_and_files() {
        let dir = std::env::temp_dir().join(format!("chime-flow-lists-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let terms = dir.join("terms.txt");
        std::fs::write(&terms, "# comment\n[3] zorblax\nquux\n").unwrap();
        let terms_path = terms.to_string_lossy().into_owned();
        let env = Env::from_pairs([
            ("MODERATION_DEFAULT_TERMS", "false"),
            ("DENY_TERMS", "frobnicate, [7] wibble, [slur mild] blorg"),
            ("DENY_TERMS_FILE", terms_path.as_str()),
            ("DENY_REGEXES", "[9] free\\s+crypto"),
            ("MODERATION_THRESHOLD", "9"),
            ("ALLOW_TERMS", "quuxes"),
        ]);
        let config = ModerationConfig::from_env(&env).unwrap();
        let texts: Vec<(&str, u32, Category)> = config
            .terms
            .iter()
            .map(|e| (e.text.as_str(), e.severity, e.category))
            .collect();
        assert_eq!(
            texts,
            vec![
                ("frobnicate", 10, Category::Custom),
                ("wibble", 7, Category::Custom),
                ("blorg", 3, Category::Slur),
                ("zorblax", 3, Category::Custom),
                ("quux", 10, Category::Custom)
            ]
        );
        assert_eq!(config.regexes, vec![Entry::new("free\\s+crypto", 9)]);
        assert_eq!(config.allow, vec!["quuxes"]);
        assert!(config.lists.is_empty());
        let moderation = Moderation::new(&config).unwrap();
        assert_eq!(
            moderation.judge("FREE   crypto now").map(|h| h.rule_id),
            Some("custom:regex-1".into())
        );
        assert_eq!(
            moderation.judge("z0rbl@x").map(|h| h.rule_id),
            None,
            "severity 3 is under the custom threshold"
        );
        assert_eq!(
            moderation.judge("bl0rg").map(|h| h.rule_id),
            Some("slur:term-3".into()),
            "a slur-category entry is judged by the slur threshold (3)"
        );

        let bad = Env::from_pairs([
            ("DENY_TERMS_FILE", terms_path.as_str()),
            ("DENY_TERMS", "ok, [11] x"),
        ]);
        assert_eq!(
            ModerationConfig::from_env(&bad).unwrap_err().to_string(),
            "DENY_TERMS: entry 2: severity 11 is out of range 1–10"
        );
        let missing = Env::from_pairs([("DENY_REGEXES_FILE", "/nonexistent/regexes.txt")]);
        assert!(
            ModerationConfig::from_env(&missing)
                .unwrap_err()
                .to_string()
                .starts_with("DENY_REGEXES_FILE: cannot read")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn category_thresholds_and_languages_from_the_environment() {
        let env = Env::from_pairs([
            ("MODERATION_LANGUAGES", "en, de"),
            (
                "MODERATION_CATEGORIES",
                "profanity=mild, self-harm=strong, sexual=off",
            ),
        ]);
        let config = ModerationConfig::from_env(&env).unwrap();
        assert!(
            config
                .lists
                .iter()
                .all(|t| t.rule_id.contains(":en-") || t.rule_id.contains(":de-"))
        );
        assert_eq!(config.thresholds.get(Category::Profanity), Some(3));
        assert_eq!(config.thresholds.get(Category::Sexual), None);
        assert_eq!(
            config.thresholds.get(Category::Slur),
            Some(3),
            "unnamed keep defaults"
        );
        let moderation = Moderation::new(&config).unwrap();
        let deny = |t: &str| moderation.judge(t).map(|h| h.rule_id);
        assert!(deny("damn").is_some_and(|r| r.starts_with("profanity:en-")));
        assert_eq!(deny("nice tits"), None, "sexual is off");
        assert!(deny("I want to kill myself").is_some_and(|r| r.starts_with("self-harm:en-")));
        assert!(deny("du Arschloch").is_some_and(|r| r.starts_with("profanity:de-")));
        assert_eq!(deny("pendejo"), None, "Spanish is not loaded");

        for (spec, want) in [
            ("profanity", "\"profanity\" is not category=threshold"),
            ("rude=strong", "unknown category \"rude\""),
            ("slur=2000", "slur: 2000 is out of range 1–1000"),
            ("slur=loud", "slur: \"loud\" is not a level"),
        ] {
            let env = Env::from_pairs([("MODERATION_CATEGORIES", spec)]);
            let error = ModerationConfig::from_env(&env).unwrap_err().to_string();
            assert!(
                error.starts_with("MODERATION_CATEGORIES: ") && error.contains(want),
                "{error}"
            );
        }
        let env = Env::from_pairs([("MODERATION_LANGUAGES", "en,xx")]);
        assert!(
            ModerationConfig::from_env(&env)
                .unwrap_err()
                .to_string()
                .contains("no built-in list for \"xx\"")
        );
        assert!(
            Entry::parse("[rude] x")
                .unwrap_err()
                .contains("neither a category")
        );
    }

    #[test]
    fn default_thresholds_suit_a_general_audience() {
        let moderation = Moderation::new(&ModerationConfig::builtin()).unwrap();
        let deny = |t: &str| moderation.judge(t).map(|h| h.rule_id);
        assert_eq!(deny("damn, this crap"), None, "two mild words pass");
        assert!(
            deny("damn this crap, I'm pissed").is_some(),
            "three mild words deny"
        );
        assert!(deny("you f*cking b1tch").is_some());
        assert_eq!(
            deny("I want to kill myself"),
            None,
            "self-harm is off by default"
        );
        assert!(deny("kys").is_some_and(|r| r.starts_with("harassment:en-")));
    }

    #[test]
    fn a_repeated_scan_is_remembered_per_configuration() {
        let strict = Moderation::new(&ModerationConfig::builtin()).unwrap();
        let lenient = Moderation::new(&ModerationConfig::default()).unwrap();
        let text = "this is bullshit";
        let first = strict.scan(text);
        assert_eq!(first.len(), 1);
        assert_eq!(
            strict.scan(text),
            first,
            "same configuration, same text: same answer"
        );
        assert!(
            lenient.scan(text).is_empty(),
            "another configuration is not answered from memory"
        );
        assert_eq!(strict.clone().scan(text), first);
        assert!(strict.scan("all fine").is_empty());
    }

    #[test]
    fn regex_hits_map_back_to_original_bytes() {
        let mut config = ModerationConfig {
            regexes: vec![Entry::parse("caf[eé]").unwrap()],
            ..ModerationConfig::default()
        };
        config.thresholds.set(Category::Custom, Some(1));
        let moderation = Moderation::new(&config).unwrap();
        let text = "Ünïcode CAFÉ!";
        let hit = moderation.scan(text).pop().unwrap();
        assert_eq!(&text[hit.range.0..hit.range.1], "CAFÉ");
    }

    fn with_classifier(deny: f32, assist: f32) -> Moderation {
        Moderation::new(&ModerationConfig {
            classifier: Some(ClassifierConfig {
                deny_threshold: Some(deny),
                assist_threshold: Some(assist),
            }),
            ..ModerationConfig::builtin()
        })
        .unwrap()
    }

    #[test]
    fn the_classifier_denies_alone_above_its_threshold_or_with_a_listed_word() {
        let rule = |m: &Moderation, t: &str| m.judge(t).map(|h| h.rule_id);
        // Thresholds out of reach: the lists alone decide, as with the classifier off.
        let never = with_classifier(1.1, 1.1);
        assert_eq!(rule(&never, "damn"), None);
        assert!(rule(&never, "fuck you").is_some_and(|r| r.starts_with("profanity:en-")));
        // Assist at 0: one mild listed word under its threshold now denies, naming both.
        let assist = with_classifier(1.1, 0.0);
        assert!(
            rule(&assist, "damn").is_some_and(|r| r.starts_with("classifier+profanity:en-")),
            "{:?}",
            rule(&assist, "damn")
        );
        assert_eq!(
            rule(&assist, "hello there"),
            None,
            "no listed word to assist"
        );
        let always = with_classifier(0.0, 0.0);
        assert_eq!(
            rule(&always, "hello there").as_deref(),
            Some("classifier:model")
        );
        assert!(
            rule(&always, "fuck you").is_some_and(|r| r.starts_with("profanity:en-")),
            "a list's own deny keeps its rule"
        );
        // The built-in model with its own thresholds reads the sentence, not only its words.
        let default = Moderation::new(&ModerationConfig {
            classifier: Some(ClassifierConfig::default()),
            ..ModerationConfig::builtin()
        })
        .unwrap();
        let hostile = default
            .classifier_score("refugees are vermin and should all die")
            .unwrap();
        let friendly = default
            .classifier_score("refugees are welcome here")
            .unwrap();
        assert!(hostile > 0.9 && friendly < 0.5, "{hostile} {friendly}");
        assert_eq!(
            rule(&default, "refugees are vermin and should all die").as_deref(),
            Some("classifier:model")
        );
        assert_eq!(rule(&default, "refugees are welcome here"), None);
        assert_eq!(
            Moderation::new(&ModerationConfig::builtin())
                .unwrap()
                .classifier_score("x"),
            None
        );
    }

    #[test]
    fn the_classifier_is_configured_from_the_environment() {
        let config = |pairs: &[(&str, &str)]| {
            ModerationConfig::from_env(&Env::from_pairs(pairs.iter().copied()))
        };
        assert_eq!(config(&[]).unwrap().classifier, None, "off by default");
        assert_eq!(
            config(&[
                ("MODERATION_CLASSIFIER", "on"),
                ("CLASSIFIER_DENY_THRESHOLD", "0.95")
            ])
            .unwrap()
            .classifier,
            Some(ClassifierConfig {
                deny_threshold: Some(0.95),
                assist_threshold: None
            })
        );
        let error = config(&[
            ("MODERATION_CLASSIFIER", "on"),
            ("CLASSIFIER_ASSIST_THRESHOLD", "1.5"),
        ])
        .unwrap_err()
        .to_string();
        assert_eq!(
            error,
            "CLASSIFIER_ASSIST_THRESHOLD: \"1.5\" is not a probability (0–1)"
        );
        assert!(
            config(&[("MODERATION_CLASSIFIER", "maybe")])
                .unwrap_err()
                .to_string()
                .starts_with("MODERATION_CLASSIFIER")
        );
    }

    #[test]
    fn context_sets_hits_aside_before_the_thresholds() {
        let moderation = Moderation::new(&ModerationConfig::builtin()).unwrap();
        let deny = |t: &str| moderation.judge(t).map(|h| h.rule_id);
        assert_eq!(deny("thanks @bigdick_energy for the review"), None);
        assert!(deny("@sam you dick").is_some());
        assert_eq!(deny("he called me a \"faggot\" in the lobby"), None);
        assert!(deny("you are a \"faggot\"").is_some());
        assert_eq!(deny("hoe gaat het met je vandaag?"), None);
        assert!(deny("you are such a hoe").is_some());
        assert!(
            deny("#fuckmondays").is_some(),
            "a hashtag is the sender's own word"
        );
        // Redaction still masks what the scan finds (a report keeps its meaning with the word masked).
        assert!(
            !moderation
                .scan("he called me a \"faggot\" in the lobby")
                .is_empty()
        );
    }

    #[test]
    fn a_processor_gets_the_fast_automaton_in_the_background() {
        let moderation = Moderation::from_env(&Env::from_pairs([])).unwrap();
        // The start-up automaton answers at once, the fast one soon after (bounded wait: 5 s).
        let before = moderation.judge("this is shit");
        assert!(before.is_some());
        for _ in 0..500 {
            if moderation.fast_automaton_ready() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(moderation.fast_automaton_ready());
        let after = moderation.judge("this is shit!");
        assert_eq!(after.map(|h| h.rule_id), before.map(|h| h.rule_id));
    }
}
