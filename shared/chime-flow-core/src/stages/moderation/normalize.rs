//! Text → a stream of word skeletons that survives common evasions, so that one aho-corasick pass
//! over it finds listed terms as whole words.
//!
//! Per character: compatibility decomposition (NFKD) with combining marks dropped (so NFKC forms,
//! full-width letters and accents fold), lowercase, invisible format characters removed, common Cyrillic
//! and Greek look-alikes mapped to Latin. Per word: leetspeak mapped when the word has letters (`h3ll0`,
//! `@ss`, `$hit`, `sh!t`; pure numbers stay numbers), `l` and `1` read as `i`, and runs of a letter
//! collapsed with their lengths kept (so `baaad` finds `bad` but `as` does not find `ass`). Runs of
//! single letters split by separators join into one word (`b.a.d`, `b a d`) while the
//! gap keeps its kind, so `a b.a.d` reads `a bad`. Characters of scripts
//! written without spaces (Han, kana, Thai) are words of their own, so terms in them match inside runs.
//!
//! The stream is `" w1 w2 … "`: a term `" t "` found in it is a whole-word match.

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// One word of the stream and where it came from in the original text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WordSpan {
    /// Byte offset of the word in the stream.
    pub stream_start: usize,
    /// Byte range in the original text.
    pub original: (usize, usize),
}

/// The normalised stream, its repeated letters, and the words.
#[derive(Debug, Clone, Default)]
pub struct Normalized {
    /// UTF-8 bytes; kept as bytes because the automaton reads bytes and ASCII is pushed byte by byte.
    pub stream: Vec<u8>,
    /// (stream position, run length) of each character that stood for a run of two or more; every
    /// other character's run is 1. Sparse because repeats are rare and a run of 1 never fails a match.
    pub repeats: Vec<(usize, u8)>,
    /// The words, in order.
    pub words: Vec<WordSpan>,
}

impl Normalized {
    /// The original byte range covered by the stream range `[start, end)`.
    pub fn original_range(&self, start: usize, end: usize) -> Option<(usize, usize)> {
        let first = self.words.partition_point(|w| w.stream_start < start);
        let last = self.words.partition_point(|w| w.stream_start < end);
        let (first, last) = (
            self.words.get(first)?,
            self.words.get(last.checked_sub(1)?)?,
        );
        Some((first.original.0, last.original.1))
    }

    /// The run length of the character at stream position `at`.
    pub fn run_at(&self, at: usize) -> u8 {
        match self
            .repeats
            .binary_search_by_key(&at, |&(position, _)| position)
        {
            Ok(index) => self.repeats[index].1,
            Err(_) => 1,
        }
    }

    /// The stream bytes `[start, end)` with each run written out in full (`a` of run 3 → `aaa`).
    pub fn expanded(&self, start: usize, end: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(end - start);
        let mut at = start;
        while at < end {
            let len = utf8_len(self.stream[at]);
            let char_bytes = &self.stream[at..(at + len).min(end)];
            for _ in 0..self.run_at(at) {
                out.extend_from_slice(char_bytes);
            }
            at += len;
        }
        out
    }

    /// True when the stream, from `start`, repeats each letter at least as often as a pattern whose
    /// repeats (relative positions) are `pattern_repeats`: the text may repeat letters, never drop them.
    pub fn runs_cover(&self, start: usize, pattern_repeats: &[(usize, u8)]) -> bool {
        pattern_repeats
            .iter()
            .all(|&(offset, need)| self.run_at(start + offset) >= need)
    }
}

/// The length of the UTF-8 sequence a lead byte starts.
fn utf8_len(lead: u8) -> usize {
    match lead {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Letter,
    Digit,
    LeetSymbol,
    /// A masking character (`*`, `#`, `•`): inside a word it stands for hidden letters (`f*ck`).
    Mask,
    /// A character of a script without spaces: a word by itself.
    Standalone,
    Separator,
}

fn classify(c: char) -> Class {
    // ASCII first: it is most of most messages, and needs none of the Unicode tables.
    if c.is_ascii() {
        return match c {
            '@' | '$' | '!' => Class::LeetSymbol,
            '0'..='9' => Class::Digit,
            'a'..='z' | 'A'..='Z' => Class::Letter,
            '*' | '#' => Class::Mask,
            _ => Class::Separator,
        };
    }
    match c {
        '@' | '$' | '!' => Class::LeetSymbol,
        '•' | '●' => Class::Mask,
        '0'..='9' => Class::Digit,
        _ if is_standalone(c) => Class::Standalone,
        _ if c.is_alphabetic() => Class::Letter,
        _ if c.is_numeric() => Class::Digit,
        _ => Class::Separator,
    }
}

fn is_standalone(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // Hiragana, Katakana
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xF900..=0xFAFF    // CJK compatibility ideographs
        | 0x0E00..=0x0E7F    // Thai
        | 0x20000..=0x2FFFF) // CJK extensions B…
}

/// Invisible characters used to split words without showing it.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{034F}')
}

/// Cyrillic and Greek letters that look like Latin ones (lowercase, after folding).
fn latin_look_alike(c: char) -> char {
    match c {
        'а' | 'α' => 'a',
        'в' | 'β' => 'b',
        'с' | 'ϲ' => 'c',
        'е' | 'ё' | 'ε' => 'e',
        'һ' => 'h',
        'і' | 'ї' | 'ι' => 'i',
        'ј' => 'j',
        'к' | 'κ' => 'k',
        'м' => 'm',
        'о' | 'ο' | 'σ' => 'o',
        'р' | 'ρ' => 'p',
        'ѕ' => 's',
        'т' | 'τ' => 't',
        'у' | 'γ' => 'y',
        'х' | 'χ' => 'x',
        'ν' => 'v',
        'ω' => 'w',
        other => other,
    }
}

fn leet(c: char) -> char {
    match c {
        '0' => 'o',
        '1' | '!' => 'i',
        '3' => 'e',
        '4' | '@' => 'a',
        '5' | '$' => 's',
        '7' => 't',
        '8' => 'b',
        other => other,
    }
}

/// Lowercase, then the skeleton's own merges: `l` reads as `i` (as `1` and `!` do).
fn skeleton(c: char) -> char {
    if c == 'l' { 'i' } else { c }
}

/// Folds one character: decomposition, marks dropped, lowercase, look-alikes. Calls `emit` for each
/// resulting character (usually one). ASCII takes a fast path.
fn fold(c: char, emit: &mut impl FnMut(char)) {
    if c.is_ascii() {
        emit(c.to_ascii_lowercase());
        return;
    }
    if is_invisible(c) {
        return;
    }
    decompose_compatible(c, |d| {
        if !is_combining_mark(d) {
            for lower in d.to_lowercase() {
                emit(latin_look_alike(lower));
            }
        }
    });
}

/// Folds text for regex matching: decomposition, marks dropped, lowercase, look-alikes (no leetspeak,
/// no collapsing: regexes see letters as written). `map` gets, for every byte of `out` and for its end,
/// the byte offset in `text` it came from.
pub fn fold_mapped(text: &str, out: &mut String, map: &mut Vec<usize>) {
    out.clear();
    map.clear();
    for (offset, c) in text.char_indices() {
        fold(c, &mut |f| {
            out.push(f);
            map.extend(std::iter::repeat_n(offset, f.len_utf8()));
        });
    }
    map.push(text.len());
}

/// Collects the characters of one word with their original byte ranges.
#[derive(Default)]
struct WordBuf {
    /// Folded characters, their classes and the byte offset of the character they came from.
    chars: Vec<(char, Class, usize)>,
    start: usize,
    end: usize,
}

/// What separates two single letters: whitespace (with or without marks), or marks only (`.` `-` `_`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gap {
    Space,
    Mark,
}

/// Single letters held to be joined (`b.a.d` → `bad`). A run keeps one kind of gap: where it changes,
/// the run splits, so `a b.a.d` reads as `a` + `bad` and `b.a.d a` as `bad` + `a`. A run of two that meets
/// another gap gives its second letter to the new run (`a b.a.d`); a longer run keeps it (`b.a.d a`).
#[derive(Default)]
struct Singles {
    /// The held letters with their original byte ranges.
    letters: Vec<(char, (usize, usize))>,
    /// The gap between the held letters, once two are held.
    run_gap: Option<Gap>,
    /// The first separator seen since the last held letter.
    gap: Option<Gap>,
}

impl Singles {
    /// A gap with any whitespace in it is a space (`b. a. d`, `bad, bad`), else a mark.
    #[inline(always)]
    fn saw_separator(&mut self, c: char) {
        if !self.letters.is_empty() {
            self.note_gap(c);
        }
    }

    fn note_gap(&mut self, c: char) {
        if c.is_whitespace() {
            self.gap = Some(Gap::Space);
        } else if self.gap.is_none() {
            self.gap = Some(Gap::Mark);
        }
    }

    fn push(&mut self, letter: char, range: (usize, usize), out: &mut Normalized) {
        let gap = self.gap.take();
        match self.letters.len() {
            0 => {}
            1 => self.run_gap = gap,
            _ if gap == self.run_gap => {}
            2 => {
                // `a b.a.d`: the first letter stands alone, the second starts the new run.
                let (first, first_range) = self.letters.remove(0);
                emit_word([first], first_range, out);
                self.run_gap = gap;
            }
            _ => self.flush(out),
        }
        self.letters.push((letter, range));
    }

    /// Emits the held letters: joined as one word when two or more, else as they are. (Called
    /// before every word: the usual case, nothing held, stays inline.)
    #[inline(always)]
    fn flush(&mut self, out: &mut Normalized) {
        if !self.letters.is_empty() {
            self.flush_held(out);
        }
    }

    fn flush_held(&mut self, out: &mut Normalized) {
        if let (Some(first), Some(last)) = (self.letters.first(), self.letters.last()) {
            let range = (first.1.0, last.1.1);
            emit_word(self.letters.iter().map(|&(c, _)| c), range, out);
            self.letters.clear();
        }
        self.run_gap = None;
        self.gap = None;
    }
}

/// Normalises `text` into `out` (cleared first; reuse it to avoid allocations).
pub fn normalize(text: &str, out: &mut Normalized) {
    normalize_with(text, out, true);
}

/// `ascii_words`: take the byte-level path for plain ASCII words (see [`plain_ascii_word`]) and for
/// ASCII separators between words; the tests run both ways and compare.
fn normalize_with(text: &str, out: &mut Normalized, ascii_words: bool) {
    out.stream.clear();
    out.repeats.clear();
    out.words.clear();
    // Usually the stream fits in the text's length plus its boundary spaces (dropped separators and
    // collapsed repeats make up for the odd character that folding lengthens): a hint, not a bound.
    out.stream.reserve(text.len() + 2);
    out.stream.push(b' ');
    let mut word = WordBuf::default();
    let mut singles = Singles::default();
    let mut offset = 0;
    while let Some(c) = text[offset..].chars().next() {
        if ascii_words && word.chars.is_empty() {
            // Between words, an ASCII separator does nothing (no word to finish; held singles wait).
            if c.is_ascii() && classify(c) == Class::Separator {
                singles.saw_separator(c);
                offset += 1;
                continue;
            }
            if let Some(end) = plain_ascii_word(text.as_bytes(), offset) {
                singles.flush(out);
                emit_ascii_word(&text.as_bytes()[offset..end], (offset, end), out);
                offset = end;
                continue;
            }
        }
        let end = offset + c.len_utf8();
        fold(c, &mut |f| match classify(f) {
            Class::Separator => {
                finish_word(&mut word, &mut singles, out);
                singles.saw_separator(f);
            }
            Class::Standalone => {
                finish_word(&mut word, &mut singles, out);
                singles.flush(out);
                emit_word([f], (offset, end), out);
            }
            class => {
                if word.chars.is_empty() {
                    word.start = offset;
                }
                word.chars.push((f, class, offset));
                word.end = end;
            }
        });
        offset = end;
    }
    finish_word(&mut word, &mut singles, out);
    singles.flush(out);
}

/// The end of a word starting at `start` that the general path would only lowercase: two or more
/// ASCII letters followed by an ASCII separator or the end. Anything else (digits, leet symbols,
/// `!`, non-ASCII, a single letter that may join others) is left to the general path.
fn plain_ascii_word(bytes: &[u8], start: usize) -> Option<usize> {
    let len = bytes[start..]
        .iter()
        .take_while(|b| b.is_ascii_alphabetic())
        .count();
    let end = start + len;
    let ends_cleanly = bytes
        .get(end)
        .is_none_or(|&b| b.is_ascii() && classify(char::from(b)) == Class::Separator);
    (len >= 2 && ends_cleanly).then_some(end)
}

/// Ends the current word: trims `!` at its edges (punctuation there) and masks at its start (and at
/// its end too when it had some at the start: `**bold**`), maps leetspeak when it has letters, and
/// either emits it or, when one character long, holds it to join with other singles. Masks stay in a
/// word with letters as one `*` (`f**k` → `f*k`, a run of 2); in a word without letters they go.
fn finish_word(word: &mut WordBuf, singles: &mut Singles, out: &mut Normalized) {
    if word.chars.is_empty() {
        return;
    }
    let chars = &mut word.chars;
    let edge = |&(c, class, _): &(char, Class, usize)| c == '!' || class == Class::Mask;
    let lead = chars.iter().take_while(|c| edge(c)).count();
    let masked_lead = chars[..lead]
        .iter()
        .any(|&(_, class, _)| class == Class::Mask);
    // Trailing `!` always go; trailing masks only after leading ones (`f***` keeps its mask).
    let trail = chars[lead..]
        .iter()
        .rev()
        .take_while(|&&(c, class, _)| c == '!' || (masked_lead && class == Class::Mask))
        .count();
    if trail > 0 {
        word.end = chars[chars.len() - trail].2;
        chars.truncate(chars.len() - trail);
    }
    if lead > 0 {
        if let Some(&(_, _, first)) = chars.get(lead) {
            word.start = first;
        }
        chars.drain(..lead);
    }
    let has_letter = chars.iter().any(|&(_, class, _)| class == Class::Letter);
    if has_letter {
        for (c, class, _) in chars.iter_mut() {
            match *class {
                Class::Digit | Class::LeetSymbol => *c = leet(*c),
                Class::Mask => *c = '*',
                _ => {}
            }
        }
    } else {
        chars.retain(|&(_, class, _)| !matches!(class, Class::LeetSymbol | Class::Mask));
    }
    match chars.len() {
        0 => {}
        1 => singles.push(chars[0].0, (word.start, word.end), out),
        _ => {
            singles.flush(out);
            emit_word(
                chars.iter().map(|&(c, _, _)| c),
                (word.start, word.end),
                out,
            );
        }
    }
    chars.clear();
}

/// [`emit_word`] for a plain ASCII word (letters only), byte by byte: lowercase, `l` as `i`, runs
/// collapsed. The proptest comparing both paths holds it to the same output.
fn emit_ascii_word(word: &[u8], original: (usize, usize), out: &mut Normalized) {
    out.words.push(WordSpan {
        stream_start: out.stream.len(),
        original,
    });
    out.stream.reserve(word.len() + 1);
    let (mut previous, mut run_start, mut run) = (0u8, 0, 1u8);
    for &byte in word {
        let c = match byte.to_ascii_lowercase() {
            b'l' => b'i',
            c => c,
        };
        if c == previous {
            run = run.saturating_add(1);
            continue;
        }
        if run > 1 {
            out.repeats.push((run_start, run));
        }
        (previous, run_start, run) = (c, out.stream.len(), 1);
        out.stream.push(c);
    }
    if run > 1 {
        out.repeats.push((run_start, run));
    }
    out.stream.push(b' ');
}

/// Appends one word (already folded) to the stream: skeleton letters, repeats collapsed into runs.
fn emit_word(
    chars: impl IntoIterator<Item = char>,
    original: (usize, usize),
    out: &mut Normalized,
) {
    out.words.push(WordSpan {
        stream_start: out.stream.len(),
        original,
    });
    let mut previous: Option<char> = None;
    let (mut run_start, mut run) = (0, 1u8);
    for c in chars {
        let c = skeleton(c);
        if previous == Some(c) {
            run = run.saturating_add(1);
            continue;
        }
        if run > 1 {
            out.repeats.push((run_start, run));
        }
        previous = Some(c);
        (run_start, run) = (out.stream.len(), 1);
        if c.is_ascii() {
            out.stream.push(c as u8);
        } else {
            let mut bytes = [0; 4];
            out.stream
                .extend_from_slice(c.encode_utf8(&mut bytes).as_bytes());
        }
    }
    if run > 1 {
        out.repeats.push((run_start, run));
    }
    out.stream.push(b' ');
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// The ASCII word path is an optimisation only: the same stream, runs and spans as the
        /// general path, for text mixing plain words, leetspeak, separators, singles and Unicode.
        #[test]
        fn ascii_word_path_changes_nothing(
            text in "([a-zA-Z]{1,6}|[0-9@$!*#]{1,2}|[ .,!-]{1,2}|é|你|Ь|•|\\u{200B}|ﬁ){0,20}"
        ) {
            let (mut fast, mut general) = (Normalized::default(), Normalized::default());
            normalize_with(&text, &mut fast, true);
            normalize_with(&text, &mut general, false);
            prop_assert_eq!(&fast.stream, &general.stream);
            prop_assert_eq!(&fast.repeats, &general.repeats);
            prop_assert_eq!(&fast.words, &general.words);
        }
    }

    fn stream(text: &str) -> String {
        let mut out = Normalized::default();
        normalize(text, &mut out);
        String::from_utf8(out.stream).unwrap()
    }

    #[test]
    fn folds_evasions_to_the_same_skeleton() {
        assert_eq!(stream("bad"), " bad ");
        for evasion in [
            "BAD",
            "b@d",
            "b4d",
            "baaaad",
            "b.a.d",
            "b a d",
            "b-a-d",
            "bád",
            "ｂａｄ",
            "b\u{200B}ad",
            "b\u{430}d",
        ] {
            assert_eq!(stream(evasion), " bad ", "{evasion}");
        }
        assert_eq!(stream("h3ll0 w0rld"), " heio worid ");
    }

    #[test]
    fn masks_inside_words_stay_and_markdown_goes() {
        assert_eq!(stream("f*ck"), " f*ck ");
        assert_eq!(stream("F**K off"), " f*k of ");
        assert_eq!(stream("sh#t"), " sh*t ");
        assert_eq!(stream("f•ck"), " f*ck ");
        assert_eq!(stream("**bold** *it*"), " boid it ");
        assert_eq!(stream("f***"), " f* ");
        assert_eq!(stream("2*3 = 6 #1"), " 23 61 ");
    }

    #[test]
    fn a_change_of_gap_splits_single_letters() {
        assert_eq!(stream("a b.a.d"), " a bad ");
        assert_eq!(stream("you are a b.a.d one"), " you are a bad one ");
        assert_eq!(stream("b.a.d a"), " bad a ");
        assert_eq!(stream("I b-a-d"), " i bad ");
        assert_eq!(stream("b. a. d"), " bad ");
        assert_eq!(stream("b a d"), " bad ");
        assert_eq!(
            stream("b.a-d"),
            " bad ",
            "marks of different kinds still join"
        );
        assert_eq!(stream("so a b.a.d, b.a.d day"), " so a bad bad day ");
    }

    #[test]
    fn keeps_numbers_and_punctuation_apart() {
        assert_eq!(stream("bad! 2024 cats!!"), " bad 2024 cats ");
        assert_eq!(stream("sh!t"), " shit ");
        assert_eq!(stream("a cat"), " a cat ");
        assert_eq!(stream("你好"), " 你 好 ");
    }

    #[test]
    fn runs_and_original_ranges() {
        let mut out = Normalized::default();
        normalize("go b.a.a.d up", &mut out);
        assert_eq!(out.stream, b" go bad up ");
        let at = out.stream.windows(3).position(|w| w == b"bad").unwrap();
        assert_eq!(out.repeats, vec![(at + 1, 2)]);
        assert_eq!((out.run_at(at), out.run_at(at + 1)), (1, 2));
        let (s, e) = out.original_range(at, at + 3).unwrap();
        assert_eq!(&"go b.a.a.d up"[s..e], "b.a.a.d");
    }
}
