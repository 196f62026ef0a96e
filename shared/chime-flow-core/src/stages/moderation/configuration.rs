//! Moderation's configuration: the lists, a deployment's own entries (`DENY_TERMS`, `DENY_REGEXES`,
//! `ALLOW_TERMS`, inline or from `_FILE`), the thresholds, exempt senders and the classifier, read
//! from the environment and checked before anything is compiled.

use super::{Category, ListTerm, Thresholds, lists, parse_level};
use crate::config::{ConfigError, Env, split_list};
#[cfg(feature = "classifier")]
use crate::stages::classifier::ClassifierConfig;

/// Default bound on the compiled size of all regexes together.
pub const DEFAULT_REGEX_SIZE_LIMIT: usize = 4 << 20;
pub(super) const DEFAULT_SEVERITY: u32 = 10;

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

pub(super) fn category_names() -> String {
    Category::ALL.map(Category::name).join(", ")
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
    #[cfg(feature = "classifier")]
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
            #[cfg(feature = "classifier")]
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
        #[cfg(feature = "classifier")]
        {
            config.classifier = ClassifierConfig::from_env(env)?;
        }
        #[cfg(not(feature = "classifier"))]
        if env.flag("MODERATION_CLASSIFIER", false)? {
            return Err(ConfigError::new(
                "MODERATION_CLASSIFIER",
                "this build has no classifier (feature `classifier` of chime-flow-core is off)",
            ));
        }
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
