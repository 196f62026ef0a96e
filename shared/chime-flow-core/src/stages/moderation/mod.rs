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

pub mod context;
pub mod lists;
pub mod normalize;
mod terms;
pub mod variants;

use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};

use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};

use crate::config::{ConfigError, Env, split_list};
use crate::decision::Decision;
use crate::event::ChannelMessage;
use crate::stage::{Stage, StageError};
use crate::stages::classifier::{Classifier, ClassifierConfig, Verdict};
pub use lists::{Category, ListTerm, parse_level};
use normalize::{Normalized, fold_mapped, normalize};
pub use terms::{Shape, TermError, TermMatcher, TermRef, TermSpec};

/// Default bound on the compiled size of all regexes together.
pub const DEFAULT_REGEX_SIZE_LIMIT: usize = 4 << 20;
const DEFAULT_SEVERITY: u32 = 10;

/// One entry a deployment adds: `[N] text`, `[category] text` or `[category N] text`; severity N
/// (1–10 or mild/strong/severe) defaults to 10, category to `custom`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The term or pattern.
    pub text: String,
    /// Its severity (1–10).
    pub severity: u32,
    /// Its category.
    pub category: Category,
}

impl Entry {
    /// A custom-category entry.
    pub fn new(text: impl Into<String>, severity: u32) -> Self {
        Self {
            text: text.into(),
            severity,
            category: Category::Custom,
        }
    }

    /// Parses `text` or `[category severity] text` (severity 1–10 or `mild`, `strong`, `severe`).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        let Some((head, text)) = raw
            .strip_prefix('[')
            .and_then(|rest| rest.split_once(']'))
            .filter(|(head, _)| !head.trim().is_empty())
        else {
            return Ok(Self::new(raw, DEFAULT_SEVERITY));
        };
        let mut entry = Self::new(text.trim(), DEFAULT_SEVERITY);
        for word in head.split_whitespace() {
            if let Some(category) = Category::from_name(word) {
                entry.category = category;
            } else if word.chars().all(|c| c.is_ascii_digit()) {
                let severity: u32 = word
                    .parse()
                    .map_err(|_| format!("severity {word:?} is not a number"))?;
                if !(1..=10).contains(&severity) {
                    return Err(format!("severity {severity} is out of range 1–10"));
                }
                entry.severity = severity;
            } else {
                entry.severity = parse_level(word).map_err(|_| {
                    format!(
                        "{word:?} in [{head}] is neither a category ({}) nor a severity (1–10, mild, strong, severe)",
                        category_names()
                    )
                })?;
            }
        }
        Ok(entry)
    }
}

fn category_names() -> String {
    Category::ALL.map(Category::name).join(", ")
}

/// Per category: the summed severity that denies, or `None` (the category is off: its terms are not
/// even compiled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds(pub [Option<u32>; 6]);

impl Default for Thresholds {
    /// For a general-audience chat: strong profanity, sexual terms and harassment deny alone (mild
    /// ones take three), every slur denies, deployment terms at 10. Self-harm is off: denying someone
    /// who writes that they want to die silences a cry for help; turn it on where that is wanted.
    fn default() -> Self {
        let mut t = [None; 6];
        t[Category::Profanity.index()] = Some(7);
        t[Category::Sexual.index()] = Some(7);
        t[Category::Slur.index()] = Some(3);
        t[Category::Harassment.index()] = Some(7);
        t[Category::Custom.index()] = Some(DEFAULT_SEVERITY);
        Self(t)
    }
}

impl Thresholds {
    /// A category's threshold (`None`: the category never denies).
    pub fn get(&self, category: Category) -> Option<u32> {
        self.0[category.index()]
    }

    /// Sets a category's threshold.
    pub fn set(&mut self, category: Category, threshold: Option<u32>) {
        self.0[category.index()] = threshold;
    }

    /// `profanity=strong,slur=mild,self-harm=off,custom=12`: level names, numbers 1–1000 or `off`;
    /// categories not named keep their thresholds.
    pub fn apply(&mut self, spec: &str) -> Result<(), String> {
        for item in spec.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (name, value) = item
                .split_once('=')
                .ok_or_else(|| format!("{item:?} is not category=threshold"))?;
            let category = Category::from_name(name.trim()).ok_or_else(|| {
                format!(
                    "unknown category {:?} (one of {})",
                    name.trim(),
                    category_names()
                )
            })?;
            let value = value.trim();
            let threshold = if value.eq_ignore_ascii_case("off") {
                None
            } else if let Ok(n) = value.parse::<u32>() {
                if !(1..=1000).contains(&n) {
                    return Err(format!("{name}: {n} is out of range 1–1000"));
                }
                Some(n)
            } else {
                Some(parse_level(value).map_err(|e| format!("{name}: {e} or off"))?)
            };
            self.set(category, threshold);
        }
        Ok(())
    }
}

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

/// Everything moderation needs, already parsed. `Default` is no lists with the default thresholds
/// and regex size limit; [`ModerationConfig::builtin`] adds the built-in lists.
#[derive(Debug, Clone)]
pub struct ModerationConfig {
    /// Built-in list entries (see [`lists`]).
    pub lists: Vec<ListTerm>,
    /// A deployment's own terms (`DENY_TERMS`).
    pub terms: Vec<Entry>,
    /// `DENY_REGEXES`: patterns, each with a severity.
    pub regexes: Vec<Entry>,
    /// `ALLOW_TERMS`: words that never count, even if they contain a listed term.
    pub allow: Vec<String>,
    /// Per-category severity sums at which a message is denied.
    pub thresholds: Thresholds,
    /// `EXEMPT_SENDERS`: sender ARNs never moderated (bots, admins).
    pub exempt_senders: Vec<String>,
    /// `REGEX_SIZE_LIMIT`: the compiled patterns' size limit, in bytes.
    pub regex_size_limit: usize,
    /// `MODERATION_CLASSIFIER=on`: the model and its thresholds (see [`crate::stages::classifier`]).
    pub classifier: Option<ClassifierConfig>,
}

impl Default for ModerationConfig {
    fn default() -> Self {
        Self {
            lists: Vec::new(),
            terms: Vec::new(),
            regexes: Vec::new(),
            allow: Vec::new(),
            thresholds: Thresholds::default(),
            exempt_senders: Vec::new(),
            regex_size_limit: DEFAULT_REGEX_SIZE_LIMIT,
            classifier: None,
        }
    }
}

impl ModerationConfig {
    /// The built-in lists of every language, default thresholds.
    pub fn builtin() -> Self {
        Self::with_languages(&[]).unwrap_or_default()
    }

    /// The built-in lists of the given languages (all when empty).
    pub fn with_languages(languages: &[String]) -> Result<Self, String> {
        Ok(Self {
            lists: lists::builtin(languages)?,
            allow: split_lines(lists::BUILTIN_ALLOW),
            ..Self::default()
        })
    }

    /// Reads `MODERATION_DEFAULT_TERMS` (true), `MODERATION_LANGUAGES` (built-in lists, default all),
    /// `MODERATION_CATEGORIES` (thresholds), `DENY_TERMS`, `DENY_TERMS_FILE`, `DENY_REGEXES` (one per
    /// line), `DENY_REGEXES_FILE`, `ALLOW_TERMS`, `ALLOW_TERMS_FILE`, `MODERATION_THRESHOLD` (the
    /// `custom` category's, 1–1000, default 10), `EXEMPT_SENDER_ARNS`, `REGEX_SIZE_LIMIT` (bytes),
    /// `MODERATION_CLASSIFIER` with `CLASSIFIER_DENY_THRESHOLD` and `CLASSIFIER_ASSIST_THRESHOLD`.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let mut config = if env.flag("MODERATION_DEFAULT_TERMS", true)? {
            let languages = env.list("MODERATION_LANGUAGES");
            for language in &languages {
                if !lists::BUILTIN
                    .iter()
                    .any(|(l, _)| l.eq_ignore_ascii_case(language))
                {
                    let known: Vec<&str> = lists::BUILTIN.iter().map(|(l, _)| *l).collect();
                    return Err(ConfigError::new(
                        "MODERATION_LANGUAGES",
                        format!(
                            "no built-in list for {language:?} (one of {})",
                            known.join(", ")
                        ),
                    ));
                }
            }
            Self::with_languages(&languages)
                .map_err(|e| ConfigError::new("MODERATION_LANGUAGES", e))?
        } else {
            Self::default()
        };
        config.terms.extend(entries(env, "DENY_TERMS", split_list)?);
        config
            .regexes
            .extend(entries(env, "DENY_REGEXES", split_lines)?);
        for (_, words) in sources(env, "ALLOW_TERMS", split_list)? {
            config.allow.extend(words);
        }
        let custom = env.int_in(
            "MODERATION_THRESHOLD",
            u64::from(DEFAULT_SEVERITY),
            (1, 1000),
        )? as u32;
        config.thresholds.set(Category::Custom, Some(custom));
        if let Some(spec) = env.get("MODERATION_CATEGORIES") {
            config
                .thresholds
                .apply(spec)
                .map_err(|e| ConfigError::new("MODERATION_CATEGORIES", e))?;
        }
        config.exempt_senders = env.list("EXEMPT_SENDER_ARNS");
        config.regex_size_limit = env.int_in(
            "REGEX_SIZE_LIMIT",
            DEFAULT_REGEX_SIZE_LIMIT as u64,
            (1024, 256 << 20),
        )? as usize;
        config.classifier = ClassifierConfig::from_env(env)?;
        Ok(config)
    }
}

fn split_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// A list given inline in `var` and in the file named by `var_FILE`: each source's variable and entries.
fn sources(
    env: &Env,
    var: &str,
    split: fn(&str) -> Vec<String>,
) -> Result<[(String, Vec<String>); 2], ConfigError> {
    let file_var = format!("{var}_FILE");
    let from_file = match env.get(&file_var) {
        Some(path) => split(
            &std::fs::read_to_string(path)
                .map_err(|e| ConfigError::new(&file_var, format!("cannot read {path:?}: {e}")))?,
        ),
        None => Vec::new(),
    };
    let inline = env.get(var).map(split).unwrap_or_default();
    Ok([(var.to_owned(), inline), (file_var, from_file)])
}

/// The parsed entries of both sources of `var`; a bad entry names its variable and position.
fn entries(
    env: &Env,
    var: &str,
    split: fn(&str) -> Vec<String>,
) -> Result<Vec<Entry>, ConfigError> {
    let mut parsed = Vec::new();
    for (source, raws) in sources(env, var, split)? {
        for (index, raw) in raws.iter().enumerate() {
            let entry = Entry::parse(raw)
                .map_err(|e| ConfigError::new(&source, format!("entry {}: {e}", index + 1)))?;
            parsed.push(entry);
        }
    }
    Ok(parsed)
}

/// Why moderation could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModerationError {
    /// The deny terms could not be compiled.
    #[error("deny terms: {0}")]
    Terms(#[from] TermError),
    /// A term with nothing to match.
    #[error("deny term {0} has no letters or digits after normalisation")]
    EmptyTerm(String),
    /// A deny regex that does not compile.
    #[error("deny regex {index}: {reason}")]
    Regex {
        /// Its position in `DENY_REGEXES`.
        index: usize,
        /// Why it does not compile.
        reason: String,
    },
    /// The patterns compile beyond the size limit.
    #[error(
        "deny regexes: compiled size exceeds the limit of {limit} bytes (REGEX_SIZE_LIMIT); use fewer or simpler patterns"
    )]
    RegexTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The classifier's model file is unusable.
    #[error("classifier: {0}")]
    Model(#[from] crate::stages::classifier::ModelError),
}

/// A compiled rule's identity and weight.
#[derive(Debug, Clone)]
struct Rule {
    id: RuleName,
    category: Category,
    severity: u32,
}

/// How a rule's id is spelled: a list's own, or a deployment's entry by number — written out only
/// when the rule is hit, since a long `DENY_TERMS_FILE` would otherwise format thousands at start.
#[derive(Debug, Clone)]
enum RuleName {
    Listed(String),
    Term(usize),
    Regex(usize),
}

impl Rule {
    /// The rule id reported and logged (`profanity:en-2`, `custom:term-7`, `spam:regex-1`).
    fn id(&self) -> String {
        match &self.id {
            RuleName::Listed(id) => id.clone(),
            RuleName::Term(n) => format!("{}:term-{n}", self.category.name()),
            RuleName::Regex(n) => format!("{}:regex-{n}", self.category.name()),
        }
    }
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
    /// Compiles `config` (matchers built once, here).
    pub fn new(config: &ModerationConfig) -> Result<Self, ModerationError> {
        let on = |category: Category| config.thresholds.get(category).is_some();
        let mut terms = Vec::new();
        let mut term_rules = Vec::new();
        for term in config.lists.iter().filter(|t| on(t.category)) {
            terms.push(term.spec.as_term());
            term_rules.push(Rule {
                id: RuleName::Listed(term.rule_id.clone()),
                category: term.category,
                severity: term.severity,
            });
        }
        for (index, entry) in config.terms.iter().enumerate() {
            if on(entry.category) {
                terms.push(TermRef::custom(&entry.text));
                term_rules.push(Rule {
                    id: RuleName::Term(index + 1),
                    category: entry.category,
                    severity: entry.severity,
                });
            }
        }
        let matcher = TermMatcher::from_terms(terms, &config.allow).map_err(|e| match e {
            // Name the deployment's entry, not the position among all compiled terms.
            TermError::Empty(n) => match term_rules.get(n - 1) {
                Some(rule) => ModerationError::EmptyTerm(rule.id()),
                None => ModerationError::Terms(e),
            },
            other => ModerationError::Terms(other),
        })?;
        let chosen: Vec<(usize, &Entry)> = config
            .regexes
            .iter()
            .enumerate()
            .filter(|(_, e)| on(e.category))
            .collect();
        let mut regexes = Vec::with_capacity(chosen.len());
        for &(index, entry) in &chosen {
            let regex = RegexBuilder::new(&entry.text)
                .size_limit(config.regex_size_limit)
                .build()
                .map_err(|e| regex_error(index + 1, e, config.regex_size_limit))?;
            regexes.push(regex);
        }
        let regex_set = if regexes.is_empty() {
            None
        } else {
            let set = RegexSetBuilder::new(chosen.iter().map(|(_, e)| e.text.as_str()))
                .size_limit(config.regex_size_limit)
                .build()
                .map_err(|e| regex_error(0, e, config.regex_size_limit))?;
            Some(set)
        };
        Ok(Self {
            terms: matcher,
            term_rules,
            regex_set,
            regexes,
            regex_rules: chosen
                .iter()
                .map(|&(index, e)| Rule {
                    id: RuleName::Regex(index + 1),
                    category: e.category,
                    severity: e.severity,
                })
                .collect(),
            thresholds: config.thresholds,
            exempt: config.exempt_senders.iter().cloned().collect(),
            classifier: config
                .classifier
                .as_ref()
                .map(Classifier::builtin)
                .transpose()?,
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        })
    }

    /// How many automaton patterns the lists compiled to (terms × spellings × shapes).
    pub fn pattern_count(&self) -> usize {
        self.terms.pattern_count()
    }

    /// Built for a processor: the term automaton built at start serves at once, and a faster one is
    /// built on a background thread — once [`crate::background`] work may go — and takes over when
    /// ready (see [`TermMatcher`]).
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let config = ModerationConfig::from_env(env)?;
        let moderation = Self::new(&config)
            .map_err(|e| ConfigError::new("DENY_TERMS/DENY_REGEXES", e.to_string()))?;
        moderation.terms.build_fast_in_background();
        Ok(moderation)
    }

    /// Builds the faster term automaton now instead of in the background (benchmarks measure the
    /// steady state with it; tests compare both). Matches are the same either way.
    pub fn build_fast_automaton_now(&self) {
        self.terms.build_fast_now();
    }

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
    pub fn classifier_score(&self, text: &str) -> Option<f32> {
        self.classifier.as_ref().map(|c| c.score(text))
    }

    /// Whether messages from `sender_arn` skip moderation.
    pub fn is_exempt(&self, sender_arn: Option<&str>) -> bool {
        sender_arn.is_some_and(|arn| self.exempt.contains(arn))
    }
}

fn regex_error(index: usize, error: regex::Error, limit: usize) -> ModerationError {
    match error {
        regex::Error::CompiledTooBig(_) => ModerationError::RegexTooLarge { limit },
        other => ModerationError::Regex {
            index,
            reason: other.to_string(),
        },
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
