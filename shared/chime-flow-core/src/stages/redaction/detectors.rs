//! Detectors: a candidate regex (ASCII word boundaries keep them on the fast DFA path) and, where the
//! format has one, a checksum or range validator that turns candidates into findings.

use std::net::Ipv6Addr;
use std::sync::{Arc, OnceLock};

use regex::{Regex, RegexSet};

use super::numbering;
use super::regions::Regions;

/// What was found, in the order counts are reported; see [`Kind::priority`] for overlaps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// AWS access key ids.
    AwsKey,
    /// Secrets: tokens, keys and passwords by their shape.
    Secret,
    /// Payment card numbers (Luhn-checked).
    Card,
    /// IBANs (checksum-checked).
    Iban,
    /// US Social Security numbers.
    Ssn,
    /// Email addresses.
    Email,
    /// IPv6 addresses.
    Ipv6,
    /// IPv4 addresses.
    Ipv4,
    /// Phone numbers.
    Phone,
    /// Profanity (moderation's lists).
    Profanity,
}

impl Kind {
    /// Every kind, in the order detectors run.
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

    /// The kind spelled `name`.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(name))
    }

    /// Rank when findings overlap (lower wins): the declaration order, except that an IBAN (country
    /// length and mod 97) outranks a card carved out of its digits.
    pub fn priority(self) -> u8 {
        match self {
            Kind::Iban => Kind::Card as u8,
            Kind::Card => Kind::Iban as u8,
            other => other as u8,
        }
    }

    /// Whether a "keep the last digits" mask applies (numbers people recognise by their end).
    pub fn keeps_last_digits(self) -> bool {
        matches!(self, Kind::Card | Kind::Iban | Kind::Phone)
    }
}

/// A candidate pattern per kind (profanity comes from the moderation lists instead). Candidates are
/// generous; the validators below decide. Digits are `[0-9]`, not `\d`: Unicode's hundreds of digit
/// ranges, repeated in the phone pattern's groups, made the detectors take 12 ms to compile.
const PATTERNS: [(Kind, &str); 9] = [
    (
        Kind::AwsKey,
        r"(?-u:\b)(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA)[A-Z0-9]{16}(?-u:\b)",
    ),
    (
        Kind::Secret,
        r"(?-u:\b)(?:(?:ghp|gho|ghu|ghs|ghr|github_pat|xox[abprs]|sk_live|sk_test|rk_live|glpat)[_-][A-Za-z0-9_-]{16,}|[A-Za-z0-9/+=_-]{32,})",
    ),
    (Kind::Card, r"(?-u:\b)[0-9](?:[ -]?[0-9]){11,18}(?-u:\b)"),
    (
        Kind::Iban,
        r"(?-u:\b)[A-Z]{2}[0-9]{2}(?:[ -]?[A-Z0-9]){11,30}(?-u:\b)",
    ),
    // `078-05-1120`, `078 05 1120`, `078.05.1120` and `078-051120` (area, then group and serial run
    // together); the separators must agree except in that last form.
    (
        Kind::Ssn,
        r"(?-u:\b)[0-9]{3}(?:-[0-9]{2}-?|\.[0-9]{2}\.| [0-9]{2} )[0-9]{4}(?-u:\b)",
    ),
    // Domains may be internationalised (`xn--` labels, also as the top-level domain).
    (
        Kind::Email,
        r"(?i)[a-z0-9._%+'-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:xn--[a-z0-9-]{1,59}|[a-z]{2,24})(?-u:\b)",
    ),
    // Hex groups and colons (at least two), optionally ending in a dotted IPv4; `::` may start or end
    // it. No word boundary at the start (`::1` has none): the validator checks what is around it.
    (
        Kind::Ipv6,
        r"(?i)(?:[0-9a-f]{0,4}:){2,7}(?:(?:[0-9]{1,3}\.){3}[0-9]{1,3}|[0-9a-f]{1,4})?",
    ),
    (
        Kind::Ipv4,
        r"(?-u:\b)(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?-u:\b)",
    ),
    // International (`+CC`, `00CC`, with an optional `(0)`) or national: groups of digits split by
    // spaces, dots, dashes or slashes, an area code in parentheses (with a trunk `0` or `8` before
    // it), or seven digits or more in one run. A lone number (`at 9`) is no candidate, so ordinary
    // text never runs the phone regex.
    (
        Kind::Phone,
        r"(?:(?:\+|(?-u:\b)00)[0-9]{1,3}[ .-]?(?:\(0\)[ .-]?)?(?:\([0-9]{1,5}\)[ .-]?)?|[08]? ?\([0-9]{1,5}\)[ .-]?)[0-9]{1,15}(?:[ ./-][0-9]{1,8}){0,7}(?-u:\b)|(?-u:\b)(?:[0-9]{1,5}(?:[ ./-][0-9]{1,8}){1,7}|[0-9]{7,15})(?-u:\b)",
    ),
];

/// The compiled detectors: the set that says which kinds a text may hold, compiled at start, and a
/// searcher per kind compiled the first time the set names that kind (about 1.3 M instructions each:
/// a processor's start does not pay for kinds its first messages never contain). Clones share them.
#[derive(Debug, Clone)]
pub struct Detectors {
    set: RegexSet,
    searchers: Arc<[Searcher]>,
    regions: Regions,
}

/// One kind's pattern and, once a text needed it, its compiled regex.
#[derive(Debug)]
struct Searcher {
    kind: Kind,
    pattern: &'static str,
    regex: OnceLock<Regex>,
}

impl Searcher {
    /// The compiled regex. The pattern is one of [`PATTERNS`], which the set has already compiled
    /// (a unit test compiles each alone too), so building it again cannot fail.
    fn regex(&self) -> &Regex {
        self.regex.get_or_init(|| {
            Regex::new(self.pattern)
                .unwrap_or_else(|e| unreachable!("{} compiled in the set: {e}", self.kind.name()))
        })
    }
}

impl Detectors {
    /// Compiles the detectors for `kinds` (each kind's own regex on first need), every region's
    /// national phone formats.
    pub fn new(kinds: &[Kind]) -> Result<Self, regex::Error> {
        Self::with_regions(kinds, Regions::all())
    }

    /// Compiles the detectors for `kinds`, national phone formats of `regions` only.
    pub fn with_regions(kinds: &[Kind], regions: Regions) -> Result<Self, regex::Error> {
        let chosen: Vec<(Kind, &'static str)> = PATTERNS
            .iter()
            .copied()
            .filter(|(k, _)| kinds.contains(k))
            .collect();
        let set = RegexSet::new(chosen.iter().map(|(_, p)| *p))?;
        let searchers = chosen
            .into_iter()
            .map(|(kind, pattern)| Searcher {
                kind,
                pattern,
                regex: OnceLock::new(),
            })
            .collect();
        Ok(Self {
            set,
            searchers,
            regions,
        })
    }

    /// Compiles every kind's regex now (benchmarks measure the steady state).
    pub fn compile_all_now(&self) {
        for searcher in self.searchers.iter() {
            searcher.regex();
        }
    }

    /// Every validated finding as (kind, byte range). One pass of the set decides which detectors run.
    /// A candidate that fails validation does not consume the text: the search goes on from its next
    /// character, so a valid card right after an invalid run of digits is still found.
    pub fn find(&self, text: &str, out: &mut Vec<(Kind, usize, usize)>) {
        for index in self.set.matches(text).iter() {
            let searcher = &self.searchers[index];
            let (kind, regex) = (&searcher.kind, searcher.regex());
            let mut at = 0;
            while let Some(found) = regex.find_at(text, at) {
                match accepted_len(*kind, &self.regions, text, found.start(), found.end()) {
                    Some(len) => {
                        let start = found.start();
                        let end = with_suffix(*kind, text, start + len);
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

/// An address's end extended over a prefix length (`/48`) and, for IPv6, a zone (`%eth0`): left
/// readable beside the redacted address they would tell what it was.
fn with_suffix(kind: Kind, text: &str, end: usize) -> usize {
    if !matches!(kind, Kind::Ipv4 | Kind::Ipv6) {
        return end;
    }
    let rest = &text[end..];
    let mut len = 0;
    if kind == Kind::Ipv6 && rest.starts_with('%') {
        len = 1 + rest[1..]
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
            .count();
        if len == 1 {
            len = 0;
        }
    }
    let max = if kind == Kind::Ipv4 { 32 } else { 128 };
    if let Some(prefix) = prefix_length(&rest[len..], max) {
        let after = &rest[len + prefix..];
        if !after.starts_with(|c: char| c.is_alphanumeric() || c == '/') {
            len += prefix;
        }
    }
    end + len
}

/// The length of the network prefix `/N` at the start of `rest` (N of one to three digits, at most
/// `max`), if there is one.
fn prefix_length(rest: &str, max: u32) -> Option<usize> {
    let number = rest.strip_prefix('/')?;
    let digits = number.bytes().take_while(u8::is_ascii_digit).count();
    ((1..=3).contains(&digits) && number[..digits].parse::<u32>().is_ok_and(|n| n <= max))
        .then_some(1 + digits)
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
/// the groups of a UUID or an account id inside an ARN are not a phone number). Bare and dotted
/// national phone numbers count only when a plan of `regions` assigns them.
pub fn accepted_len(
    kind: Kind,
    regions: &Regions,
    text: &str,
    start: usize,
    end: usize,
) -> Option<usize> {
    let fits = |stop: usize| {
        (is_valid(kind, regions, &text[start..stop]) || ipv6_network(kind, text, start, stop))
            && stands_alone(kind, text, start, stop)
    };
    if fits(end) {
        return Some(end - start);
    }
    if !matches!(kind, Kind::Card | Kind::Iban | Kind::Phone) {
        return None;
    }
    // A run of groups shaped like another number (a card that failed Luhn, an account, a dotted
    // version) has no phone at its start either.
    if kind == Kind::Phone && numbering::grouped_like_other_number(&text[start..end], regions) {
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
    if kind == Kind::Ipv6 {
        // Not a piece of a longer token (`std::cout`, `a::b::c`, nine groups, `:::`).
        let glued = |c: char| c.is_alphanumeric() || matches!(c, '_' | ':' | '.');
        let before = text[..start].chars().next_back().is_some_and(glued);
        let after = text[end..].chars().next().is_some_and(|c| {
            // A full stop ending the sentence is not part of a longer token.
            glued(c) && (c != '.' || text[end + 1..].starts_with(|d: char| d.is_alphanumeric()))
        });
        return !before && !after;
    }
    if kind == Kind::Ipv4 {
        // Not four groups of a longer dotted number (`1.2.3.4.5`, a version).
        let dotted_digit =
            |s: &str| s.starts_with('.') && s[1..].starts_with(|c: char| c.is_ascii_digit());
        let before = text[..start]
            .strip_suffix('.')
            .is_some_and(|b| b.ends_with(|c: char| c.is_ascii_digit()));
        return !before && !dotted_digit(&text[end..]);
    }
    if !matches!(kind, Kind::Card | Kind::Iban | Kind::Phone | Kind::Ssn) {
        return true;
    }
    // `+` too: digits after a `+` that failed as an international number are no national one.
    let glued = |c: char| c.is_alphanumeric() || matches!(c, '-' | '/' | '_' | '@' | '+');
    let mut before = text[..start].chars().next_back().is_some_and(glued);
    let previous_group = text[..start]
        .strip_suffix([' ', '-', '.'])
        .map(|rest| rest.rsplit([' ', '-', '.']).next().unwrap_or(rest));
    match kind {
        // Not the tail of a longer grouped number (`4646 5111 2744 5760` failed Luhn, so `2744 5760`
        // is no phone) nor of a dotted one (`10.0.19041`).
        Kind::Phone if !text[start..].starts_with(['+', '(']) => {
            before |= previous_group.is_some_and(|g| g.ends_with(|c: char| c.is_ascii_digit()))
        }
        // Not digits of an account after its letters (`GB23 HUEJ 6274 0185 …`, `PT44 5330 7358 6822
        // …`); a card after a phone number (`0958 4242 4242 …`) is still a card.
        Kind::Card => before |= follows_account_head(&text[..start]),
        _ => {}
    }
    let after = text[end..].chars().next().is_some_and(|c| {
        glued(c) || (c == '.' && text[end + 1..].starts_with(|d: char| d.is_ascii_digit()))
    });
    !before && !after
}

/// Whether `before` ends with an IBAN-like head (four characters of capitals and digits with a
/// capital: `PT44`, `HUEJ`) followed by groups of four digits, each after one space or dash.
fn follows_account_head(before: &str) -> bool {
    let mut rest = before;
    loop {
        let Some(trimmed) = rest.strip_suffix([' ', '-']) else {
            return false;
        };
        let group_start = trimmed
            .char_indices()
            .rev()
            .find(|&(_, c)| !c.is_ascii_alphanumeric())
            .map_or(0, |(i, c)| i + c.len_utf8());
        let group = &trimmed[group_start..];
        if group.len() != 4
            || !group
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            return false;
        }
        if group.bytes().any(|b| b.is_ascii_uppercase()) {
            return true;
        }
        rest = &trimmed[..group_start];
    }
}

fn digits(text: &str) -> impl Iterator<Item = u32> + '_ {
    text.chars().filter_map(|c| c.to_digit(10))
}

fn is_valid(kind: Kind, regions: &Regions, found: &str) -> bool {
    match kind {
        Kind::Card => card_ok(found),
        Kind::Iban => iban_ok(found),
        Kind::Ssn => ssn_ok(found),
        Kind::Ipv6 => ipv6_ok(found),
        Kind::Phone => phone_ok(found, regions),
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

/// A card number: Luhn, and a prefix and length some issuer uses (see [`super::numbering::card_issuer`]).
pub fn card_ok(text: &str) -> bool {
    let all: String = text.chars().filter(char::is_ascii_digit).collect();
    numbering::card_issuer(&all).is_some() && luhn(&all)
}

/// ISO 13616: the country's IBAN length, check digits, mod 97 of the rearranged number is 1.
pub fn iban_ok(text: &str) -> bool {
    let compact: Vec<char> = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if compact.len() < 5 || !compact.iter().all(|c| c.is_ascii_alphanumeric()) {
        return false;
    }
    let country: String = compact[..2].iter().collect();
    if numbering::iban_length(&country) != Some(compact.len()) {
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

fn phone_ok(text: &str, regions: &Regions) -> bool {
    !text.ends_with(['.', '-', '/', ' ']) && numbering::phone_shape_ok(text, regions)
}

/// An IPv6 address as people write it: parses, has at least one decimal digit (so `a::b`, `fe::ed`
/// and other code stay), and is not a time (`12:30:45` does not parse anyway).
fn ipv6_ok(text: &str) -> bool {
    text.matches(':').count() >= 2
        && text.bytes().any(|b| b.is_ascii_digit())
        && text.parse::<Ipv6Addr>().is_ok()
}

/// An IPv6 network with no decimal digit, such as the default route `::/0` or `ff00::/8`: an
/// address that parses, followed by a prefix length. The bare `::` of code (`f :: Int`) has none.
fn ipv6_network(kind: Kind, text: &str, start: usize, stop: usize) -> bool {
    if kind != Kind::Ipv6 || text[start..stop].parse::<Ipv6Addr>().is_err() {
        return false;
    }
    prefix_length(&text[stop..], 128).is_some()
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

    /// Each pattern compiles alone (what [`Searcher::regex`] relies on), and a text compiles only
    /// the kinds the set names in it.
    #[test]
    fn searchers_compile_alone_and_only_when_needed() {
        for (kind, pattern) in PATTERNS {
            assert!(Regex::new(pattern).is_ok(), "{}", kind.name());
        }
        let detectors = Detectors::new(&Kind::ALL).unwrap();
        let compiled = |d: &Detectors| -> Vec<Kind> {
            d.searchers
                .iter()
                .filter(|s| s.regex.get().is_some())
                .map(|s| s.kind)
                .collect()
        };
        let mut out = Vec::new();
        detectors.find("nothing to see here", &mut out);
        assert!(out.is_empty());
        assert_eq!(compiled(&detectors), []);
        detectors.find("write to ana@example.com", &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(compiled(&detectors), [Kind::Email]);
        let clone = detectors.clone();
        assert_eq!(
            compiled(&clone),
            [Kind::Email],
            "clones share what is compiled"
        );
        detectors.compile_all_now();
        assert_eq!(compiled(&clone).len(), PATTERNS.len());
    }

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

    fn kinds_of(text: &str, kind: Kind) -> Vec<String> {
        kinds_in(text)
            .into_iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, v)| v)
            .collect()
    }

    #[test]
    fn phones_are_phones_of_some_plan() {
        for (text, want) in [
            ("ara 05321234567 lütfen", "05321234567"),
            ("tawag 09171234567", "09171234567"),
            ("电话 13812345678", "13812345678"),
            ("+49 30 1 234 5678 ok", "+49 30 1 234 5678"),
            ("ring 0(20) 7946 0958", "0(20) 7946 0958"),
            ("ring +44 (0)20 7946 0958", "+44 (0)20 7946 0958"),
            ("+442074960665", "+442074960665"),
        ] {
            assert_eq!(kinds_of(text, Kind::Phone), vec![want.to_owned()], "{text}");
        }
        for text in [
            "on 2024-03-15 we shipped",
            "created_at 1732612345678",
            "ref 4242 4242 4242 4241",
            "code 912-12-3456",
            "ref DE89 3704 0044 0532 0130 01",
            "build 10.0.19041.1 and 1.2.3.4.5",
            "ISBN 0-306-40615-2",
            "+210 1234 5678",
        ] {
            assert!(
                kinds_of(text, Kind::Phone).is_empty(),
                "{text}: {:?}",
                kinds_in(text)
            );
        }
    }

    #[test]
    fn ipv6_whole_addresses_and_never_code() {
        for (text, want) in [
            ("::1 is loopback", "::1"),
            ("net 2001:db8:: is ours", "2001:db8::"),
            ("net 2001:db8::/32 is ours", "2001:db8::/32"),
            ("via fe80::1%eth0 now", "fe80::1%eth0"),
            ("map ::ffff:192.0.2.1 here", "::ffff:192.0.2.1"),
        ] {
            assert_eq!(kinds_of(text, Kind::Ipv6), vec![want.to_owned()], "{text}");
        }
        for text in [
            "std::cout << x",
            "a::b",
            "Foo::bar()",
            "crate::config::Env",
            "1:2:3:4:5:6:7:8:9",
            "2001:db8:::1",
            "meet at 12:30:45",
        ] {
            assert!(
                kinds_of(text, Kind::Ipv6).is_empty(),
                "{text}: {:?}",
                kinds_in(text)
            );
        }
        assert_eq!(
            kinds_of("net 10.0.0.0/8 ok", Kind::Ipv4),
            vec!["10.0.0.0/8".to_owned()]
        );
    }

    #[test]
    fn ibans_by_country_length_cards_by_issuer_emails_in_punycode() {
        assert_eq!(
            kinds_of("pay DE89-3704-0044-0532-0130-00 now", Kind::Iban),
            vec!["DE89-3704-0044-0532-0130-00".to_owned()]
        );
        // Valid check digits, two characters too long for Germany.
        assert!(!iban_ok("DE4637040044053201300012"));
        assert!(
            kinds_of("ts 1732612345675", Kind::Card).is_empty(),
            "Luhn-valid timestamp"
        );
        assert!(luhn("1732612345675") && luhn("8000000000000003"));
        assert!(
            kinds_of("id 8000000000000003", Kind::Card).is_empty(),
            "no issuer uses 8"
        );
        assert_eq!(
            kinds_of("mail a.b@mail.xn--p1ai now", Kind::Email),
            vec!["a.b@mail.xn--p1ai".to_owned()]
        );
        assert_eq!(
            kinds_of(
                "ref GB82 WEST 1234 5698 7654 32 and 4242 4242 4242 4242",
                Kind::Card
            ),
            vec!["4242 4242 4242 4242".to_owned()],
            "a card after an account is still a card"
        );
    }
}
