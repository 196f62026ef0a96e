//! The pipeline: several stages in one processor (a channel flow gets one processor by default).
//!
//! Each stage sees the previous stage's output; a deny stops the pipeline; the edits fold into one
//! decision, so the runtime makes exactly one callback. A stage that errors or panics is handled by its
//! own failure policy: `deny` stops with rule `<stage>/failed`, `pass` skips the stage. One log line
//! lists each stage's verdict and time. [`Folding`] is that fold on its own, for pipelines built
//! elsewhere: `chime-flow`'s `mixed::MixedPipeline` chains stages that await I/O with it.

use std::panic::{AssertUnwindSafe, catch_unwind};
#[cfg(feature = "moderation")]
use std::sync::Arc;
use std::time::Instant;

use crate::config::{ConfigError, Env, FailurePolicy};
use crate::decision::{Decision, Edits};
use crate::event::ChannelMessage;
use crate::stage::{Stage, StageError};
use crate::stages::catalog;
#[cfg(feature = "moderation")]
use crate::stages::moderation::Moderation;
#[cfg(feature = "redaction")]
use crate::stages::redaction::Redaction;

/// A stage's own default failure policy, from the catalog: checks fail closed, enrichment open.
pub fn default_policy(stage: &str) -> FailurePolicy {
    catalog::by_stage(stage).map_or(FailurePolicy::Deny, |entry| entry.policy)
}

/// Synchronous stages chained in one processor, each under its own failure policy; itself a
/// [`Stage`] named `pipeline`.
pub struct Pipeline {
    stages: Vec<(Box<dyn Stage>, FailurePolicy)>,
}

/// What one stage did, for the log line.
struct StepLog<'a> {
    stage: &'a str,
    verdict: &'static str,
    micros: u128,
}

/// A pipeline under way: the message as the stages so far changed it, their edits merged, and what
/// each did. [`Pipeline`] folds with it, and so can any pipeline built outside this crate (the
/// mixed pipeline of `chime-flow`): feed each stage the [`Folding::current`] message, hand its
/// outcome to [`Folding::take`], and end with [`Folding::finish`].
pub struct Folding<'a> {
    current: ChannelMessage,
    edits: Edits,
    steps: Vec<StepLog<'a>>,
}

impl<'a> Folding<'a> {
    /// A fold over `stages` stages, starting from `message`.
    pub fn new(message: &ChannelMessage, stages: usize) -> Self {
        Self {
            current: message.clone(),
            edits: Edits::default(),
            steps: Vec::with_capacity(stages),
        }
    }

    /// The message as the stages so far changed it: what the next stage decides about.
    pub fn current(&self) -> &ChannelMessage {
        &self.current
    }

    /// Takes one stage's outcome (`None`: it panicked or ran out of time); its failure policy
    /// decides for a stage that failed. A deny ends the pipeline: that is the final decision.
    pub fn take(
        &mut self,
        stage: &'a str,
        outcome: Option<Result<Decision, StageError>>,
        policy: FailurePolicy,
        started: Instant,
    ) -> Option<Decision> {
        let (verdict, decision) = match outcome {
            Some(Ok(decision)) => (decision.label(), Some(decision)),
            Some(Err(_)) | None => match policy {
                FailurePolicy::Deny => ("failed-deny", Some(Decision::deny("failed"))),
                FailurePolicy::Pass => ("failed-skip", None),
            },
        };
        self.steps.push(StepLog {
            stage,
            verdict,
            micros: started.elapsed().as_micros(),
        });
        match decision {
            Some(Decision::Deny { rule_id }) => Some(Decision::deny(format!("{stage}/{rule_id}"))),
            Some(Decision::Update(stage_edits)) => {
                stage_edits.apply_to(&mut self.current);
                self.edits.merge(stage_edits);
                None
            }
            Some(Decision::Pass) | None => None,
        }
    }

    /// The pipeline's decision (`stopped` by a deny, or the merged edits), logged with each stage's
    /// verdict and time.
    pub fn finish(self, message: &ChannelMessage, stopped: Option<Decision>) -> Decision {
        let decision = stopped.unwrap_or_else(|| Decision::update(self.edits));
        // The summary is built only when someone listens: it is on the hot path.
        if tracing::enabled!(tracing::Level::INFO) {
            let summary: Vec<String> = self
                .steps
                .iter()
                .map(|s| format!("{}:{}:{}us", s.stage, s.verdict, s.micros))
                .collect();
            tracing::info!(message_id = %message.message_id, stages = %summary.join(","), decision = decision.label(), rule_id = decision.rule_id(), "pipeline verdicts");
        }
        decision
    }
}

impl Pipeline {
    /// Chains `stages` in order, each with its failure policy.
    pub fn new(stages: Vec<(Box<dyn Stage>, FailurePolicy)>) -> Self {
        Self { stages }
    }

    /// `PIPELINE_STAGES` (names in order, default `moderation,redaction,enrichment`) and per stage
    /// `<STAGE>_FAILURE_POLICY` (`pass`|`deny`). Moderation is compiled once and shared with redaction.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let mut names = env.list("PIPELINE_STAGES");
        if names.is_empty() {
            names = catalog::pipeline_stages().map(str::to_owned).collect();
        }
        #[cfg(feature = "moderation")]
        let mut moderation: Option<Arc<Moderation>> = None;
        let mut stages: Vec<(Box<dyn Stage>, FailurePolicy)> = Vec::with_capacity(names.len());
        for name in &names {
            let name = name.to_ascii_lowercase();
            // Moderation is compiled once and shared with redaction's profanity; the other
            // stages come from the catalog.
            let stage: Box<dyn Stage> = match catalog::by_stage(&name).filter(|e| e.in_pipeline) {
                #[cfg(feature = "moderation")]
                Some(_) if name == "moderation" => Box::new(shared(&mut moderation, env)?),
                #[cfg(feature = "redaction")]
                Some(_) if name == "redaction" => Box::new(Redaction::from_env_sharing(
                    env,
                    Some(shared(&mut moderation, env)?),
                )?),
                Some(entry) => (entry.build)(env)?,
                None => {
                    return Err(ConfigError::new(
                        "PIPELINE_STAGES",
                        format!(
                            "unknown stage {name:?}: expected {}",
                            catalog::pipeline_stages().collect::<Vec<_>>().join(", ")
                        ),
                    ));
                }
            };
            let var = format!("{}_FAILURE_POLICY", name.to_ascii_uppercase());
            let policy = env.parse(&var)?.unwrap_or_else(|| default_policy(&name));
            stages.push((stage, policy));
        }
        Ok(Self::new(stages))
    }

    /// Its stages' names, in order.
    pub fn stage_names(&self) -> Vec<&str> {
        self.stages.iter().map(|(s, _)| s.name()).collect()
    }

    /// Its stages and their failure policies, in order: to chain them with stages of another kind.
    pub fn into_stages(self) -> Vec<(Box<dyn Stage>, FailurePolicy)> {
        self.stages
    }
}

impl Stage for Pipeline {
    fn name(&self) -> &str {
        "pipeline"
    }

    fn decide(&self, message: &ChannelMessage) -> Result<Decision, StageError> {
        let mut folding = Folding::new(message, self.stages.len());
        for (stage, policy) in &self.stages {
            let started = Instant::now();
            let outcome = catch_unwind(AssertUnwindSafe(|| stage.decide(&folding.current))).ok();
            if let Some(denied) = folding.take(stage.name(), outcome, *policy, started) {
                return Ok(folding.finish(message, Some(denied)));
            }
        }
        Ok(folding.finish(message, None))
    }
}

/// The pipeline's one compiled moderation, built on first use and shared with redaction.
#[cfg(feature = "moderation")]
fn shared(slot: &mut Option<Arc<Moderation>>, env: &Env) -> Result<Arc<Moderation>, ConfigError> {
    if let Some(built) = slot {
        return Ok(Arc::clone(built));
    }
    let built = Arc::new(Moderation::from_env(env)?);
    *slot = Some(Arc::clone(&built));
    Ok(built)
}

#[cfg(all(test, feature = "redaction", feature = "enrichment"))]
mod tests {
    use super::*;
    use crate::stages::enrichment::Enrichment;
    use serde_json::json;

    fn message(content: &str) -> ChannelMessage {
        crate::event::ProcessorEvent::from_value(&json!({
            "CallbackId": "0123456789abcdef0123456789abcdef",
            "ChannelMessage": {"MessageId": "m", "ChannelArn": "arn:aws:chime:us-east-1:1:app-instance/a/channel/c", "Content": content}
        }))
        .unwrap()
        .channel_message
    }

    struct Broken;
    impl Stage for Broken {
        fn name(&self) -> &str {
            "broken"
        }
        fn decide(&self, _: &ChannelMessage) -> Result<Decision, StageError> {
            Err(StageError("no".into()))
        }
    }

    #[test]
    fn default_pipeline_denies_redacts_and_enriches() {
        let pipeline = Pipeline::from_env(&Env::default()).unwrap();
        assert_eq!(
            pipeline.stage_names(),
            vec!["moderation", "redaction", "enrichment"]
        );
        let Decision::Deny { rule_id } = pipeline.decide(&message("you are a b1tch")).unwrap()
        else {
            panic!()
        };
        assert!(rule_id.starts_with("moderation/profanity:en-"), "{rule_id}");
        let Decision::Update(edits) = pipeline
            .decide(&message("write to jane@example.com @bob"))
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(edits.content.as_deref(), Some("write to [EMAIL] @bob"));
        assert_eq!(edits.attributes["redactions"], vec!["email:1"]);
        assert_eq!(
            edits.attributes["mentions"],
            vec!["bob"],
            "enrichment sees the redacted text"
        );
    }

    #[test]
    fn per_stage_failure_policies() {
        let skip = Pipeline::new(vec![
            (Box::new(Broken), FailurePolicy::Pass),
            (Box::new(Enrichment::default()), FailurePolicy::Pass),
        ]);
        assert!(matches!(
            skip.decide(&message("hi")).unwrap(),
            Decision::Update(_)
        ));
        let stop = Pipeline::new(vec![(Box::new(Broken), FailurePolicy::Deny)]);
        assert_eq!(
            stop.decide(&message("hi")).unwrap(),
            Decision::deny("broken/failed")
        );
    }

    #[test]
    fn configuration_errors_name_the_variable() {
        let err = Pipeline::from_env(&Env::from_pairs([(
            "PIPELINE_STAGES",
            "moderation,translate",
        )]))
        .err()
        .unwrap();
        assert!(
            err.to_string()
                .starts_with("PIPELINE_STAGES: unknown stage \"translate\"")
        );
        let err = Pipeline::from_env(&Env::from_pairs([("REDACTION_FAILURE_POLICY", "later")]))
            .err()
            .unwrap();
        assert!(err.to_string().starts_with("REDACTION_FAILURE_POLICY"));
    }
}
