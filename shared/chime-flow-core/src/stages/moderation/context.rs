//! Where a listed word stands, for the verdict (not for redaction's masking): hits that are not the
//! sender's words against someone are set aside before the thresholds are summed.
//!
//! - **Mentions and addresses**: a hit inside a token that has an `@` before it (`@dickson`,
//!   `bob@hoe.example`) is a username or an address someone else chose — set aside.
//! - **Hashtags** are the sender's own words: judged like any other (`#fuckmondays` denies).
//! - **Quoted reports**: a hit inside double quotation marks (`"…"`, `“…”`, `„…“`, `«…»`) when the
//!   text outside the quotes has a reporting word (`called`, `said`, `wrote`, `reported`, `word`,
//!   `slur`, …) — someone telling a moderator what was said — is set aside. A quote with no
//!   reporting word (`you are a "bitch"`) is judged: quoting is no disguise.
//! - **False friends** ([`FALSE_FRIENDS`]): a plainly written form that is an ordinary word of the
//!   text's language (Dutch `hoe` = how, Swedish `slut` = end, German `dick` = thick) is set aside
//!   when whatlang's best guess for the message is that language (confidence ≥ [`MIN_CONFIDENCE`]:
//!   its "reliable" flag refuses most chat-length texts), the message has at least three words, and
//!   English is not plausible (fewer than two English function words). So "hoe gaat het met je?"
//!   passes, and an English slur in a Dutch sentence — no false friend — is still denied.
//!
//! Deployment regexes (`…:regex-N`) are never set aside: they mean exactly what they match.

use super::RuleHit;
use crate::stages::language::floor_char_boundary;

/// The least confidence of whatlang's guess that counts (Dutch chat of five words scores ~0.2).
pub const MIN_CONFIDENCE: f64 = 0.1;

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

/// Words that make English plausible in a mixed or short text.
const ENGLISH: [&str; 24] = [
    "the", "you", "your", "youre", "are", "and", "what", "this", "that", "my", "me", "they", "was",
    "for", "with", "she", "not", "just", "like", "fucking", "them", "have", "our", "why",
];

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

/// Hits and the text they were found in; detection runs at most once, and only for a false friend.
pub struct Judged<'a> {
    text: &'a str,
    language: Option<Option<&'static str>>,
}

impl<'a> Judged<'a> {
    /// For hits in `text`.
    pub fn new(text: &'a str) -> Self {
        Self {
            text,
            language: None,
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
        if quoted(self.text, start, end) && reports(self.text) {
            return Some(SetAside::QuotedReport);
        }
        let languages = false_friend_languages(&self.text[start..end])?;
        let detected = *self
            .language
            .get_or_insert_with(|| guess_language(self.text));
        let words = words(self.text).count();
        let english = {
            let mut seen: Vec<String> = words_lower(self.text)
                .filter(|w| ENGLISH.contains(&w.as_str()))
                .collect();
            seen.sort();
            seen.dedup();
            seen.len()
        };
        let friendly = detected.is_some_and(|lang| languages.split(' ').any(|l| l == lang));
        (friendly && words >= 3 && english < 2).then_some(SetAside::FalseFriend)
    }
}

/// whatlang's best guess (ISO 639-3) when at least [`MIN_CONFIDENCE`] sure.
fn guess_language(text: &str) -> Option<&'static str> {
    let sample = &text[..floor_char_boundary(text, 256)];
    whatlang::detect(sample)
        .filter(|info| info.confidence() >= MIN_CONFIDENCE)
        .map(|info| info.lang().code())
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
    let lower = found.to_lowercase();
    FALSE_FRIENDS
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut fields = l.split('\t');
            Some((fields.next()?, fields.next()?))
        })
        .find(|(form, _)| *form == lower)
        .map(|(_, languages)| languages)
}

/// Whether the whitespace-separated token around `start` has an `@` before `start`.
fn in_mention(text: &str, start: usize) -> bool {
    let token_start = text[..start]
        .rfind(char::is_whitespace)
        .map_or(0, |i| i + 1);
    text[token_start..start].contains('@')
}

/// Whether `text[start..end]` lies within one pair of double quotation marks.
fn quoted(text: &str, start: usize, end: usize) -> bool {
    const PAIRS: [(char, char); 4] = [('"', '"'), ('“', '”'), ('„', '“'), ('«', '»')];
    PAIRS.iter().any(|&(open, close)| {
        let before = &text[..start];
        let after = &text[end..];
        let Some(opened) = before.rfind(open) else {
            return false;
        };
        let inside_before = &before[opened + open.len_utf8()..];
        // Straight quotes pair up by count: an odd number before the hit means one is open.
        let open_now = if open == close {
            before.matches(open).count() % 2 == 1
        } else {
            !inside_before.contains(close)
        };
        open_now && after.contains(close)
    })
}

/// Whether the text outside its quotation marks has a reporting word.
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
    words_lower(&outside).any(|w| REPORTING.contains(&w.as_str()))
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
