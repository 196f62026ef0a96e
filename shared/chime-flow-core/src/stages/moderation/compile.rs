//! Compiling a configuration into the stage: the term automaton, the regexes (size-bounded), each
//! rule's identity and weight, and the classifier when it is on.

use std::sync::atomic::Ordering;

use regex::{RegexBuilder, RegexSetBuilder};

use super::{
    Category, Entry, Moderation, ModerationConfig, NEXT_ID, TermError, TermMatcher, TermRef,
};
use crate::config::{ConfigError, Env};
#[cfg(feature = "classifier")]
use crate::stages::classifier::Classifier;

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
    #[cfg(feature = "classifier")]
    #[error("classifier: {0}")]
    Model(#[from] crate::stages::classifier::ModelError),
}

/// A compiled rule's identity and weight.
#[derive(Debug, Clone)]
pub(super) struct Rule {
    pub(super) id: RuleName,
    pub(super) category: Category,
    pub(super) severity: u32,
}

/// How a rule's id is spelled: a list's own, or a deployment's entry by number — written out only
/// when the rule is hit, since a long `DENY_TERMS_FILE` would otherwise format thousands at start.
#[derive(Debug, Clone)]
pub(super) enum RuleName {
    Listed(String),
    Term(usize),
    Regex(usize),
}

impl Rule {
    /// The rule id reported and logged (`profanity:en-2`, `custom:term-7`, `spam:regex-1`).
    pub(super) fn id(&self) -> String {
        match &self.id {
            RuleName::Listed(id) => id.clone(),
            RuleName::Term(n) => format!("{}:term-{n}", self.category.name()),
            RuleName::Regex(n) => format!("{}:regex-{n}", self.category.name()),
        }
    }
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
            #[cfg(feature = "classifier")]
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
