//! Detectors: a candidate regex (ASCII word boundaries keep them on the fast DFA path) and, where the
//! format has one, a checksum or range validator that turns candidates into findings.

use std::net::Ipv6Addr;

use regex::{Regex, RegexSet};

/// What was found. The order is the priority when findings overlap (earlier wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    AwsKey,
    Secret,
    Card,
    Iban,
    Ssn,
    Email,
    Ipv6,
    Ipv4,
    Phone,
    Profanity,
}

impl Kind {
    pub const ALL: [Kind; 10] = [
        Kind::AwsKey,
        Kind::Secret,
        Kind::Card,
        Kind::Iban,
        Kind::Ssn,
        Kind::Email,
        Kind::Ipv6,
        Kind::Ipv4,
        Kind::Phone,
        Kind::Profanity,
    ];

    /// Name in configuration, records and tags.
    pub fn name(self) -> &'static str {
        match self {
            Kind::AwsKey => "aws-key",
            Kind::Secret => "secret",
            Kind::Card => "card",
            Kind::Iban => "iban",
            Kind::Ssn => "ssn",
            Kind::Email => "email",
            Kind::Ipv6 => "ipv6",
            Kind::Ipv4 => "ipv4",
            Kind::Phone => "phone",
            Kind::Profanity => "profanity",
        }
    }

    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(name))
    }

    /// Whether a "keep the last digits" mask applies (numbers people recognise by their end).
    pub fn keeps_last_digits(self) -> bool {
        matches!(self, Kind::Card | Kind::Iban | Kind::Phone)
    }
}

/// A candidate pattern per kind (profanity comes from the moderation lists instead).
const PATTERNS: [(Kind, &str); 9] = [
    (
        Kind::AwsKey,
        r"(?-u:\b)(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA)[A-Z0-9]{16}(?-u:\b)",
    ),
    (
        Kind::Secret,
        r"(?-u:\b)(?:(?:ghp|gho|ghu|ghs|ghr|github_pat|xox[abprs]|sk_live|sk_test|rk_live|glpat)[_-][A-Za-z0-9_-]{16,}|[A-Za-z0-9/+=_-]{32,})",
    ),
    (Kind::Card, r"(?-u:\b)\d(?:[ -]?\d){12,18}(?-u:\b)"),
    (
        Kind::Iban,
        r"(?-u:\b)[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}(?-u:\b)",
    ),
    (Kind::Ssn, r"(?-u:\b)\d{3}[- ]\d{2}[- ]\d{4}(?-u:\b)"),
    (
        Kind::Email,
        r"(?i)[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,24}(?-u:\b)",
    ),
    (
        Kind::Ipv6,
        r"(?i)(?-u:\b)(?:[0-9a-f]{1,4})?(?::[0-9a-f]{0,4}){2,7}(?-u:\b)",
    ),
    (
        Kind::Ipv4,
        r"(?-u:\b)(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?-u:\b)",
    ),
    // E.164 (+CC …) and national forms: (415) 555-0100, 020 7946 0958, 06 12 34 56 78, 030/1234567.
    (
        Kind::Phone,
        r"(?:\+\d{1,3}[ .-]?)?\(?\d{1,5}\)?(?:[ ./-]?\d{2,5}){1,4}(?-u:\b)",
    ),
];

/// The compiled detectors.
#[derive(Debug, Clone)]
pub struct Detectors {
    set: RegexSet,
    regexes: Vec<(Kind, Regex)>,
}

impl Detectors {
    pub fn new(kinds: &[Kind]) -> Result<Self, regex::Error> {
        let chosen: Vec<(Kind, &str)> = PATTERNS
            .iter()
            .copied()
            .filter(|(k, _)| kinds.contains(k))
            .collect();
        let set = RegexSet::new(chosen.iter().map(|(_, p)| *p))?;
        let regexes = chosen
            .iter()
            .map(|(k, p)| Regex::new(p).map(|r| (*k, r)))
            .collect::<Result<_, _>>()?;
        Ok(Self { set, regexes })
    }

    /// Every validated finding as (kind, byte range). One pass of the set decides which detectors run.
    /// A candidate that fails validation does not consume the text: the search goes on from its next
    /// character, so a valid card right after an invalid run of digits is still found.
    pub fn find(&self, text: &str, out: &mut Vec<(Kind, usize, usize)>) {
        for index in self.set.matches(text).iter() {
            let (kind, regex) = &self.regexes[index];
            let mut at = 0;
            while let Some(found) = regex.find_at(text, at) {
                match accepted_len(*kind, text, found.start(), found.end()) {
                    Some(len) => {
                        let (start, end) = (found.start(), found.start() + len);
                        out.push((*kind, start, end));
                        // Luhn passes one run of digits in ten, so the leftmost card in a longer run
                        // may be a coincidence hiding the real one: cards are also looked for from
                        // each later group (overlaps are merged by the redaction).
                        at = match kind {
                            Kind::Card => next_group(text, start, end),
                            _ => end,
                        };
                    }
                    None => {
                        at = found.start()
                            + text[found.start()..]
                                .chars()
                                .next()
                                .map_or(1, char::len_utf8)
                    }
                }
                if at >= text.len() {
                    break;
                }
            }
        }
    }
}

/// Where the group after the first separator of `text[start..end]` begins, or `end`.
fn next_group(text: &str, start: usize, end: usize) -> usize {
    let piece = &text[start..end];
    piece
        .find(|c: char| !c.is_ascii_digit())
        .map_or(end, |gap| {
            let rest = &piece[gap..];
            start
                + gap
                + (rest.len() - rest.trim_start_matches(|c: char| !c.is_ascii_digit()).len())
        })
}

/// The length of the valid finding that starts at `start` within `text[start..end]`: the whole range,
/// or for grouped numbers (cards, IBANs, phones) the longest prefix ending at a group separator that
/// validates. Numbers must stand alone: not glued to letters, digits or `-`/`/`/`_` on either side (so
/// the groups of a UUID or an account id inside an ARN are not a phone number).
pub fn accepted_len(kind: Kind, text: &str, start: usize, end: usize) -> Option<usize> {
    let fits =
        |stop: usize| is_valid(kind, &text[start..stop]) && stands_alone(kind, text, start, stop);
    if fits(end) {
        return Some(end - start);
    }
    if !matches!(kind, Kind::Card | Kind::Iban | Kind::Phone) {
        return None;
    }
    text[start..end]
        .char_indices()
        .rev()
        .filter(|&(_, c)| matches!(c, ' ' | '-' | '.' | '/'))
        .map(|(i, _)| start + i)
        .find(|&stop| fits(stop))
        .map(|stop| stop - start)
}

fn stands_alone(kind: Kind, text: &str, start: usize, end: usize) -> bool {
    if !matches!(kind, Kind::Card | Kind::Iban | Kind::Phone | Kind::Ssn) {
        return true;
    }
    let glued = |c: char| c.is_alphanumeric() || matches!(c, '-' | '/' | '_' | '@');
    let before = text[..start].chars().next_back().is_some_and(glued);
    let after = text[end..].chars().next().is_some_and(|c| {
        glued(c) || (c == '.' && text[end + 1..].starts_with(|d: char| d.is_ascii_digit()))
    });
    !before && !after
}

fn digits(text: &str) -> impl Iterator<Item = u32> + '_ {
    text.chars().filter_map(|c| c.to_digit(10))
}

fn is_valid(kind: Kind, found: &str) -> bool {
    match kind {
        Kind::Card => {
            let count = digits(found).count();
            (13..=19).contains(&count) && luhn(found)
        }
        Kind::Iban => iban_ok(found),
        Kind::Ssn => ssn_ok(found),
        Kind::Ipv6 => found.matches(':').count() >= 2 && found.parse::<Ipv6Addr>().is_ok(),
        Kind::Phone => phone_ok(found),
        Kind::Secret => secret_ok(found),
        Kind::AwsKey | Kind::Email | Kind::Ipv4 => true,
        // Profanity comes whole from the moderation lists; a part of it is not a finding.
        Kind::Profanity => false,
    }
}

/// The Luhn checksum of the digits in `text`.
pub fn luhn(text: &str) -> bool {
    let all: Vec<u32> = digits(text).collect();
    let sum: u32 = all
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if !i.is_multiple_of(2) {
                if d * 2 > 9 { d * 2 - 9 } else { d * 2 }
            } else {
                d
            }
        })
        .sum();
    !all.is_empty() && sum.is_multiple_of(10)
}

/// ISO 13616: length 15–34, country letters, check digits, mod 97 of the rearranged number is 1.
pub fn iban_ok(text: &str) -> bool {
    let compact: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    if !(15..=34).contains(&compact.len()) || !compact.iter().all(|c| c.is_ascii_alphanumeric()) {
        return false;
    }
    let rearranged = compact[4..].iter().chain(&compact[..4]);
    let mut remainder: u64 = 0;
    for c in rearranged {
        let value = match c.to_digit(36) {
            Some(v) => v as u64,
            None => return false,
        };
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    remainder == 1
}

/// US SSN: area not 000, 666 or 900–999; group not 00; serial not 0000.
pub fn ssn_ok(text: &str) -> bool {
    let all: Vec<u32> = digits(text).collect();
    if all.len() != 9 {
        return false;
    }
    let area = all[0] * 100 + all[1] * 10 + all[2];
    let group = all[3] * 10 + all[4];
    let serial = all[5..].iter().fold(0, |acc, d| acc * 10 + d);
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

/// 8–15 digits (E.164 max 15), with a `+`, parentheses or separators (a bare number is not a phone),
/// and no long run of digits that looks like a card instead.
fn phone_ok(text: &str) -> bool {
    let count = digits(text).count();
    let formatted = text.starts_with('+') || text.contains(['(', ' ', '-', '.', '/']);
    (8..=15).contains(&count) && formatted && !text.ends_with(['.', '-', '/'])
}

/// Known token prefixes always; otherwise 32+ characters mixing upper, lower and digits with high
/// entropy (≥ 3.5 bits per character), which plain words and URLs' paths rarely have.
fn secret_ok(text: &str) -> bool {
    if text.contains('_')
        && text.split(['_', '-']).next().is_some_and(|p| {
            [
                "ghp", "gho", "ghu", "ghs", "ghr", "github", "xoxa", "xoxb", "xoxp", "xoxr",
                "xoxs", "sk", "rk", "glpat",
            ]
            .contains(&p)
        })
    {
        return true;
    }
    let upper = text.chars().any(|c| c.is_ascii_uppercase());
    let lower = text.chars().any(|c| c.is_ascii_lowercase());
    let digit = text.chars().any(|c| c.is_ascii_digit());
    upper && lower && digit && entropy(text) >= 3.5
}

fn entropy(text: &str) -> f64 {
    let mut counts = [0u32; 128];
    let mut total = 0u32;
    for b in text.bytes().filter(|b| b.is_ascii()) {
        counts[b as usize] += 1;
        total += 1;
    }
    let total = f64::from(total.max(1));
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| f64::from(c) / total)
        .map(|p| -p * p.log2())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds_in(text: &str) -> Vec<(Kind, String)> {
        let detectors = Detectors::new(&Kind::ALL).unwrap();
        let mut out = Vec::new();
        detectors.find(text, &mut out);
        out.sort();
        out.into_iter()
            .map(|(k, s, e)| (k, text[s..e].to_owned()))
            .collect()
    }

    fn has(text: &str, kind: Kind, value: &str) -> bool {
        kinds_in(text).iter().any(|(k, v)| *k == kind && v == value)
    }

    #[test]
    fn checksums() {
        assert!(
            luhn("4242 4242 4242 4242") && luhn("5555-5555-5555-4444") && luhn("378282246310005")
        );
        assert!(!luhn("4242 4242 4242 4241"));
        for good in [
            "GB82 WEST 1234 5698 7654 32",
            "DE89370400440532013000",
            "FR1420041010050500013M02606",
        ] {
            assert!(iban_ok(good), "{good}");
        }
        assert!(!iban_ok("GB82 WEST 1234 5698 7654 33"));
        assert!(ssn_ok("123-45-6789"));
        for bad in [
            "000-12-3456",
            "666-12-3456",
            "912-12-3456",
            "123-00-4567",
            "123-45-0000",
        ] {
            assert!(!ssn_ok(bad), "{bad}");
        }
    }

    #[test]
    fn finds_each_kind_in_text() {
        assert!(has(
            "pay 4242 4242 4242 4242 now",
            Kind::Card,
            "4242 4242 4242 4242"
        ));
        assert!(
            !kinds_in("order 4242 4242 4242 4241")
                .iter()
                .any(|(k, _)| *k == Kind::Card)
        );
        assert!(has(
            "iban GB82 WEST 1234 5698 7654 32.",
            Kind::Iban,
            "GB82 WEST 1234 5698 7654 32"
        ));
        assert!(has("ssn 123-45-6789", Kind::Ssn, "123-45-6789"));
        assert!(has(
            "mail Jane.Doe+x@mail.example.co.uk!",
            Kind::Email,
            "Jane.Doe+x@mail.example.co.uk"
        ));
        assert!(has("host 192.168.0.1:80", Kind::Ipv4, "192.168.0.1"));
        assert!(has(
            "v6 2001:db8::8a2e:370:7334 up",
            Kind::Ipv6,
            "2001:db8::8a2e:370:7334"
        ));
        assert!(
            !kinds_in("meet at 12:30:45")
                .iter()
                .any(|(k, _)| *k == Kind::Ipv6)
        );
        assert!(has(
            "key AKIAIOSFODNN7EXAMPLE",
            Kind::AwsKey,
            "AKIAIOSFODNN7EXAMPLE"
        ));
        assert!(has(
            "token ghp_abcdefghijklmnopqrstuvwxyz0123456789",
            Kind::Secret,
            "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
        ));
        assert!(has(
            "secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            Kind::Secret,
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        ));
    }

    #[test]
    fn phone_formats_of_several_countries() {
        for phone in [
            "+1 415 555 0100",
            "(415) 555-0100",
            "+44 20 7946 0958",
            "020 7946 0958",
            "06 12 34 56 78",
            "+33 6 12 34 56 78",
            "030/1234567",
            "+49 30 1234567",
            "+81 3-1234-5678",
            "+14155550100",
        ] {
            let text = format!("call {phone} today");
            assert!(
                kinds_in(&text)
                    .iter()
                    .any(|(k, v)| *k == Kind::Phone && v == phone),
                "{phone}: {:?}",
                kinds_in(&text)
            );
        }
        for not_phone in ["in 2024 we", "version 1.2.3", "room 12345"] {
            assert!(
                !kinds_in(not_phone).iter().any(|(k, _)| *k == Kind::Phone),
                "{not_phone}"
            );
        }
    }
}
