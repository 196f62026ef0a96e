//! Whole-word term matching over the normalised stream with aho-corasick automata (one per alphabet).

// foldhash: these tables are built from the lists at every start; SipHash was a large part of that.
use foldhash::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use super::normalize::{Normalized, normalize};

/// Where a term may stand in a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shape {
    /// The whole word, nothing added (`=kys`).
    Exact,
    /// The whole word or the word with one of the term's suffixes (`shit` → `shits`, `shitty`).
    Word,
    /// The start of a word (`fuck*` → `fuckwit`).
    Prefix,
    /// The end of a word, with a suffix allowed (`*shit` → `bullshit`, `horseshits`).
    Tail,
    /// Anywhere in a word (`*fuck*` → `clusterfucked`).
    Infix,
}

impl Shape {
    /// Reads the shape marks of a list entry: `=term`, `term*`, `*term`, `*term*`; returns the bare
    /// term. `plain` is the shape of an unmarked term.
    pub fn parse(raw: &str, plain: Shape) -> (&str, Shape) {
        if let Some(exact) = raw.strip_prefix('=') {
            return (exact, Shape::Exact);
        }
        match (raw.strip_prefix('*'), raw.strip_suffix('*')) {
            (Some(_), Some(_)) if raw.len() > 2 => (&raw[1..raw.len() - 1], Shape::Infix),
            (Some(tail), None) => (tail, Shape::Tail),
            (None, Some(prefix)) => (prefix, Shape::Prefix),
            _ => (raw, plain),
        }
    }

    /// Whether the pattern starts at a word boundary.
    fn anchored_start(self) -> bool {
        matches!(self, Shape::Exact | Shape::Word | Shape::Prefix)
    }

    fn takes_suffix(self) -> bool {
        matches!(self, Shape::Word | Shape::Tail)
    }
}

/// One term to find: its spellings, each with where it may stand in a word (the first is the listed
/// one; others are variants such as `f*ck` or `phuck`), and the suffixes a `Word`/`Tail` spelling
/// may take.
#[derive(Debug, Clone)]
pub struct TermSpec {
    /// Its spellings and how each must match (as a word, a word start…).
    pub spellings: Vec<(String, Shape)>,
    /// Endings a match may carry (`-s`, `-ing`…).
    pub suffixes: Arc<Vec<String>>,
}

impl TermSpec {
    /// A term as users write it in `DENY_TERMS`: `term`, `term*`, `*term`, `*term*` or `=term`, no
    /// suffixes (an unmarked term is the whole word).
    pub fn custom(raw: &str) -> Self {
        let (text, shape) = Shape::parse(raw, Shape::Word);
        Self {
            spellings: vec![(text.to_owned(), shape)],
            suffixes: Arc::default(),
        }
    }

    /// The term as the matcher reads it.
    pub fn as_term(&self) -> TermRef<'_> {
        TermRef {
            spellings: Spellings::Listed(&self.spellings),
            suffixes: &self.suffixes,
        }
    }
}

/// A term as [`TermMatcher::from_terms`] reads it, borrowed: a list's [`TermSpec`], or a
/// deployment's entry as written (thousands of `DENY_TERMS_FILE` lines need no copy of their own).
#[derive(Debug, Clone, Copy)]
pub struct TermRef<'a> {
    spellings: Spellings<'a>,
    suffixes: &'a [String],
}

#[derive(Debug, Clone, Copy)]
enum Spellings<'a> {
    Listed(&'a [(String, Shape)]),
    /// `term`, `term*`, `*term`, `*term*` or `=term` (see [`TermSpec::custom`]).
    Custom(&'a str),
}

impl<'a> TermRef<'a> {
    /// A deployment's entry, as [`TermSpec::custom`] reads it.
    pub fn custom(raw: &'a str) -> Self {
        Self {
            spellings: Spellings::Custom(raw),
            suffixes: &[],
        }
    }

    fn spellings(self) -> impl Iterator<Item = (&'a str, Shape)> {
        let (listed, custom): (&[(String, Shape)], _) = match self.spellings {
            Spellings::Listed(listed) => (listed, None),
            Spellings::Custom(raw) => (&[], Some(Shape::parse(raw, Shape::Word))),
        };
        listed
            .iter()
            .map(|(spelling, shape)| (spelling.as_str(), *shape))
            .chain(custom)
    }
}

/// A pattern compiled for the stream.
#[derive(Debug, Clone)]
struct Compiled {
    term: usize,
    shape: Shape,
    /// Repeated letters, by position in the pattern (see [`Normalized::repeats`]).
    repeats: Vec<(usize, u8)>,
}

/// A listed term found in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TermHit {
    /// Index of the term in the list it was built from.
    pub term: usize,
    /// The stream byte range of the match: whole words, inside the boundary spaces.
    pub stream: (usize, usize),
}

type Patterns = Arc<Vec<Vec<u8>>>;
type FastSlot = Arc<OnceLock<AhoCorasick>>;

/// One automaton over some of the patterns: built at start (an NFA: quick to build) and again as a
/// DFA, about twice as fast to search and four times as slow to build, off the start-up path (used
/// once it is there).
#[derive(Debug, Clone, Default)]
struct Part {
    automaton: Option<AhoCorasick>,
    fast: Arc<OnceLock<AhoCorasick>>,
    /// The automaton's patterns, kept to build `fast`.
    patterns: Arc<Vec<Vec<u8>>>,
    /// Per automaton pattern.
    compiled: Vec<Compiled>,
}

impl Part {
    fn build(patterns: Vec<Vec<u8>>, compiled: Vec<Compiled>) -> Result<Self, TermError> {
        let automaton = if patterns.is_empty() {
            None
        } else {
            // Until the fast DFA replaces it, the noncontiguous NFA (the first half of a contiguous
            // one's build: about 2 ms less for 5,000 terms); a list too long for the DFA keeps the
            // contiguous form, smaller and faster, for good.
            let kind = if patterns.len() > FAST_AUTOMATON_MAX_PATTERNS {
                AhoCorasickKind::ContiguousNFA
            } else {
                AhoCorasickKind::NoncontiguousNFA
            };
            Some(
                builder(kind)
                    .build(&patterns)
                    .map_err(|e| TermError::Build(e.to_string()))?,
            )
        };
        Ok(Self {
            automaton,
            fast: Arc::new(OnceLock::new()),
            patterns: Arc::new(patterns),
            compiled,
        })
    }

    fn needs_fast(&self) -> bool {
        self.automaton.is_some() && self.fast.get().is_none()
    }

    fn search(&self) -> Option<&AhoCorasick> {
        self.fast.get().or(self.automaton.as_ref())
    }
}

/// Terms in their shapes and spellings, with an allow list of words that never count.
///
/// Patterns are split by alphabet: those of plain ASCII bytes (every Latin-script list, and Russian
/// words whose letters all fold to Latin look-alikes) in one automaton, the rest (Cyrillic, CJK, `ß`)
/// in another that only runs when the text has a non-ASCII byte. One automaton over both alphabets
/// has so many byte classes that its DFA grows several times larger and slower to build, and most
/// messages are ASCII.
#[derive(Debug, Clone)]
pub struct TermMatcher {
    ascii: Part,
    other: Part,
    /// Per term: its normalised suffixes.
    suffixes: Vec<Arc<HashSet<Vec<u8>>>>,
    /// Allowed words as normalised stream bytes.
    allow: HashSet<Vec<u8>>,
    /// Allowed phrases (`moby dick`, `cum laude`): a hit inside one of them does not count.
    allow_phrases: Vec<Vec<u8>>,
}

/// A term that cannot be used, by index.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TermError {
    /// Entry N has nothing to match.
    #[error("entry {0} has no letters or digits after normalisation")]
    Empty(usize),
    /// The automaton could not be built.
    #[error("automaton could not be built: {0}")]
    Build(String),
}

impl TermMatcher {
    /// Compiles `terms`, never matching inside an `allow` word.
    pub fn new(terms: &[TermSpec], allow: &[String]) -> Result<Self, TermError> {
        Self::from_terms(terms.iter().map(TermSpec::as_term), allow)
    }

    /// As [`TermMatcher::new`], from borrowed terms; a hit's `term` is the position in `terms`.
    pub fn from_terms<'a>(
        terms: impl IntoIterator<Item = TermRef<'a>>,
        allow: &[String],
    ) -> Result<Self, TermError> {
        let terms = terms.into_iter();
        // (patterns, compiled) of each alphabet's automaton.
        let mut ascii: (Vec<Vec<u8>>, Vec<Compiled>) = (Vec::new(), Vec::new());
        let mut other: (Vec<Vec<u8>>, Vec<Compiled>) = (Vec::new(), Vec::new());
        let mut suffixes = Vec::with_capacity(terms.size_hint().0);
        let mut norm = Normalized::default();
        // Suffix sets are shared between terms (one per list): normalise each once.
        let mut normalised_sets: HashMap<&[String], Arc<HashSet<Vec<u8>>>> = HashMap::default();
        for (index, term) in terms.enumerate() {
            let set = normalised_sets
                .entry(term.suffixes)
                .or_insert_with(|| Arc::new(expanded_suffixes(term.suffixes, &mut norm)));
            suffixes.push(Arc::clone(set));
            // This term's patterns start here in each part (for the duplicate check below).
            let starts = (ascii.0.len(), other.0.len());
            for (spelling, shape) in term.spellings() {
                normalize(spelling, &mut norm);
                if norm.words.is_empty() {
                    return Err(TermError::Empty(index + 1));
                }
                // The stream is " w1 w2 ": keep the boundary spaces the shape needs.
                let from = usize::from(!shape.anchored_start());
                let to = if shape == Shape::Exact {
                    norm.stream.len()
                } else {
                    norm.stream.len() - 1
                };
                let pattern = norm.stream[from..to].to_vec();
                let repeats: Vec<(usize, u8)> = norm
                    .repeats
                    .iter()
                    .filter(|&&(at, _)| at >= from && at < to)
                    .map(|&(at, run)| (at - from, run))
                    .collect();
                let (part, start) = if pattern.is_ascii() {
                    (&mut ascii, starts.0)
                } else {
                    (&mut other, starts.1)
                };
                // Variants often normalise alike (`f**k`, `f*k`): one pattern each. A term has a
                // handful of spellings, so its own patterns are compared, without hashing them.
                let duplicate = (start..part.0.len()).any(|at| {
                    part.0[at] == pattern
                        && part.1[at].shape == shape
                        && part.1[at].repeats == repeats
                });
                if duplicate {
                    continue;
                }
                part.0.push(pattern);
                part.1.push(Compiled {
                    term: index,
                    shape,
                    repeats,
                });
            }
        }
        let (phrases, words): (HashSet<Vec<u8>>, HashSet<Vec<u8>>) =
            normalise_words(allow, &mut norm)
                .into_iter()
                .partition(|w| w.contains(&b' '));
        Ok(Self {
            ascii: Part::build(ascii.0, ascii.1)?,
            other: Part::build(other.0, other.1)?,
            suffixes,
            allow: words,
            allow_phrases: phrases.into_iter().collect(),
        })
    }

    /// How many automaton patterns the terms' spellings and shapes gave.
    pub fn pattern_count(&self) -> usize {
        self.ascii.patterns.len() + self.other.patterns.len()
    }

    /// Builds the fast automata now (for benchmarks and tests; a processor uses
    /// [`TermMatcher::build_fast_in_background`]). Both forms find exactly the same matches.
    pub fn build_fast_now(&self) {
        for part in [&self.ascii, &self.other] {
            if part.needs_fast() {
                build_fast(&part.patterns, &part.fast);
            }
        }
    }

    /// Builds the fast automata on a thread of their own, once [`crate::background`] work may go (a
    /// processor releases it after its first answer); until they are there, the ones built at start
    /// serve. Clones share the result.
    pub fn build_fast_in_background(&self) {
        let parts: Vec<(Patterns, FastSlot)> = [&self.ascii, &self.other]
            .into_iter()
            .filter(|part| part.needs_fast())
            .map(|part| (Arc::clone(&part.patterns), Arc::clone(&part.fast)))
            .collect();
        if parts.is_empty() {
            return;
        }
        let spawned = std::thread::Builder::new()
            .name("moderation-dfa".into())
            .spawn(move || {
                crate::background::wait_until_released();
                for (patterns, fast) in parts {
                    build_fast(&patterns, &fast);
                }
            });
        if let Err(error) = spawned {
            tracing::warn!(error = %error, "no thread for the fast automata; the start-up ones serve");
        }
    }

    /// Whether the fast automata serve searches.
    pub fn fast_ready(&self) -> bool {
        [&self.ascii, &self.other]
            .iter()
            .all(|part| part.automaton.is_none() || part.fast.get().is_some())
    }

    /// Every listed term found in the normalised text, allow-listed words excepted.
    pub fn find(&self, norm: &Normalized, mut on_hit: impl FnMut(TermHit)) {
        self.find_in(&self.ascii, norm, &mut on_hit);
        if !norm.stream.is_ascii() {
            self.find_in(&self.other, norm, &mut on_hit);
        }
    }

    fn find_in(&self, part: &Part, norm: &Normalized, on_hit: &mut impl FnMut(TermHit)) {
        let Some(automaton) = part.search() else {
            return;
        };
        let stream = norm.stream.as_slice();
        for found in automaton.find_overlapping_iter(stream) {
            let compiled = &part.compiled[found.pattern().as_usize()];
            if !norm.runs_cover(found.start(), &compiled.repeats) {
                continue;
            }
            let start = if compiled.shape.anchored_start() {
                found.start() + 1
            } else {
                word_start(stream, found.start())
            };
            let end = match compiled.shape {
                Shape::Exact => found.end() - 1,
                _ => word_end(stream, found.end()),
            };
            if compiled.shape.takes_suffix()
                && found.end() < end
                && !self.suffixes[compiled.term].contains(&norm.expanded(found.end(), end))
            {
                continue;
            }
            if self.allowed(stream, start, end) {
                continue;
            }
            on_hit(TermHit {
                term: compiled.term,
                stream: (start, end),
            });
        }
    }

    /// Whether the words `stream[start..end]` are all allowed, or lie inside an allowed phrase.
    fn allowed(&self, stream: &[u8], start: usize, end: usize) -> bool {
        let words_allowed = !self.allow.is_empty()
            && stream[start..end]
                .split(|&b| b == b' ')
                .all(|word| self.allow.contains(word));
        words_allowed
            || self.allow_phrases.iter().any(|phrase| {
                // A phrase covering the hit starts at most its length before it, at a word start.
                let from = start.saturating_sub(phrase.len());
                (from..=start).any(|at| {
                    stream[at..].starts_with(phrase)
                        && at + phrase.len() >= end
                        && (at == 0 || stream[at - 1] == b' ')
                        && stream.get(at + phrase.len()).is_none_or(|&b| b == b' ')
                })
            })
    }
}

/// Words as normalised stream bytes (their letters as the stream spells them).
fn normalise_words(words: &[String], norm: &mut Normalized) -> HashSet<Vec<u8>> {
    words
        .iter()
        .filter_map(|word| {
            normalize(word, norm);
            let trimmed = norm.stream.trim_ascii();
            (!trimmed.is_empty()).then(|| trimmed.to_vec())
        })
        .collect()
}

/// Suffixes as the stream spells them with their runs written out (`ess` stays `ess`), to compare
/// with [`Normalized::expanded`] tails: `assess` is not `ass` + `es`.
fn expanded_suffixes(words: &[String], norm: &mut Normalized) -> HashSet<Vec<u8>> {
    words
        .iter()
        .filter_map(|word| {
            normalize(word, norm);
            let len = norm.stream.len();
            (len > 2).then(|| norm.expanded(1, len - 1))
        })
        .collect()
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

/// The end of the word that contains byte `at` (`at` itself when it is the space after a word).
fn word_end(stream: &[u8], at: usize) -> usize {
    stream[at..]
        .iter()
        .position(|&b| b == b' ')
        .map_or(stream.len(), |i| at + i)
}

/// The start of the word that contains byte `at`.
fn word_start(stream: &[u8], at: usize) -> usize {
    stream[..at]
        .iter()
        .rposition(|&b| b == b' ')
        .map_or(0, |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(terms: &[&str], allow: &[&str], text: &str) -> Vec<usize> {
        let terms: Vec<TermSpec> = terms.iter().map(|s| TermSpec::custom(s)).collect();
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
    fn shapes_suffixes_and_spellings() {
        let suffixes = Arc::new(vec!["s".to_owned(), "ing".to_owned(), "y".to_owned()]);
        let matcher = TermMatcher::new(
            &[
                TermSpec {
                    spellings: vec![("shit".into(), Shape::Tail), ("sh*t".into(), Shape::Tail)],
                    suffixes: Arc::clone(&suffixes),
                },
                TermSpec {
                    spellings: vec![("hoe".into(), Shape::Word)],
                    suffixes,
                },
            ],
            &["shiitake".into()],
        )
        .unwrap();
        let found = |text: &str| {
            let mut norm = Normalized::default();
            normalize(text, &mut norm);
            let mut out = Vec::new();
            matcher.find(&norm, |hit| {
                let range = norm.original_range(hit.stream.0, hit.stream.1).unwrap();
                out.push((hit.term, text[range.0..range.1].to_owned()));
            });
            out.dedup();
            out
        };
        assert_eq!(found("total bullsh*t!"), vec![(0, "bullsh*t".into())]);
        assert_eq!(
            found("shitty horseshits"),
            vec![(0, "shitty".into()), (0, "horseshits".into())]
        );
        assert_eq!(found("shiitake and shitake"), vec![]);
        assert_eq!(found("shitter"), vec![], "er is not one of the suffixes");
        assert_eq!(
            found("hoes hoeing shoe hoedown"),
            vec![(1, "hoes".into()), (1, "hoeing".into())]
        );
    }

    #[test]
    fn allowed_phrases_cover_their_words_only() {
        assert_eq!(
            hits(&["dick"], &["moby dick"], "I read Moby-Dick twice"),
            Vec::<usize>::new()
        );
        assert_eq!(hits(&["dick"], &["moby dick"], "moby is a dick"), vec![0]);
        assert_eq!(
            hits(&["cum"], &["cum laude"], "summa cum laude"),
            Vec::<usize>::new()
        );
    }

    #[test]
    fn empty_terms_are_refused() {
        let err =
            TermMatcher::new(&[TermSpec::custom("ok"), TermSpec::custom("!!!")], &[]).unwrap_err();
        assert_eq!(err, TermError::Empty(2));
    }
}
