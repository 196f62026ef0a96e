//! Moderation: deny messages that hit the deny lists.
//!
//! Terms match as whole words after normalisation (see [`normalize`]), so evasions are caught and
//! innocent words that contain a term pass. Regexes (linear-time by construction, size-bounded) run on
//! the folded text. Each entry has a severity; a message is denied when the severities of the distinct
//! rules it hits add up to the threshold. Exempt senders always pass. A deny names the rule, never the
//! matched text.

pub mod normalize;
mod terms;

use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};

use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};

use crate::config::{ConfigError, Env, split_list};
use crate::decision::Decision;
use crate::event::ChannelMessage;
use crate::stage::{Stage, StageError};
use normalize::{Normalized, fold_mapped, normalize};
pub use terms::{TermError, TermMatcher};

const DEFAULT_TERMS: &str = include_str!("default_terms.txt");
const DEFAULT_ALLOW: &str = include_str!("default_allow.txt");
/// Default bound on the compiled size of all regexes together.
pub const DEFAULT_REGEX_SIZE_LIMIT: usize = 4 << 20;
const DEFAULT_SEVERITY: u32 = 10;

/// One list entry: `[N] text`, severity N (1–10) optional.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub text: String,
    pub severity: u32,
}

impl Entry {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if let Some(rest) = raw.strip_prefix('[')
            && let Some((digits, text)) = rest.split_once(']')
            && !digits.is_empty()
            && digits.chars().all(|c| c.is_ascii_digit())
        {
            let severity: u32 = digits
                .parse()
                .map_err(|_| format!("severity {digits:?} is not a number"))?;
            if !(1..=10).contains(&severity) {
                return Err(format!("severity {severity} is out of range 1–10"));
            }
            return Ok(Self {
                text: text.trim().to_owned(),
                severity,
            });
        }
        Ok(Self {
            text: raw.to_owned(),
            severity: DEFAULT_SEVERITY,
        })
    }
}

/// A rule that matched: `term-N` or `regex-N` (1-based in the list), with its severity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleHit {
    pub rule_id: String,
    pub severity: u32,
    /// Byte range in the original text.
    pub range: (usize, usize),
}

/// Everything moderation needs, already parsed. `Default` is empty lists with the default threshold
/// and regex size limit; [`ModerationConfig::builtin`] adds the built-in lists.
#[derive(Debug, Clone)]
pub struct ModerationConfig {
    pub terms: Vec<Entry>,
    pub regexes: Vec<Entry>,
    pub allow: Vec<String>,
    pub threshold: u32,
    pub exempt_senders: Vec<String>,
    pub regex_size_limit: usize,
}

impl Default for ModerationConfig {
    fn default() -> Self {
        Self {
            terms: Vec::new(),
            regexes: Vec::new(),
            allow: Vec::new(),
            threshold: DEFAULT_SEVERITY,
            exempt_senders: Vec::new(),
            regex_size_limit: DEFAULT_REGEX_SIZE_LIMIT,
        }
    }
}

impl ModerationConfig {
    /// The built-in lists, threshold 10.
    pub fn builtin() -> Self {
        Self {
            terms: parse_entries(DEFAULT_TERMS).unwrap_or_default(),
            allow: split_lines(DEFAULT_ALLOW),
            ..Self::default()
        }
    }

    /// Reads `DENY_TERMS`, `DENY_TERMS_FILE`, `DENY_REGEXES` (one per line), `DENY_REGEXES_FILE`,
    /// `ALLOW_TERMS`, `ALLOW_TERMS_FILE`, `MODERATION_DEFAULT_TERMS` (true), `MODERATION_THRESHOLD`
    /// (1–1000, default 10), `EXEMPT_SENDER_ARNS`, `REGEX_SIZE_LIMIT` (bytes).
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let mut config = if env.flag("MODERATION_DEFAULT_TERMS", true)? {
            Self::builtin()
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
        config.threshold = env.int_in(
            "MODERATION_THRESHOLD",
            u64::from(DEFAULT_SEVERITY),
            (1, 1000),
        )? as u32;
        config.exempt_senders = env.list("EXEMPT_SENDER_ARNS");
        config.regex_size_limit = env.int_in(
            "REGEX_SIZE_LIMIT",
            DEFAULT_REGEX_SIZE_LIMIT as u64,
            (1024, 256 << 20),
        )? as usize;
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

fn parse_entries(text: &str) -> Result<Vec<Entry>, String> {
    split_lines(text)
        .iter()
        .map(|line| Entry::parse(line))
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
    #[error("deny terms: {0}")]
    Terms(#[from] TermError),
    #[error("deny regex {index}: {reason}")]
    Regex { index: usize, reason: String },
    #[error(
        "deny regexes: compiled size exceeds the limit of {limit} bytes (REGEX_SIZE_LIMIT); use fewer or simpler patterns"
    )]
    RegexTooLarge { limit: usize },
}

/// The compiled moderation stage.
#[derive(Debug, Clone)]
pub struct Moderation {
    terms: TermMatcher,
    term_severity: Vec<u32>,
    regex_set: Option<RegexSet>,
    regexes: Vec<Regex>,
    regex_severity: Vec<u32>,
    threshold: u32,
    exempt: HashSet<String>,
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
    pub fn new(config: &ModerationConfig) -> Result<Self, ModerationError> {
        let terms: Vec<String> = config.terms.iter().map(|e| e.text.clone()).collect();
        let matcher = TermMatcher::new(&terms, &config.allow)?;
        let mut regexes = Vec::with_capacity(config.regexes.len());
        for (index, entry) in config.regexes.iter().enumerate() {
            let regex = RegexBuilder::new(&entry.text)
                .size_limit(config.regex_size_limit)
                .build()
                .map_err(|e| regex_error(index + 1, e, config.regex_size_limit))?;
            regexes.push(regex);
        }
        let regex_set = if regexes.is_empty() {
            None
        } else {
            let set = RegexSetBuilder::new(config.regexes.iter().map(|e| e.text.as_str()))
                .size_limit(config.regex_size_limit)
                .build()
                .map_err(|e| regex_error(0, e, config.regex_size_limit))?;
            Some(set)
        };
        Ok(Self {
            terms: matcher,
            term_severity: config.terms.iter().map(|e| e.severity).collect(),
            regex_set,
            regexes,
            regex_severity: config.regexes.iter().map(|e| e.severity).collect(),
            threshold: config.threshold.max(1),
            exempt: config.exempt_senders.iter().cloned().collect(),
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        })
    }

    /// Built for a processor: the term automaton built at start serves at once, and a faster one is
    /// built on a background thread and takes over when ready (see [`TermMatcher`]).
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
                    hits.push(RuleHit {
                        rule_id: format!("term-{}", hit.term + 1),
                        severity: self.term_severity[hit.term],
                        range,
                    });
                }
            });
            if let Some(set) = &self.regex_set {
                fold_mapped(text, folded, map);
                for index in set.matches(folded).iter() {
                    for found in self.regexes[index].find_iter(folded) {
                        hits.push(RuleHit {
                            rule_id: format!("regex-{}", index + 1),
                            severity: self.regex_severity[index],
                            range: (map[found.start()], map[found.end()]),
                        });
                    }
                }
            }
            hits
        })
    }

    /// The verdict: deny with the most severe rule when the distinct rules' severities reach the threshold.
    pub fn judge(&self, text: &str) -> Option<RuleHit> {
        let mut hits = self.scan(text);
        hits.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.rule_id.cmp(&b.rule_id))
        });
        hits.dedup_by(|a, b| a.rule_id == b.rule_id);
        let score: u32 = hits.iter().map(|h| h.severity).sum();
        if score >= self.threshold {
            hits.into_iter().next()
        } else {
            None
        }
    }

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
            ("DENY_TERMS", "frobnicate, [7] wibble"),
            ("DENY_TERMS_FILE", terms_path.as_str()),
            ("DENY_REGEXES", "[9] free\\s+crypto"),
            ("MODERATION_THRESHOLD", "9"),
            ("ALLOW_TERMS", "quuxes"),
        ]);
        let config = ModerationConfig::from_env(&env).unwrap();
        let texts: Vec<(&str, u32)> = config
            .terms
            .iter()
            .map(|e| (e.text.as_str(), e.severity))
            .collect();
        assert_eq!(
            texts,
            vec![
                ("frobnicate", 10),
                ("wibble", 7),
                ("zorblax", 3),
                ("quux", 10)
            ]
        );
        assert_eq!(
            config.regexes,
            vec![Entry {
                text: "free\\s+crypto".into(),
                severity: 9
            }]
        );
        assert_eq!(config.allow, vec!["quuxes"]);
        let moderation = Moderation::new(&config).unwrap();
        assert_eq!(
            moderation.judge("FREE   crypto now").map(|h| h.rule_id),
            Some("regex-1".into())
        );
        assert_eq!(
            moderation.judge("z0rbl@x").map(|h| h.rule_id),
            None,
            "severity 3 is under the threshold"
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
        let config = ModerationConfig {
            regexes: vec![Entry::parse("caf[eé]").unwrap()],
            threshold: 1,
            ..ModerationConfig::default()
        };
        let moderation = Moderation::new(&config).unwrap();
        let text = "Ünïcode CAFÉ!";
        let hit = moderation.scan(text).pop().unwrap();
        assert_eq!(&text[hit.range.0..hit.range.1], "CAFÉ");
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
