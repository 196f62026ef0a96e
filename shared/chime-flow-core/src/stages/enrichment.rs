//! Enrichment: annotate messages for clients and push-notification filter rules.
//!
//! Finds mentions (`@name` and app-instance-user ARNs), links (normalised), hashtags, the language
//! (see [`super::language`]), counts of characters and words, and stamps
//! the processor. Writes small attributes (`mentions`, `hasLink`, `language`, `hashtags`) and merges a
//! JSON object under `chimeFlow.enrichment` in the metadata, keeping the sender's metadata (non-JSON
//! metadata is left as it is). Everything stays within the limits: when the metadata would exceed 1 KB,
//! the lowest-value data goes first — links, then hashtags, then mentions, then counts — in a fixed order.

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use super::language::LanguageEngine;
use super::metadata::JsonMetadata;
use crate::config::{ConfigError, Env};
use crate::decision::{Decision, Edits};
use crate::event::ChannelMessage;
use crate::limits::ATTRIBUTE_VALUE_LEN;
use crate::stage::{Stage, StageError};
use unicode_normalization::char::is_combining_mark;

/// A user's ARN. The account id is twelve ASCII digits: `[0-9]`, not `\d`, whose Unicode digit
/// ranges repeated twelve times made this regex ~2.5 M instructions of every processor's start.
static USER_ARN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"arn:aws[a-z-]*:chime:[a-z0-9-]+:[0-9]{12}:app-instance/[A-Za-z0-9-]+/user/[A-Za-z0-9_.@-]+",
    )
    .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});
/// Values per attribute: push filter rules match on a few, and every value costs bytes.
const MAX_VALUES: usize = 10;
/// Longest mention name and hashtag, in characters.
const MAX_NAME_CHARS: usize = 64;
/// Most mentions, links or hashtags collected from one message: more can fit neither in 1 KB of
/// metadata (each costs at least 4 bytes there) nor in the attributes, and the bound keeps the
/// duplicate checks linear in the message.
const MAX_FINDINGS: usize = 256;

/// Enrichment's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrichmentConfig {
    /// The processor named in the metadata stamp.
    pub processor_name: String,
    /// Its version, in the stamp.
    pub processor_version: String,
    /// Which language detector runs, if any.
    pub language: LanguageEngine,
    /// Whether the findings are also written to the metadata (JSON), not only to attributes.
    pub write_metadata: bool,
}

impl EnrichmentConfig {
    /// `ENRICHMENT_LANGUAGE` (true), `ENRICHMENT_METADATA` (true); the stamp names the Lambda function
    /// (`AWS_LAMBDA_FUNCTION_NAME`, `AWS_LAMBDA_FUNCTION_VERSION`) or the crate.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            processor_name: env
                .get("AWS_LAMBDA_FUNCTION_NAME")
                .unwrap_or("chime-flow")
                .to_owned(),
            processor_version: env
                .get("AWS_LAMBDA_FUNCTION_VERSION")
                .unwrap_or(env!("CARGO_PKG_VERSION"))
                .to_owned(),
            language: env.choice(
                "ENRICHMENT_LANGUAGE",
                LanguageEngine::Fast,
                &[
                    ("fast", LanguageEngine::Fast),
                    ("broad", LanguageEngine::Broad),
                    ("off", LanguageEngine::Off),
                    ("true", LanguageEngine::Fast),
                    ("false", LanguageEngine::Off),
                ],
            )?,
            write_metadata: env.flag("ENRICHMENT_METADATA", true)?,
        })
    }
}

impl Default for EnrichmentConfig {
    fn default() -> Self {
        Self {
            processor_name: "chime-flow".into(),
            processor_version: env!("CARGO_PKG_VERSION").into(),
            language: LanguageEngine::Fast,
            write_metadata: true,
        }
    }
}

/// What enrichment found in one message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Findings {
    /// `@name` mentions.
    pub mentions: Vec<String>,
    /// Links.
    pub links: Vec<String>,
    /// `#tag` hashtags.
    pub hashtags: Vec<String>,
    /// The language (ISO 639-1), when the text says enough.
    pub language: Option<String>,
    /// Characters.
    pub chars: usize,
    /// Words.
    pub words: usize,
}

/// The enrichment stage: mentions, links, hashtags, language and counts as attributes and metadata.
#[derive(Debug, Clone, Default)]
pub struct Enrichment {
    config: EnrichmentConfig,
}

impl Enrichment {
    /// Enrichment with `config`.
    pub fn new(config: EnrichmentConfig) -> Self {
        // Compile the patterns now, at start, not on the first message.
        LazyLock::force(&USER_ARN);
        Self { config }
    }

    /// Enrichment configured from the environment (see [`EnrichmentConfig::from_env`]).
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self::new(EnrichmentConfig::from_env(env)?))
    }

    /// What enrichment finds in `text`.
    pub fn analyse(&self, text: &str) -> Findings {
        let (chars, words) = count_chars_and_words(text);
        let mut findings = Findings {
            chars,
            words,
            ..Findings::default()
        };
        let arns = USER_ARN.find_iter(text).map(|arn| arn.as_str());
        let names = marked_words(text, '@', mention_may_follow, mention_char)
            .map(|name| name.trim_end_matches(['.', '-']));
        for mention in distinct(arns.chain(names)).take(MAX_FINDINGS) {
            push_unique(&mut findings.mentions, mention.to_owned());
        }
        for link in distinct(links(text)).take(MAX_FINDINGS) {
            if let Some(normal) = normalise_link(link) {
                push_unique(&mut findings.links, normal);
            }
        }
        for tag in
            distinct(marked_words(text, '#', hashtag_may_follow, word_char)).take(MAX_FINDINGS)
        {
            push_unique(&mut findings.hashtags, tag.to_lowercase());
        }
        findings.language = self.config.language.detect(text).map(str::to_owned);
        findings
    }
}

/// Each raw text once: a message that repeats `@team` or a link forty times allocates and
/// normalises it once.
fn distinct<'t>(items: impl Iterator<Item = &'t str>) -> impl Iterator<Item = &'t str> {
    let mut seen: Vec<&'t str> = Vec::new();
    items.filter(move |item| {
        let new = !seen.contains(item);
        if new {
            seen.push(item);
        }
        new
    })
}

/// Characters, and words as `split_whitespace` counts them, in one pass over the bytes.
fn count_chars_and_words(text: &str) -> (usize, usize) {
    let (mut chars, mut words, mut in_word) = (0, 0, false);
    for (at, byte) in text.bytes().enumerate() {
        if byte & 0xC0 == 0x80 {
            continue; // a continuation byte: the character was counted at its first byte
        }
        chars += 1;
        let space = if byte.is_ascii() {
            matches!(byte, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r')
        } else {
            text[at..].chars().next().is_some_and(char::is_whitespace)
        };
        if !space && !in_word {
            words += 1;
        }
        in_word = !space;
    }
    (chars, words)
}

fn push_unique(list: &mut Vec<String>, value: String) {
    if !value.is_empty() && !list.contains(&value) {
        list.push(value);
    }
}

/// A word character as regex's `\w` sees it: letters, digits, marks, connector punctuation (`_`).
fn word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || is_combining_mark(c)
}

/// A mention name goes on with dots and dashes (`@jane.doe`, `@ops-team`), trimmed at its end.
fn mention_char(c: char) -> bool {
    word_char(c) || c == '.' || c == '-'
}

/// `@` starts a mention at the start or after anything but a word character, `@` or `.` (so an
/// e-mail address is not a mention).
fn mention_may_follow(c: char) -> bool {
    !(word_char(c) || c == '@' || c == '.')
}

/// `#` starts a hashtag after anything but a word character, `&` (`&#123;`) or `#`.
fn hashtag_may_follow(c: char) -> bool {
    !(word_char(c) || c == '&' || c == '#')
}

/// The words that follow `marker`: it must stand at the start or after a character `may_follow`
/// accepts, be followed by a word character, and the word runs on while `body` accepts, for at most
/// [`MAX_NAME_CHARS`] characters. A byte search for the marker, then a few characters each: linear.
fn marked_words(
    text: &str,
    marker: char,
    may_follow: fn(char) -> bool,
    body: fn(char) -> bool,
) -> impl Iterator<Item = &str> {
    text.match_indices(marker).filter_map(move |(at, _)| {
        if text[..at]
            .chars()
            .next_back()
            .is_some_and(|c| !may_follow(c))
        {
            return None;
        }
        let rest = &text[at + marker.len_utf8()..];
        if !rest.chars().next().is_some_and(word_char) {
            return None;
        }
        let end = rest
            .char_indices()
            .take(MAX_NAME_CHARS)
            .take_while(|&(_, c)| body(c))
            .last()
            .map_or(0, |(i, c)| i + c.len_utf8());
        Some(&rest[..end])
    })
}

/// Lowercases scheme and host, drops a default port, a fragment and trailing punctuation.
fn normalise_link(raw: &str) -> Option<String> {
    let raw = raw.trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']', '\'', '"']);
    let (scheme, rest) = raw.split_once("://")?;
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let https = scheme.eq_ignore_ascii_case("https");
    let default_port = if https { ":443" } else { ":80" };
    let host = authority.strip_suffix(default_port).unwrap_or(authority);
    if host.is_empty() {
        return None;
    }
    let path = path.split('#').next().unwrap_or("");
    let path = if path.is_empty() { "/" } else { path };
    let mut link = String::with_capacity(raw.len() + 1);
    link.push_str(if https { "https://" } else { "http://" });
    link.extend(host.chars().map(|c| c.to_ascii_lowercase()));
    link.push_str(path);
    Some(link)
}

/// `http://` and `https://` links (scheme in any case) that do not start inside a word, running to
/// the next white space or `<`, `>`, `"`, `'`, `` ` ``. A byte search for `://`, then a look around.
fn links(text: &str) -> impl Iterator<Item = &str> {
    text.match_indices("://").filter_map(move |(at, _)| {
        let head = &text[..at];
        let scheme = ["https", "http"].into_iter().find(|scheme| {
            head.len() >= scheme.len()
                && head.is_char_boundary(head.len() - scheme.len())
                && head[head.len() - scheme.len()..].eq_ignore_ascii_case(scheme)
        })?;
        let start = at - scheme.len();
        if text[..start].chars().next_back().is_some_and(word_char) {
            return None;
        }
        let rest = &text[at + 3..];
        let end = rest
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | '`'))
            .unwrap_or(rest.len());
        (end > 0).then(|| &text[start..at + 3 + end])
    })
}

/// Attribute values within the limits: at most [`MAX_VALUES`], each ≤ 512 bytes (longer ones dropped).
fn attribute_values(values: &[String]) -> Vec<String> {
    values
        .iter()
        .filter(|v| v.len() <= ATTRIBUTE_VALUE_LEN.1)
        .take(MAX_VALUES)
        .cloned()
        .collect()
}

impl Enrichment {
    /// Merges the findings into the metadata, trimming the lowest-value data first until it fits:
    /// links from the end, then hashtags, then mentions, then the counts.
    fn merged_metadata(&self, existing: Option<&str>, f: &Findings) -> Option<String> {
        // Parsed once; each trimming step only re-serialises.
        let metadata = JsonMetadata::parse(existing).ok()?;
        let mut record = Record {
            chars: Some(f.chars),
            hashtags: &f.hashtags,
            language: f.language.as_deref(),
            links: &f.links,
            mentions: &f.mentions,
            processor: Stamp {
                name: &self.config.processor_name,
                version: &self.config.processor_version,
            },
            words: Some(f.words),
        };
        loop {
            if let Ok(text) = metadata.with_section("enrichment", &record) {
                return Some(text);
            }
            if let Some((_, rest)) = record.links.split_last() {
                record.links = rest;
            } else if let Some((_, rest)) = record.hashtags.split_last() {
                record.hashtags = rest;
            } else if let Some((_, rest)) = record.mentions.split_last() {
                record.mentions = rest;
            } else if record.chars.is_some() {
                record.chars = None;
                record.words = None;
            } else {
                return None;
            }
        }
    }
}

/// What goes under `chimeFlow.enrichment`; fields in key order, as the JSON has always been written.
#[derive(Serialize)]
struct Record<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    chars: Option<usize>,
    hashtags: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<&'a str>,
    links: &'a [String],
    mentions: &'a [String],
    processor: Stamp<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    words: Option<usize>,
}

#[derive(Serialize)]
struct Stamp<'a> {
    name: &'a str,
    version: &'a str,
}

impl Stage for Enrichment {
    fn name(&self) -> &str {
        "enrichment"
    }

    fn decide(&self, message: &ChannelMessage) -> Result<Decision, StageError> {
        let findings = self.analyse(message.text());
        let mut edits = Edits::default();
        if !findings.mentions.is_empty() {
            edits
                .attributes
                .insert("mentions".into(), attribute_values(&findings.mentions));
        }
        if !findings.hashtags.is_empty() {
            edits
                .attributes
                .insert("hashtags".into(), attribute_values(&findings.hashtags));
        }
        edits.attributes.insert(
            "hasLink".into(),
            vec![(!findings.links.is_empty()).to_string()],
        );
        if let Some(language) = &findings.language {
            edits
                .attributes
                .insert("language".into(), vec![language.clone()]);
        }
        if self.config.write_metadata {
            edits.metadata = self.merged_metadata(message.metadata.as_deref(), &findings);
        }
        Ok(Decision::update(edits))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    const ARN: &str = "arn:aws:chime:us-east-1:123456789012:app-instance/app-1/user/alice";

    #[test]
    fn finds_mentions_links_hashtags_and_language() {
        let e = Enrichment::default();
        let text = format!(
            "@bob and {ARN}: please read HTTPS://Example.COM:443/Docs?x=1#top, then #Release #release. mail a@b.co"
        );
        let f = e.analyse(&text);
        assert_eq!(f.mentions, vec![ARN.to_owned(), "bob".to_owned()]);
        assert_eq!(f.links, vec!["https://example.com/Docs?x=1".to_owned()]);
        assert_eq!(f.hashtags, vec!["release".to_owned()]);
        let f = e.analyse(
            "Bonjour à tous, la réunion de demain est annulée à cause de la grève des transports.",
        );
        assert_eq!(f.language.as_deref(), Some("fra"));
        assert_eq!(e.analyse("ok").language, None, "too short to be reliable");
    }

    #[test]
    fn link_boundaries_and_normalisation() {
        let text = "see HTTP://Host.EXAMPLE:80/a#frag, (https://x.io/p?q=1). xhttps://no.pe https:// <http://y.org/z>";
        let found: Vec<&str> = links(text).collect();
        assert_eq!(
            found,
            vec![
                "HTTP://Host.EXAMPLE:80/a#frag,",
                "https://x.io/p?q=1).",
                "http://y.org/z"
            ]
        );
        let normal: Vec<String> = found.into_iter().filter_map(normalise_link).collect();
        assert_eq!(
            normal,
            vec![
                "http://host.example/a",
                "https://x.io/p?q=1",
                "http://y.org/z"
            ]
        );
    }

    #[test]
    fn mention_and_hashtag_boundaries() {
        let e = Enrichment::default();
        let f = e.analyse(
            "@jane.doe. hi @ops-team, x@y.com, (@bob) @@no @_ok #tag &#123; ##no a#no #नमस्ते #Δelta",
        );
        assert_eq!(f.mentions, vec!["jane.doe", "ops-team", "bob", "_ok"]);
        assert_eq!(f.hashtags, vec!["tag", "नमस्ते", "δelta"]);
        let long = format!("@{} #{}", "a".repeat(70), "b".repeat(70));
        let f = e.analyse(&long);
        assert_eq!(f.mentions, vec!["a".repeat(64)]);
        assert_eq!(f.hashtags, vec!["b".repeat(64)]);
        assert!(e.analyse("@ # @. #!").mentions.is_empty());
    }

    fn message(content: &str, metadata: Option<&str>) -> ChannelMessage {
        let event = crate::event::ProcessorEvent::from_value(&json!({
            "CallbackId": "0123456789abcdef0123456789abcdef",
            "ChannelMessage": {"MessageId": "m", "ChannelArn": "arn:aws:chime:us-east-1:1:app-instance/a/channel/c",
                "Content": content, "Metadata": metadata}
        }))
        .unwrap();
        event.channel_message
    }

    proptest::proptest! {
        #[test]
        fn counts_agree_with_std(text in "(\\PC| |\t|\n|\u{2003}|\u{00A0}|\u{0B}|\u{85}){0,40}") {
            proptest::prop_assert_eq!(
                count_chars_and_words(&text),
                (text.chars().count(), text.split_whitespace().count())
            );
        }
    }

    #[test]
    fn findings_are_bounded() {
        let text: String = (0..1000).map(|i| format!("@u{i} #t{i} ")).collect();
        let f = Enrichment::default().analyse(&text);
        assert_eq!(
            (f.mentions.len(), f.hashtags.len()),
            (MAX_FINDINGS, MAX_FINDINGS)
        );
        assert_eq!(f.mentions[0], "u0", "the first ones, in order");
    }

    #[test]
    fn metadata_text_is_stable() {
        let e = Enrichment::default();
        let Decision::Update(edits) = e
            .decide(&message(
                "Hi @bob see https://x.io #go",
                Some(r#"{"z":1,"a":2}"#),
            ))
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(
            edits.metadata.as_deref(),
            Some(concat!(
                r#"{"a":2,"chimeFlow":{"enrichment":{"chars":28,"hashtags":["go"],"language":"eng","links":["https://x.io/"],"#,
                r#""mentions":["bob"],"processor":{"name":"chime-flow","version":"0.1.0"},"words":5}},"z":1}"#
            ))
        );
    }

    #[test]
    fn keeps_sender_metadata_and_limits() {
        let e = Enrichment::default();
        let Decision::Update(edits) = e
            .decide(&message("hi @bob", Some(r#"{"own":"data"}"#)))
            .unwrap()
        else {
            panic!()
        };
        let meta: Value = serde_json::from_str(edits.metadata.as_deref().unwrap()).unwrap();
        assert_eq!(meta["own"], "data");
        assert_eq!(meta["chimeFlow"]["enrichment"]["mentions"][0], "bob");
        assert_eq!(edits.attributes["hasLink"], vec!["false"]);

        let Decision::Update(edits) = e.decide(&message("hi @bob", Some("plain text"))).unwrap()
        else {
            panic!()
        };
        assert_eq!(
            edits.metadata, None,
            "non-JSON metadata is never overwritten"
        );

        let many: String = (0..200)
            .map(|i| format!("https://example.com/page/{i} "))
            .collect();
        let Decision::Update(edits) = e.decide(&message(&many, None)).unwrap() else {
            panic!()
        };
        let meta = edits.metadata.unwrap();
        assert!(meta.len() <= 1024);
        let parsed: Value = serde_json::from_str(&meta).unwrap();
        let links = parsed["chimeFlow"]["enrichment"]["links"]
            .as_array()
            .unwrap();
        assert!(!links.is_empty() && links.len() < 200);
        assert_eq!(
            links[0], "https://example.com/page/0",
            "trimmed from the end, deterministically"
        );
    }
}
