//! The Amazon Comprehend escalation stage (feature `comprehend`): messages the word lists passed, in a
//! language Comprehend's `DetectToxicContent` supports, are scored by it and denied above a toxicity
//! threshold. Comprehend is reached through the [`DetectToxicity`] port; [`SdkToxicity`] is its AWS
//! SDK adapter, so the stage's rules are tested without a network.
//!
//! Settings: `COMPREHEND_ESCALATION` (`off` | `on`, default off), `COMPREHEND_TOXICITY_THRESHOLD`
//! (0–1, default 0.7), `COMPREHEND_LANGUAGES` (default `en`, the language the API supports today),
//! `COMPREHEND_FAILURE_POLICY` (`pass` | `deny`, default `pass`: the lists already passed the
//! message, so an unavailable Comprehend lets it through; the failure is logged and counted).

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use aws_sdk_comprehend::Client;
use aws_sdk_comprehend::config::retry::RetryConfig;
use aws_sdk_comprehend::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_comprehend::operation::detect_toxic_content::DetectToxicContentError;
use aws_sdk_comprehend::types::{LanguageCode, TextSegment};

use crate::config::{ConfigError, Env, FailurePolicy};
use crate::decision::Decision;
use crate::event::ChannelMessage;
use crate::stage::{AsyncStage, StageError, StageFuture};
use crate::stages::language::{LanguageEngine, floor_char_boundary};

/// The most bytes in one text segment (`DetectToxicContent`: 1 KB each, up to 10 per request).
pub const SEGMENT_BYTES: usize = 1_000;
/// The most segments in one request.
pub const MAX_SEGMENTS: usize = 10;

/// Comprehend's scores for one text segment.
#[derive(Debug, Clone, PartialEq)]
pub struct ToxicityScores {
    /// The overall toxicity, 0–1.
    pub toxicity: f32,
    /// Each label (`PROFANITY`, `HATE_SPEECH`…) with its score, 0–1.
    pub labels: Vec<(String, f32)>,
}

/// Why Comprehend gave no scores. Holds codes and statuses, never message content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("comprehend: {0}")]
pub struct ToxicityError(pub String);

/// What [`DetectToxicity::detect`] answers with.
pub type ToxicityFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Vec<ToxicityScores>, ToxicityError>> + Send + 'a>>;

/// The port to `DetectToxicContent`: scores for each segment, in order.
pub trait DetectToxicity: Send + Sync {
    /// Scores `segments` (each ≤ [`SEGMENT_BYTES`], at most [`MAX_SEGMENTS`]) in `language`.
    fn detect<'a>(&'a self, segments: &'a [String], language: &'a str) -> ToxicityFuture<'a>;
}

/// The escalation's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct EscalationConfig {
    /// Deny at or above this toxicity (0–1).
    pub threshold: f32,
    /// ISO 639-1 codes of the languages sent to Comprehend.
    pub languages: Vec<String>,
}

impl Default for EscalationConfig {
    fn default() -> Self {
        Self {
            threshold: 0.7,
            languages: vec!["en".into()],
        }
    }
}

impl EscalationConfig {
    /// The settings, or `None` when `COMPREHEND_ESCALATION` is off (the default).
    pub fn from_env(env: &Env) -> Result<Option<(Self, FailurePolicy)>, ConfigError> {
        if !env.choice(
            "COMPREHEND_ESCALATION",
            false,
            &[("off", false), ("on", true)],
        )? {
            return Ok(None);
        }
        let mut config = Self::default();
        if let Some(threshold) = env.parse::<f32>("COMPREHEND_TOXICITY_THRESHOLD")? {
            if !(0.0..=1.0).contains(&threshold) {
                return Err(ConfigError::new(
                    "COMPREHEND_TOXICITY_THRESHOLD",
                    "must be between 0 and 1",
                ));
            }
            config.threshold = threshold;
        }
        let languages = env.list("COMPREHEND_LANGUAGES");
        if !languages.is_empty() {
            if let Some(bad) = languages.iter().find(|l| iso_639_3(l).is_none()) {
                return Err(ConfigError::new(
                    "COMPREHEND_LANGUAGES",
                    format!(
                        "{bad:?} is not a language Comprehend's DetectToxicContent accepts (en, es, fr, de, it, pt, ar, hi, ja, ko, zh)"
                    ),
                ));
            }
            config.languages = languages;
        }
        let policy = env
            .parse("COMPREHEND_FAILURE_POLICY")?
            .unwrap_or(FailurePolicy::Pass);
        Ok(Some((config, policy)))
    }
}

/// The ISO 639-3 code the language detector reports for an ISO 639-1 code Comprehend accepts.
fn iso_639_3(code: &str) -> Option<&'static str> {
    Some(match code {
        "en" => "eng",
        "es" => "spa",
        "fr" => "fra",
        "de" => "deu",
        "it" => "ita",
        "pt" => "por",
        "ar" => "ara",
        "hi" => "hin",
        "ja" => "jpn",
        "ko" => "kor",
        "zh" => "cmn",
        _ => return None,
    })
}

/// The escalation stage: asks Comprehend about the messages it may judge.
pub struct Escalation<D> {
    detector: D,
    config: EscalationConfig,
}

impl<D: DetectToxicity> Escalation<D> {
    /// The stage, asking `detector`.
    pub fn new(detector: D, config: EscalationConfig) -> Self {
        Self { detector, config }
    }

    /// The language to send `text` in, or `None` when Comprehend is not asked: no text, or a
    /// language not configured. Text too short to tell is taken as the first configured language
    /// when it is plain ASCII (short English chat: "you idiot"), and skipped otherwise.
    pub fn language_of(&self, text: &str) -> Option<&str> {
        if text.trim().is_empty() {
            return None;
        }
        match LanguageEngine::Fast.detect(text) {
            Some(detected) => self
                .config
                .languages
                .iter()
                .find(|code| iso_639_3(code) == Some(detected))
                .map(String::as_str),
            None if text.is_ascii() => self.config.languages.first().map(String::as_str),
            None => None,
        }
    }
}

/// `text` cut into segments of at most [`SEGMENT_BYTES`] on character boundaries (a 4 KB message
/// makes five); more than [`MAX_SEGMENTS`] are not sent.
pub fn segments(text: &str) -> Vec<String> {
    let mut rest = text;
    let mut out = Vec::new();
    while !rest.is_empty() && out.len() < MAX_SEGMENTS {
        let cut = floor_char_boundary(rest, SEGMENT_BYTES);
        out.push(rest[..cut].to_owned());
        rest = &rest[cut..];
    }
    out
}

/// The verdict on Comprehend's scores: deny at or above `threshold` with the highest label as the
/// rule (`toxicity:hate_speech`), pass below it.
pub fn verdict(scores: &[ToxicityScores], threshold: f32) -> Decision {
    let Some(worst) = scores
        .iter()
        .max_by(|a, b| a.toxicity.total_cmp(&b.toxicity))
    else {
        return Decision::Pass;
    };
    if worst.toxicity < threshold {
        return Decision::Pass;
    }
    let label = worst
        .labels
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map_or_else(|| "toxic".to_owned(), |(name, _)| name.to_ascii_lowercase());
    Decision::deny(format!("toxicity:{label}"))
}

impl<D: DetectToxicity> AsyncStage for Escalation<D> {
    fn name(&self) -> &str {
        "comprehend"
    }

    fn decide<'a>(&'a self, message: &'a ChannelMessage, _budget: Duration) -> StageFuture<'a> {
        Box::pin(async move {
            let text = message.text();
            let Some(language) = self.language_of(text) else {
                tracing::debug!(message_id = %message.message_id, "comprehend: not asked (language or empty)");
                return Ok(Decision::Pass);
            };
            let segments = segments(text);
            let started = Instant::now();
            // No timer of its own: the runtime (or the mixed pipeline) drops this future when the
            // budget is spent, and the SDK's retries with it.
            let scores = self
                .detector
                .detect(&segments, language)
                .await
                .map_err(|e| StageError(e.to_string()))?;
            let decision = verdict(&scores, self.config.threshold);
            let toxicity = scores.iter().map(|s| s.toxicity).fold(0.0, f32::max);
            tracing::info!(message_id = %message.message_id, language, toxicity, decision = decision.label(), rule_id = decision.rule_id(), comprehend_ms = started.elapsed().as_millis() as u64, "comprehend verdict");
            Ok(decision)
        })
    }
}

/// [`DetectToxicity`] through the AWS SDK. Retries are the SDK's standard ones (three attempts,
/// throttling included); the stage's budget bounds them all.
pub struct SdkToxicity {
    client: Client,
}

impl SdkToxicity {
    /// A client from the function's one SDK configuration.
    pub fn new(sdk: &aws_config::SdkConfig) -> Self {
        let config = aws_sdk_comprehend::config::Builder::from(sdk)
            .retry_config(RetryConfig::standard().with_max_attempts(3))
            .build();
        Self {
            client: Client::from_conf(config),
        }
    }
}

impl DetectToxicity for SdkToxicity {
    fn detect<'a>(&'a self, segments: &'a [String], language: &'a str) -> ToxicityFuture<'a> {
        Box::pin(async move {
            let asked = segments.len();
            let segments = segments
                .iter()
                .map(|text| TextSegment::builder().text(text).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ToxicityError(format!("request: {e}")))?;
            let output = self
                .client
                .detect_toxic_content()
                .set_text_segments(Some(segments))
                .language_code(LanguageCode::from(language))
                .send()
                .await
                .map_err(describe)?;
            // An answer without a score for every segment is an error of the stage (its failure
            // policy decides), never a toxicity of 0 that passes the message.
            let results = output.result_list();
            if results.len() != asked {
                return Err(ToxicityError(format!(
                    "{} results for {asked} segments",
                    results.len()
                )));
            }
            results
                .iter()
                .enumerate()
                .map(|(index, result)| {
                    let toxicity = result.toxicity().ok_or_else(|| {
                        ToxicityError(format!(
                            "the result for segment {} has no Toxicity score",
                            index + 1
                        ))
                    })?;
                    Ok(ToxicityScores {
                        toxicity,
                        labels: result
                            .labels()
                            .iter()
                            .filter_map(|label| {
                                Some((label.name()?.as_str().to_owned(), label.score()?))
                            })
                            .collect(),
                    })
                })
                .collect()
        })
    }
}

/// An SDK failure by its code and status (the service's message could quote the text: left out).
fn describe(error: SdkError<DetectToxicContentError>) -> ToxicityError {
    match &error {
        SdkError::ServiceError(service) => ToxicityError(format!(
            "{} (HTTP {})",
            service.err().code().unwrap_or("unknown error"),
            service.raw().status().as_u16()
        )),
        SdkError::TimeoutError(_) => ToxicityError("timed out".into()),
        SdkError::DispatchFailure(_) => ToxicityError("could not connect".into()),
        SdkError::ResponseError(_) => ToxicityError("unreadable answer".into()),
        _ => ToxicityError("request not built".into()),
    }
}

/// The awaiting step for [`crate::runtime::Start::then`]: the escalation when
/// `COMPREHEND_ESCALATION=on`, asking Comprehend through the function's SDK configuration.
pub fn escalation_step(
    env: &Env,
    sdk: &aws_config::SdkConfig,
) -> Result<crate::runtime::Awaiting, ConfigError> {
    Ok(EscalationConfig::from_env(env)?.map(|(config, policy)| {
        let stage = Escalation::new(SdkToxicity::new(sdk), config);
        (Box::new(stage) as Box<dyn AsyncStage>, policy)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scores(toxicity: f32, labels: &[(&str, f32)]) -> ToxicityScores {
        ToxicityScores {
            toxicity,
            labels: labels.iter().map(|(n, s)| ((*n).to_owned(), *s)).collect(),
        }
    }

    #[test]
    fn deny_at_the_threshold_by_the_worst_label() {
        let calm = [scores(0.2, &[("INSULT", 0.1)])];
        assert_eq!(verdict(&calm, 0.7), Decision::Pass);
        let mixed = [
            scores(0.1, &[]),
            scores(0.7, &[("INSULT", 0.4), ("HATE_SPEECH", 0.69)]),
        ];
        assert_eq!(verdict(&mixed, 0.7), Decision::deny("toxicity:hate_speech"));
        assert_eq!(verdict(&[], 0.7), Decision::Pass);
    }

    #[test]
    fn segments_cut_on_character_boundaries() {
        let text = "é".repeat(1_500); // 3,000 bytes
        let parts = segments(&text);
        assert_eq!(parts.len(), 3);
        assert!(parts.iter().all(|p| p.len() <= SEGMENT_BYTES));
        assert_eq!(parts.concat(), text);
        assert_eq!(segments(&"x".repeat(20_000)).len(), MAX_SEGMENTS);
    }

    #[test]
    fn settings_are_checked_and_off_by_default() {
        assert_eq!(EscalationConfig::from_env(&Env::default()), Ok(None));
        let on = Env::from_pairs([
            ("COMPREHEND_ESCALATION", "on"),
            ("COMPREHEND_TOXICITY_THRESHOLD", "0.5"),
        ]);
        let (config, policy) = EscalationConfig::from_env(&on).unwrap().unwrap();
        assert_eq!(config.threshold, 0.5);
        assert_eq!(policy, FailurePolicy::Pass);
        for (var, value) in [
            ("COMPREHEND_TOXICITY_THRESHOLD", "1.5"),
            ("COMPREHEND_LANGUAGES", "en,xx"),
            ("COMPREHEND_FAILURE_POLICY", "maybe"),
        ] {
            let env = Env::from_pairs([("COMPREHEND_ESCALATION", "on"), (var, value)]);
            assert_eq!(EscalationConfig::from_env(&env).unwrap_err().var, var);
        }
        let bad = Env::from_pairs([("COMPREHEND_ESCALATION", "yes please")]);
        assert_eq!(
            EscalationConfig::from_env(&bad).unwrap_err().var,
            "COMPREHEND_ESCALATION"
        );
    }
}
