//! Whole-word term matching over the normalised stream with one aho-corasick automaton.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use super::normalize::{Normalized, normalize};

/// A term compiled for the stream: its bytes (with boundary spaces) and its run lengths.
#[derive(Debug, Clone)]
struct Compiled {
    /// Repeated letters, by position in the pattern (see [`Normalized::repeats`]).
    repeats: Vec<(usize, u8)>,
}

/// A listed term found in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TermHit {
    /// Index of the term in the list it was built from.
    pub term: usize,
    /// The stream byte range of the match (inside the boundary spaces).
    pub stream: (usize, usize),
}

/// Terms as whole words (or word prefixes, with a trailing `*`), with an allow list of words that
/// never count.
#[derive(Debug, Clone)]
pub struct TermMatcher {
    /// Built at start (a contiguous NFA: quick to build).
    automaton: Option<AhoCorasick>,
    /// The same automaton as a DFA: about twice as fast to search and four times as slow to build
    /// (~10 ms for 5,000 terms), so it is built off the start-up path and used once it is there.
    fast: Arc<OnceLock<AhoCorasick>>,
    /// The automaton's patterns, kept to build `fast`.
    patterns: Arc<Vec<Vec<u8>>>,
    compiled: Vec<Compiled>,
    /// Automaton pattern index → term index (terms that normalise to nothing are left out).
    pattern_terms: Vec<usize>,
    /// Allowed words as normalised stream bytes.
    allow: HashSet<Vec<u8>>,
}

/// A term that cannot be used, by index.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TermError {
    #[error("entry {0} has no letters or digits after normalisation")]
    Empty(usize),
    #[error("automaton could not be built: {0}")]
    Build(String),
}

impl TermMatcher {
    pub fn new(terms: &[String], allow: &[String]) -> Result<Self, TermError> {
        let mut patterns: Vec<Vec<u8>> = Vec::with_capacity(terms.len());
        let mut compiled = Vec::with_capacity(terms.len());
        let mut pattern_terms = Vec::with_capacity(terms.len());
        let mut norm = Normalized::default();
        for (index, term) in terms.iter().enumerate() {
            let (body, prefix) = match term.strip_suffix('*') {
                Some(body) => (body, true),
                None => (term.as_str(), false),
            };
            normalize(body, &mut norm);
            if norm.words.is_empty() {
                return Err(TermError::Empty(index + 1));
            }
            // A prefix term keeps its leading boundary only; a plain term both.
            let end = if prefix {
                norm.stream.len() - 1
            } else {
                norm.stream.len()
            };
            patterns.push(norm.stream[..end].to_vec());
            compiled.push(Compiled {
                repeats: norm
                    .repeats
                    .iter()
                    .copied()
                    .filter(|&(at, _)| at < end)
                    .collect(),
            });
            pattern_terms.push(index);
        }
        let automaton = if patterns.is_empty() {
            None
        } else {
            Some(
                builder(AhoCorasickKind::ContiguousNFA)
                    .build(&patterns)
                    .map_err(|e| TermError::Build(e.to_string()))?,
            )
        };
        let allow = allow
            .iter()
            .filter_map(|word| {
                normalize(word, &mut norm);
                let trimmed = norm.stream.trim_ascii();
                (!trimmed.is_empty()).then(|| trimmed.to_vec())
            })
            .collect();
        Ok(Self {
            automaton,
            fast: Arc::new(OnceLock::new()),
            patterns: Arc::new(patterns),
            compiled,
            pattern_terms,
            allow,
        })
    }

    /// Builds the fast automaton now (for benchmarks and tests; a processor uses
    /// [`TermMatcher::build_fast_in_background`]). Both find exactly the same matches.
    pub fn build_fast_now(&self) {
        if self.automaton.is_some() && self.fast.get().is_none() {
            build_fast(&self.patterns, &self.fast);
        }
    }

    /// Builds the fast automaton on a thread of its own; until it is there, the one built at start
    /// serves. Clones share the result.
    pub fn build_fast_in_background(&self) {
        if self.automaton.is_none() || self.fast.get().is_some() {
            return;
        }
        let (patterns, fast) = (Arc::clone(&self.patterns), Arc::clone(&self.fast));
        let spawned = std::thread::Builder::new()
            .name("moderation-dfa".into())
            .spawn(move || build_fast(&patterns, &fast));
        if let Err(error) = spawned {
            tracing::warn!(error = %error, "no thread for the fast automaton; the start-up one serves");
        }
    }

    /// Whether the fast automaton serves searches.
    pub fn fast_ready(&self) -> bool {
        self.fast.get().is_some()
    }

    /// Every listed term found in the normalised text, allow-listed words excepted.
    pub fn find(&self, norm: &Normalized, mut on_hit: impl FnMut(TermHit)) {
        let Some(automaton) = self.fast.get().or(self.automaton.as_ref()) else {
            return;
        };
        for found in automaton.find_overlapping_iter(norm.stream.as_slice()) {
            let pattern = found.pattern().as_usize();
            let compiled = &self.compiled[pattern];
            if !norm.runs_cover(found.start(), &compiled.repeats) {
                continue;
            }
            // Inside the boundary spaces: from the first word's start to the last word's end.
            let start = found.start() + 1;
            let end = word_end(&norm.stream, found.end() - 1);
            if self.allowed(&norm.stream[start..end]) {
                continue;
            }
            on_hit(TermHit {
                term: self.pattern_terms[pattern],
                stream: (start, end),
            });
        }
    }

    fn allowed(&self, words: &[u8]) -> bool {
        !self.allow.is_empty()
            && words
                .split(|&b| b == b' ')
                .all(|word| self.allow.contains(word))
    }
}

fn builder(kind: AhoCorasickKind) -> AhoCorasickBuilder {
    let mut builder = AhoCorasickBuilder::new();
    builder
        .match_kind(MatchKind::Standard)
        // Every pattern starts with the boundary space, so a start-byte prefilter would stop at
        // every word: pure overhead.
        .prefilter(false)
        .kind(Some(kind));
    builder
}

/// Above this many patterns the DFA is not built: its memory grows with the list (3.4 MB for 5,000
/// terms), and a Lambda's memory is small.
const FAST_AUTOMATON_MAX_PATTERNS: usize = 20_000;

fn build_fast(patterns: &[Vec<u8>], fast: &OnceLock<AhoCorasick>) {
    if patterns.len() > FAST_AUTOMATON_MAX_PATTERNS {
        tracing::info!(
            patterns = patterns.len(),
            limit = FAST_AUTOMATON_MAX_PATTERNS,
            "term list too long for the fast automaton; the start-up one serves"
        );
        return;
    }
    match builder(AhoCorasickKind::DFA).build(patterns) {
        Ok(dfa) => {
            let _ = fast.set(dfa);
        }
        // Too large for a DFA (the crate's limits): the start-up automaton keeps serving.
        Err(error) => tracing::warn!(error = %error, "fast automaton not built"),
    }
}

/// The end of the word that contains byte `at` (a prefix match may stop inside a word).
fn word_end(stream: &[u8], at: usize) -> usize {
    stream[at..]
        .iter()
        .position(|&b| b == b' ')
        .map_or(stream.len(), |i| at + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(terms: &[&str], allow: &[&str], text: &str) -> Vec<usize> {
        let terms: Vec<String> = terms.iter().map(|s| s.to_string()).collect();
        let allow: Vec<String> = allow.iter().map(|s| s.to_string()).collect();
        let matcher = TermMatcher::new(&terms, &allow).unwrap();
        let mut norm = Normalized::default();
        normalize(text, &mut norm);
        let mut out = Vec::new();
        matcher.find(&norm, |hit| out.push(hit.term));
        // Every case also holds for the fast automaton.
        matcher.build_fast_now();
        assert!(matcher.fast_ready());
        let mut fast = Vec::new();
        matcher.find(&norm, |hit| fast.push(hit.term));
        assert_eq!(fast, out, "the fast automaton disagrees on {text:?}");
        out
    }

    #[test]
    fn whole_words_only() {
        assert_eq!(
            hits(&["ass"], &[], "a classic assassin from Scunthorpe"),
            Vec::<usize>::new()
        );
        assert_eq!(hits(&["cunt"], &[], "Scunthorpe"), Vec::<usize>::new());
        assert_eq!(hits(&["ass"], &[], "what an ass!"), vec![0]);
        assert_eq!(hits(&["ass"], &[], "as if"), Vec::<usize>::new());
    }

    #[test]
    fn prefixes_multi_words_and_allow_list() {
        assert_eq!(hits(&["fuck*"], &[], "FUUUCKING hell"), vec![0]);
        assert_eq!(
            hits(&["kill yourself"], &[], "just k1ll   y0urself"),
            vec![0]
        );
        assert_eq!(
            hits(&["shit*"], &["shiitake"], "shiitake mushrooms"),
            Vec::<usize>::new()
        );
        assert_eq!(hits(&["shit*"], &[], "shiitake mushrooms"), vec![0]);
    }

    #[test]
    fn empty_terms_are_refused() {
        let err = TermMatcher::new(&["ok".into(), "!!!".into()], &[]).unwrap_err();
        assert_eq!(err, TermError::Empty(2));
    }
}
