//! Where a listed word stands, for the verdict (not for redaction's masking): hits that are not the
//! sender's words against someone are set aside before the thresholds are summed.
//!
//! - **Mentions and addresses**: a hit inside a token that has an `@` before it (`@dickson`,
//!   `bob@hoe.example`) is a username or an address someone else chose — set aside.
//! - **Hashtags** are the sender's own words: judged like any other (`#fuckmondays` denies).
//! - **Quoted reports**: a hit inside double quotation marks (`"…"`, `“…”`, `„…“`, `«…»`) of at most
//!   four words, when the text outside the quotes has a reporting word (`called`, `said`, `wrote`,
//!   `reported`, `word`, `slur`, …) and no `you` — someone telling a moderator what was said — is set
//!   aside. A quote with no reporting word (`you are a "bitch"`), a long one (`as I said, "you are
//!   a worthless fucking whore"`) or one thrown back at someone (`you said "fuck off"`) is judged:
//!   quoting is no disguise.
//! - **False friends** ([`FALSE_FRIENDS`]): a plainly written form that is an ordinary word of the
//!   text's language (Dutch `hoe` = how, Swedish `slut` = end, German `dick` = thick) is set aside
//!   when that language is plausible — at least two of its function words
//!   ([`FUNCTION_WORDS`]) besides the hit, in a message of at least three words — and English is not
//!   (fewer than two English function words). So "hoe gaat het met je?" passes, and an English slur
//!   in a Dutch sentence — no false friend — is still denied. Counting function words, not running
//!   a language detector: a detector's trigram tables cost a binary hundreds of KB, and whatlang's
//!   "reliable" flag refuses most chat-length texts anyway.
//!
//! Deployment regexes (`…:regex-N`) are never set aside: they mean exactly what they match.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use super::RuleHit;

/// Each language's function words: `lang<TAB>words`.
pub static FUNCTION_WORDS: &str = include_str!("lists/function-words.txt");

/// Function words of a language needed to make it plausible.
const PLAUSIBLE: usize = 2;

/// Why a hit was set aside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetAside {
    /// Inside a mention or an address.
    Mention,
    /// Quoted in a report.
    QuotedReport,
    /// An ordinary word of the text's language.
    FalseFriend,
}

/// The false friends: form, the languages (ISO 639-3) it is an ordinary word in.
pub static FALSE_FRIENDS: &str = include_str!("lists/false-friends.txt");

/// A report quotes the word or a short phrase; a longer quote is a message of its own.
const MAX_QUOTED_WORDS: usize = 4;

const SECOND_PERSON: [&str; 6] = ["you", "your", "youre", "yourself", "u", "ur"];

const REPORTING: [&str; 26] = [
    "called",
    "calls",
    "calling",
    "call",
    "said",
    "says",
    "saying",
    "wrote",
    "writes",
    "written",
    "typed",
    "posted",
    "reported",
    "report",
    "reporting",
    "flagged",
    "word",
    "words",
    "term",
    "slur",
    "means",
    "meaning",
    "used",
    "using",
    "banned",
    "blocked",
];

/// Each language's function words, read from [`FUNCTION_WORDS`] once, on the first false friend.
static FUNCTION_WORD_SETS: LazyLock<HashMap<&'static str, HashSet<&'static str>>> =
    LazyLock::new(|| {
        table_rows(FUNCTION_WORDS)
            .map(|(language, words)| (language, words.split(' ').collect()))
            .collect()
    });

/// Each false friend's languages (space-separated), read from [`FALSE_FRIENDS`] once.
static FALSE_FRIEND_FORMS: LazyLock<HashMap<&'static str, &'static str>> =
    LazyLock::new(|| table_rows(FALSE_FRIENDS).collect());

/// A list file's `key<TAB>value` rows (`#` lines are comments; a third field is ignored).
fn table_rows(list: &'static str) -> impl Iterator<Item = (&'static str, &'static str)> {
    list.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut fields = l.split('\t');
            Some((fields.next()?, fields.next()?))
        })
}

/// Hits and the text they were found in. What each rule needs of the whole text (its words
/// lower-cased, whether it reports speech) is worked out at most once, on the first hit needing it.
pub struct Judged<'a> {
    text: &'a str,
    /// The number of words, and the distinct words lower-cased.
    words: Option<(usize, Vec<String>)>,
    reports: Option<bool>,
}

impl<'a> Judged<'a> {
    /// For hits in `text`.
    pub fn new(text: &'a str) -> Self {
        Self {
            text,
            words: None,
            reports: None,
        }
    }

    /// Why `hit` does not count, if it does not.
    pub fn set_aside(&mut self, hit: &RuleHit) -> Option<SetAside> {
        if hit.rule_id.contains(":regex-") {
            return None;
        }
        let (start, end) = hit.range;
        if in_mention(self.text, start) {
            return Some(SetAside::Mention);
        }
        let reported_words = quoted(self.text, start, end).map(|q| words(q).count());
        if reported_words.is_some_and(|n| n <= MAX_QUOTED_WORDS)
            && *self.reports.get_or_insert_with(|| reports(self.text))
        {
            return Some(SetAside::QuotedReport);
        }
        let found = &self.text[start..end];
        let languages = false_friend_languages(found)?;
        let (total, distinct) = self.words.get_or_insert_with(|| {
            let mut words: Vec<String> = words_lower(self.text).collect();
            let total = words.len();
            words.sort();
            words.dedup();
            (total, words)
        });
        let total = *total;
        let own = found.to_lowercase();
        let count = |language: &str| {
            distinct
                .iter()
                .filter(|w| **w != own && is_function_word(language, w))
                .count()
        };
        let plausible = languages.split(' ').any(|l| count(l) >= PLAUSIBLE);
        (plausible && total >= 3 && count("eng") < PLAUSIBLE).then_some(SetAside::FalseFriend)
    }
}

/// Whether `word` (lower-cased) is one of `language`'s function words.
fn is_function_word(language: &str, word: &str) -> bool {
    FUNCTION_WORD_SETS
        .get(language)
        .is_some_and(|words| words.contains(word))
}

fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
}

fn words_lower(text: &str) -> impl Iterator<Item = String> + '_ {
    words(text).map(|w| w.replace('\'', "").to_lowercase())
}

/// The languages in which `found` (as written, lower-cased) is an ordinary word.
fn false_friend_languages(found: &str) -> Option<&'static str> {
    if !found.chars().all(char::is_alphabetic) {
        return None; // masked or respelled: written to evade, not an ordinary word
    }
    FALSE_FRIEND_FORMS
        .get(found.to_lowercase().as_str())
        .copied()
}

/// Whether the whitespace-separated token around `start` has an `@` before `start`.
fn in_mention(text: &str, start: usize) -> bool {
    let token_start = text[..start]
        .rfind(char::is_whitespace)
        .map_or(0, |i| i + 1);
    text[token_start..start].contains('@')
}

/// The quoted words around `text[start..end]`, when it lies within one pair of double quotation
/// marks.
fn quoted(text: &str, start: usize, end: usize) -> Option<&str> {
    const PAIRS: [(char, char); 4] = [('"', '"'), ('“', '”'), ('„', '“'), ('«', '»')];
    PAIRS.iter().find_map(|&(open, close)| {
        let before = &text[..start];
        let after = &text[end..];
        let opened = before.rfind(open)? + open.len_utf8();
        // Straight quotes pair up by count: an odd number before the hit means one is open.
        let open_now = if open == close {
            before.matches(open).count() % 2 == 1
        } else {
            !before[opened..].contains(close)
        };
        let closed = end + after.find(close)?;
        open_now.then(|| &text[opened..closed])
    })
}

/// Whether the text outside its quotation marks reports speech (a reporting word) and does not
/// speak to someone (no `you`: "you said \"…\"" throws the words back at them).
fn reports(text: &str) -> bool {
    let mut outside = String::with_capacity(text.len());
    let mut depth = 0usize;
    let mut straight_open = false;
    for c in text.chars() {
        match c {
            '"' => straight_open = !straight_open,
            '“' | '„' | '«' => depth += 1,
            '”' | '»' => depth = depth.saturating_sub(1),
            _ if !straight_open && depth == 0 => outside.push(c),
            _ => {}
        }
    }
    let mut reporting = false;
    for word in words_lower(&outside) {
        if SECOND_PERSON.contains(&word.as_str()) {
            return false;
        }
        reporting |= REPORTING.contains(&word.as_str());
    }
    reporting
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::moderation::Category;

    fn hit_on(text: &str, word: &str) -> RuleHit {
        let start = text.find(word).unwrap();
        RuleHit {
            rule_id: "profanity:en-1".into(),
            category: Category::Profanity,
            severity: 7,
            range: (start, start + word.len()),
        }
    }

    fn aside(text: &str, word: &str) -> Option<SetAside> {
        Judged::new(text).set_aside(&hit_on(text, word))
    }

    #[test]
    fn mentions_and_addresses_are_set_aside_hashtags_are_not() {
        assert_eq!(
            aside("thanks @bigdick_energy", "dick"),
            Some(SetAside::Mention)
        );
        assert_eq!(
            aside("mail bob@hoe.example", "hoe"),
            Some(SetAside::Mention)
        );
        assert_eq!(aside("@sam you dick", "dick"), None);
        assert_eq!(aside("#dickmove", "dick"), None);
    }

    #[test]
    fn quotes_count_only_in_a_report() {
        assert_eq!(
            aside("he called me a \"bitch\" in the lobby", "bitch"),
            Some(SetAside::QuotedReport)
        );
        assert_eq!(
            aside("someone wrote “cunt” in general, please remove", "cunt"),
            Some(SetAside::QuotedReport)
        );
        assert_eq!(
            aside("you are a \"bitch\"", "bitch"),
            None,
            "no reporting word"
        );
        assert_eq!(aside("he called me a bitch", "bitch"), None, "not quoted");
        assert_eq!(
            aside("\"a\" b \"called\" bitch", "bitch"),
            None,
            "the reporting word is inside quotes and the hit outside"
        );
    }

    #[test]
    fn false_friends_need_their_language_and_no_english() {
        assert_eq!(
            aside("hoe gaat het met je vandaag?", "hoe"),
            Some(SetAside::FalseFriend)
        );
        assert_eq!(
            aside("Till slut kom han hem igen efter resan", "slut"),
            Some(SetAside::FalseFriend)
        );
        assert_eq!(aside("you are such a hoe and you know it", "hoe"), None);
        assert_eq!(
            aside("Hvilket fag liker du best på skolen?", "fag"),
            Some(SetAside::FalseFriend)
        );
        assert_eq!(
            aside("Der Kuchen ist viel zu dick geworden", "dick"),
            Some(SetAside::FalseFriend)
        );
        assert_eq!(
            aside("weet jij hoe dit werkt?", "hoe"),
            Some(SetAside::FalseFriend)
        );
        assert_eq!(
            aside("Jag fick ett mejl från henne igår", "fick"),
            Some(SetAside::FalseFriend)
        );
        assert_eq!(aside("hoe", "hoe"), None, "too short to tell");
        assert_eq!(
            aside("ik vind je een vieze fag", "fag"),
            None,
            "a Dutch sentence is no excuse for a slur that is not a Dutch word"
        );
        assert_eq!(
            aside("hoe gaat het, you are such a slut", "slut"),
            None,
            "English is plausible"
        );
        assert_eq!(
            aside("h0e gaat het met je vandaag?", "h0e"),
            None,
            "respelled"
        );
    }

    #[test]
    fn regexes_are_never_set_aside() {
        let text = "thanks @bigdick_energy";
        let mut hit = hit_on(text, "dick");
        hit.rule_id = "custom:regex-1".into();
        assert_eq!(Judged::new(text).set_aside(&hit), None);
    }
}
