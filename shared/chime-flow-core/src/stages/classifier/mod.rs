//! The classifier: a linear model over hashed word and character n-grams that reads the sentence,
//! for offence the word lists cannot see ("they are animals", threats in plain words). Opt-in in the
//! moderation stage (`MODERATION_CLASSIFIER=on`), combined with the lists by one rule:
//!
//! - the lists deny alone, as without the model;
//! - the model denies alone when its probability reaches the deny threshold;
//! - a listed word that does not reach its category's threshold (one mild word) denies when the
//!   model's probability reaches the lower assist threshold.
//!
//! The weights (`model.bin`, 128 KiB: 2^17 signed bytes and a header) are compiled into the binary
//! and read in place; `examples/train_classifier.rs` makes them from the data `eval/build_classifier.py`
//! gathers (sources and licences in `eval/SOURCES.md`). Scoring a 100-byte message costs a few
//! hundred hashes and additions, no allocation once warm.

pub mod features;
pub mod model;

use std::cell::RefCell;

use crate::config::{ConfigError, Env};
pub use model::{Model, ModelError};

/// The model compiled into the crate.
pub static BUILTIN_MODEL: &[u8] = include_bytes!("model.bin");

thread_local! {
    static SCRATCH: RefCell<features::Scratch> = RefCell::default();
}

/// The model's thresholds as a deployment sets them (`None`: the model file's own).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ClassifierConfig {
    /// `CLASSIFIER_DENY_THRESHOLD`: the probability at which the model denies alone.
    pub deny_threshold: Option<f32>,
    /// `CLASSIFIER_ASSIST_THRESHOLD`: the probability at which it denies with a listed word.
    pub assist_threshold: Option<f32>,
}

impl ClassifierConfig {
    /// `MODERATION_CLASSIFIER` (`on`|`off`, default off) and the two thresholds (0–1); `None` when off.
    pub fn from_env(env: &Env) -> Result<Option<Self>, ConfigError> {
        if !env.flag("MODERATION_CLASSIFIER", false)? {
            return Ok(None);
        }
        let probability = |var: &str| -> Result<Option<f32>, ConfigError> {
            env.get(var)
                .map(|raw| {
                    raw.trim()
                        .parse::<f32>()
                        .ok()
                        .filter(|p| (0.0..=1.0).contains(p))
                        .ok_or_else(|| {
                            ConfigError::new(var, format!("{raw:?} is not a probability (0–1)"))
                        })
                })
                .transpose()
        };
        Ok(Some(Self {
            deny_threshold: probability("CLASSIFIER_DENY_THRESHOLD")?,
            assist_threshold: probability("CLASSIFIER_ASSIST_THRESHOLD")?,
        }))
    }
}

/// What the model says of a text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    /// At or above the deny threshold.
    Deny(f32),
    /// At or above the assist threshold only.
    Assist(f32),
    /// Below both.
    Pass(f32),
}

/// The built-in model with a deployment's thresholds.
#[derive(Debug, Clone)]
pub struct Classifier {
    model: Model<'static>,
    deny_threshold: f32,
    assist_threshold: f32,
}

impl Classifier {
    /// The built-in model, thresholds from `config` or the model file.
    pub fn builtin(config: &ClassifierConfig) -> Result<Self, ModelError> {
        Self::new(Model::parse(BUILTIN_MODEL)?, config)
    }

    /// `model` with thresholds from `config` or the model file.
    pub fn new(model: Model<'static>, config: &ClassifierConfig) -> Result<Self, ModelError> {
        Ok(Self {
            deny_threshold: config.deny_threshold.unwrap_or(model.deny_threshold),
            assist_threshold: config.assist_threshold.unwrap_or(model.assist_threshold),
            model,
        })
    }

    /// The probability that `text` is offensive.
    pub fn score(&self, text: &str) -> f32 {
        SCRATCH.with(|scratch| self.model.score(text, &mut scratch.borrow_mut()))
    }

    /// The score against the thresholds.
    pub fn verdict(&self, text: &str) -> Verdict {
        let p = self.score(text);
        if p >= self.deny_threshold {
            Verdict::Deny(p)
        } else if p >= self.assist_threshold {
            Verdict::Assist(p)
        } else {
            Verdict::Pass(p)
        }
    }

    /// The thresholds in force: (deny, assist).
    pub fn thresholds(&self) -> (f32, f32) {
        (self.deny_threshold, self.assist_threshold)
    }
}
