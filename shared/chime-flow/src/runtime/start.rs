//! How a processor function starts, the one way: [`Start`] names what decides (a stage of your own,
//! one that needs the function's AWS configuration, or a built-in catalog entry), its default
//! failure policy and an optional awaiting step; [`Start::run`] builds it beside the SDK
//! configuration, logs the start-up phases and serves events until the Lambda environment stops.

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Instant;

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

use super::phases::StartupPhases;
use super::{Processor, deadline_instant};
use crate::callback::SdkCallbackSender;
use crate::config::{ConfigError, Env, FailurePolicy, ProcessorConfig};
use crate::mixed::{MixedPipeline, Step};
use crate::stage::{AsyncStage, Awaits, Decide, Stage};
use crate::stages::catalog::{self, Entry};
use crate::stages::pipeline::Pipeline;
use crate::telemetry;

/// A processor function's start, built in its `main` and then `.run().await`:
///
/// - [`Start::stage`]`(policy, build)`: a stage of your own; `build` turns the environment into it
///   on a thread of its own while the SDK configuration loads, so the two overlap.
/// - [`Start::with_sdk`]`(policy, build)`: a stage with an SDK client of its own; `build` gets the
///   one `SdkConfig` the callback sender uses too, so it runs once that is loaded.
/// - [`Start::entry`]`(&catalog::X)` / [`Start::function`]`(name)`: a built-in processor from the
///   catalog, with its default policy; [`Start::then`] adds an awaiting step after its stages when
///   the environment turns one on (a stage of your own awaits through its own `AsyncStage`).
///
/// Each kind is its own type, so a binary compiles the start-up path it uses and no other.
pub struct Start<K> {
    kind: K,
}

/// A [`Start`] of a stage of your own, built from the environment.
pub struct OwnStage<S, F> {
    policy: FailurePolicy,
    build: F,
    stage: PhantomData<fn() -> S>,
}

/// A [`Start`] of a stage of your own that needs the function's AWS configuration.
pub struct OwnWithSdk<S, F> {
    policy: FailurePolicy,
    build: F,
    stage: PhantomData<fn() -> S>,
}

/// A [`Start`] of a built-in catalog entry: the one kind an awaiting step can follow. A stage of
/// your own has no `then`:
///
/// ```compile_fail
/// use chime_flow::runtime::{Awaiting, Start};
/// use chime_flow::stage::Stage;
/// use chime_flow::{ConfigError, Env, FailurePolicy};
///
/// fn step(_: &Env, _: &aws_config::SdkConfig) -> Result<Awaiting, ConfigError> {
///     Ok(None)
/// }
/// fn mine(_: &Env) -> Result<Box<dyn Stage>, ConfigError> {
///     unimplemented!()
/// }
/// let _ = Start::stage(FailurePolicy::Pass, mine).then(step);
/// ```
pub struct Builtin {
    entry: &'static Entry,
}

/// A [`Start`] of a built-in catalog entry with an awaiting step after its stages.
pub struct BuiltinThen {
    entry: &'static Entry,
    step: AwaitingStep,
}

impl<S, F> Start<OwnStage<S, F>>
where
    S: Decide + 'static,
    F: FnOnce(&Env) -> Result<S, ConfigError> + Send + 'static,
{
    /// A stage of your own, with the failure policy that applies unless `FAILURE_POLICY` says else.
    pub fn stage(default_policy: FailurePolicy, build: F) -> Self {
        Self {
            kind: OwnStage {
                policy: default_policy,
                build,
                stage: PhantomData,
            },
        }
    }

    /// Builds everything before the runtime loop and serves events until the Lambda environment
    /// stops. A start-up error is logged and returned (Lambda reports an init failure).
    pub async fn run(self) -> Result<(), lambda_runtime::Error> {
        let OwnStage { policy, build, .. } = self.kind;
        start(policy, build, |_, _, stage| Ok(stage)).await
    }
}

impl<S, F> Start<OwnWithSdk<S, F>>
where
    S: Decide + 'static,
    F: FnOnce(&Env, &aws_config::SdkConfig) -> Result<S, ConfigError>,
{
    /// A stage that needs the function's AWS configuration.
    pub fn with_sdk(default_policy: FailurePolicy, build: F) -> Self {
        Self {
            kind: OwnWithSdk {
                policy: default_policy,
                build,
                stage: PhantomData,
            },
        }
    }

    /// As [`Start::run`] for a stage of your own; `build` runs once the SDK configuration is loaded.
    pub async fn run(self) -> Result<(), lambda_runtime::Error> {
        let OwnWithSdk { policy, build, .. } = self.kind;
        start(policy, |_| Ok(()), |env, sdk, ()| build(env, sdk)).await
    }
}

impl Start<Builtin> {
    /// A built-in processor: its catalog entry's stage and default failure policy
    /// (`Start::entry(&catalog::MODERATION_DENY).run().await`).
    pub fn entry(entry: &'static Entry) -> Self {
        Self {
            kind: Builtin { entry },
        }
    }

    /// The same by function name (tools that pick a processor at run time; links every stage).
    pub fn function(function: &str) -> Result<Self, ConfigError> {
        catalog::by_function(function)
            .map(Self::entry)
            .ok_or_else(|| {
                ConfigError::new(
                    "function",
                    format!(
                        "no built-in processor {function:?}: the catalog has {}",
                        catalog::functions().collect::<Vec<_>>().join(", ")
                    ),
                )
            })
    }

    /// An awaiting step after the entry's stages when `step` turns one on (an AWS service's check,
    /// built with the function's one SDK configuration); the pipeline's stages and the step form
    /// one flat [`MixedPipeline`], each under its own failure policy. When `step` answers `None`
    /// the synchronous path runs, unchanged.
    pub fn then(self, step: AwaitingStep) -> Start<BuiltinThen> {
        Start {
            kind: BuiltinThen {
                entry: self.kind.entry,
                step,
            },
        }
    }

    /// As [`Start::run`] for a stage of your own, with the entry's stage.
    pub async fn run(self) -> Result<(), lambda_runtime::Error> {
        let entry = self.kind.entry;
        start(entry.policy, entry.build, |_, _, stage| Ok(stage)).await
    }
}

impl Start<BuiltinThen> {
    /// As [`Start::run`] for a stage of your own, with the entry's stages and the step after them.
    pub async fn run(self) -> Result<(), lambda_runtime::Error> {
        entry_then(self.kind.entry, self.kind.step).await
    }
}

/// Set when the first event has been answered: held-back background work may go from then on.
static FIRST_ANSWER: std::sync::Once = std::sync::Once::new();

/// An awaiting stage with its failure policy, or `None` when the configuration leaves it off.
pub type Awaiting = Option<(Box<dyn AsyncStage>, FailurePolicy)>;

/// An awaiting step a processor adds after its own stages when the environment asks for it (an
/// AWS service's check, say), built with the function's one SDK configuration.
pub type AwaitingStep = fn(&Env, &aws_config::SdkConfig) -> Result<Awaiting, ConfigError>;

/// A catalog entry with an awaiting step after its stages.
async fn entry_then(
    entry: &'static Entry,
    then: AwaitingStep,
) -> Result<(), lambda_runtime::Error> {
    // The stages are built beside the SDK configuration (a pipeline step by step, so that an
    // awaiting step can join them); the step, which needs that configuration, comes after.
    let build = move |env: &Env| match entry.steps {
        Some(steps) => steps(env).map(Built::Steps),
        None => (entry.build)(env).map(Built::Single),
    };
    start(entry.policy, build, move |env, sdk, built| {
        let awaiting = then(env, sdk)?;
        let (steps, (awaiting, policy)) = match (built, awaiting) {
            (Built::Single(stage), None) => return Ok(Box::new(stage) as Box<dyn Decide>),
            (Built::Steps(steps), None) => {
                return Ok(Box::new(Pipeline::new(steps)) as Box<dyn Decide>);
            }
            (Built::Single(stage), Some(awaiting)) => (vec![(stage, entry.policy)], awaiting),
            (Built::Steps(steps), Some(awaiting)) => (steps, awaiting),
        };
        let steps = steps
            .into_iter()
            .map(|(stage, policy)| (Step::Now(stage), policy));
        let pipeline = MixedPipeline::new(steps.collect()).then_awaiting(awaiting, policy);
        Ok(Box::new(Awaits(pipeline)) as Box<dyn Decide>)
    })
    .await
}

/// A catalog entry's stages as built at start: one stage, or a pipeline's steps.
enum Built {
    Single(Box<dyn Stage>),
    Steps(Vec<(Box<dyn Stage>, FailurePolicy)>),
}

/// The one start-up path: configuration; then `build` on a blocking thread while the SDK
/// configuration loads (on Lambda's vCPUs the matchers compile while the credentials and TLS roots
/// are read); `finish` with both; the callback client; then the runtime loop.
async fn start<B, S, T, D>(
    default_policy: FailurePolicy,
    build: B,
    finish: T,
) -> Result<(), lambda_runtime::Error>
where
    B: FnOnce(&Env) -> Result<S, ConfigError> + Send + 'static,
    S: Send + 'static,
    T: FnOnce(&Env, &aws_config::SdkConfig, S) -> Result<D, ConfigError>,
    D: Decide + 'static,
{
    let mut phases = StartupPhases::begin();
    telemetry::start();
    let env = Env::from_process();
    let config = ProcessorConfig::from_env(&env, default_policy)
        .inspect_err(telemetry::log_startup_error)?;
    let roots = crate::sdk::TlsRoots::from_env(&env).inspect_err(telemetry::log_startup_error)?;
    phases.config = phases.lap();
    // Work no event waits for (the lists' DFA) waits until the first event is answered.
    crate::background::hold();
    let building = {
        let env = env.clone();
        tokio::task::spawn_blocking(move || {
            let began = Instant::now();
            build(&env).map(|built| (built, began.elapsed()))
        })
    };
    let sdk_config = crate::sdk::load(roots)
        .await
        .inspect_err(telemetry::log_startup_error)?;
    phases.sdk_config = phases.lap();
    let (built, stage_time) = building
        .await
        .map_err(|joined| {
            ConfigError::new(
                "stages",
                format!("the stage build did not finish: {joined}"),
            )
        })
        .and_then(|built| built)
        .inspect_err(telemetry::log_startup_error)?;
    let stage = finish(&env, &sdk_config, built).inspect_err(telemetry::log_startup_error)?;
    phases.stages = stage_time;
    phases.stage_wait = phases.lap();
    let sender = SdkCallbackSender::new(&sdk_config, config.retry, config.attempt_timeout);
    phases.client = phases.lap();
    phases.log(stage.name(), config.failure_policy.label());
    let processor = Arc::new(Processor::new(stage, sender, config));
    Box::pin(lambda_runtime::run(service_fn(
        move |event: LambdaEvent<Value>| {
            let processor = Arc::clone(&processor);
            let deadline = deadline_instant(event.context.deadline);
            async move {
                let handled = processor.handle_until(&event.payload, deadline).await;
                // Once, after the first answer: later events pay one atomic load, not a mutex.
                FIRST_ANSWER.call_once(crate::background::release);
                handled
            }
        },
    )))
    .await
}
