//! The one stage catalog: every built-in processor by its function name, with its stage's name, how
//! the stage is built from the environment, and the failure policy it defaults to. The four Lambda
//! mains (`runtime::Start::entry`), `dry-run`, chime-local's in-process processors, the pipeline's
//! stage list and the benchmarks all read this table: adding a stage is one entry here.

use crate::config::{ConfigError, Env, FailurePolicy};
use crate::stage::Stage;
#[cfg(feature = "enrichment")]
use crate::stages::enrichment::Enrichment;
#[cfg(feature = "moderation")]
use crate::stages::moderation::Moderation;
use crate::stages::pipeline::Pipeline;
#[cfg(feature = "redaction")]
use crate::stages::redaction::Redaction;

/// Builds a stage from the environment (matchers compiled once, here).
pub type Build = fn(&Env) -> Result<Box<dyn Stage>, ConfigError>;

/// A pipeline's own stages with their failure policies, so that stages that await I/O can join
/// them in one flat pipeline (rule ids stay `moderation/…`, not `pipeline/moderation/…`).
pub type Steps = fn(&Env) -> Result<Vec<(Box<dyn Stage>, FailurePolicy)>, ConfigError>;

/// One built-in processor.
#[derive(Clone, Copy)]
pub struct Entry {
    /// The Lambda function (and package) name: `flow-pipeline`, `moderation-deny`…
    pub function: &'static str,
    /// The stage's own name (`Stage::name`, `dry-run --stage`, `PIPELINE_STAGES`).
    pub stage: &'static str,
    /// What the failure policy is unless `FAILURE_POLICY` (or, in the pipeline,
    /// `<STAGE>_FAILURE_POLICY`) says otherwise: checks fail closed, enrichment open.
    pub policy: FailurePolicy,
    /// Whether the pipeline may chain it (`PIPELINE_STAGES`).
    pub in_pipeline: bool,
    /// Builds the stage from the environment.
    pub build: Build,
    /// For a pipeline, its stages one by one (what `build` chains); `None` for a single stage.
    pub steps: Option<Steps>,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("function", &self.function)
            .field("stage", &self.stage)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

fn boxed<S: Stage + 'static>(stage: Result<S, ConfigError>) -> Result<Box<dyn Stage>, ConfigError> {
    stage.map(|s| Box::new(s) as Box<dyn Stage>)
}

/// `flow-pipeline`: the stages chained in one function, one callback.
pub const FLOW_PIPELINE: Entry = Entry {
    function: "flow-pipeline",
    stage: "pipeline",
    policy: FailurePolicy::Deny,
    in_pipeline: false,
    build: |env| boxed(Pipeline::from_env(env)),
    steps: Some(|env| Pipeline::from_env(env).map(Pipeline::into_stages)),
};

#[cfg(feature = "moderation")]
/// `moderation-deny`: denies messages that hit the deny lists.
pub const MODERATION_DENY: Entry = Entry {
    function: "moderation-deny",
    stage: "moderation",
    policy: FailurePolicy::Deny,
    in_pipeline: true,
    build: |env| boxed(Moderation::from_env(env)),
    steps: None,
};

#[cfg(feature = "redaction")]
/// `content-redaction`: masks personal data, secrets and profanity.
pub const CONTENT_REDACTION: Entry = Entry {
    function: "content-redaction",
    stage: "redaction",
    policy: FailurePolicy::Deny,
    in_pipeline: true,
    build: |env| boxed(Redaction::from_env(env)),
    steps: None,
};

#[cfg(feature = "enrichment")]
/// `metadata-enrichment`: mentions, links, hashtags, language, counts.
pub const METADATA_ENRICHMENT: Entry = Entry {
    function: "metadata-enrichment",
    stage: "enrichment",
    policy: FailurePolicy::Pass,
    in_pipeline: true,
    build: |env| boxed(Enrichment::from_env(env)),
    steps: None,
};

/// Every built-in processor. A function's `main` names its own entry (`runtime::Start::entry`), so a
/// single-stage binary links its stage alone, not the whole table.
pub const CATALOG: &[Entry] = &[
    FLOW_PIPELINE,
    #[cfg(feature = "moderation")]
    MODERATION_DENY,
    #[cfg(feature = "redaction")]
    CONTENT_REDACTION,
    #[cfg(feature = "enrichment")]
    METADATA_ENRICHMENT,
];

/// The processor deployed as `function`.
pub fn by_function(function: &str) -> Option<&'static Entry> {
    CATALOG.iter().find(|e| e.function == function)
}

/// The processor whose stage is `stage`.
pub fn by_stage(stage: &str) -> Option<&'static Entry> {
    CATALOG.iter().find(|e| e.stage == stage)
}

/// The function names, in catalog order.
pub fn functions() -> impl Iterator<Item = &'static str> {
    CATALOG.iter().map(|e| e.function)
}

/// The stages the pipeline chains by default, in order.
pub fn pipeline_stages() -> impl Iterator<Item = &'static str> {
    CATALOG.iter().filter(|e| e.in_pipeline).map(|e| e.stage)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every entry builds from an empty environment, under its own stage name. (That each function
    /// the workspace deploys runs its own entry is checked in the workspace's `tests/tests/catalog.rs`.)
    #[test]
    fn every_entry_builds_and_names_itself() {
        for entry in CATALOG {
            let stage = (entry.build)(&Env::default()).expect(entry.function);
            assert_eq!(stage.name(), entry.stage, "{}", entry.function);
            assert_eq!(
                by_function(entry.function).map(|e| e.stage),
                Some(entry.stage)
            );
            assert_eq!(
                by_stage(entry.stage).map(|e| e.function),
                Some(entry.function)
            );
        }
        assert_eq!(
            pipeline_stages().collect::<Vec<_>>(),
            ["moderation", "redaction", "enrichment"]
        );
    }
}
