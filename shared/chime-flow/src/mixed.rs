//! The mixed pipeline: synchronous stages and stages that await I/O in one processor, folded into
//! one decision as the synchronous [`Pipeline`] is. Here rather than in `chime-flow-core` because
//! cutting an awaiting step short needs a timer (tokio's).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use futures_util::FutureExt as _;

use crate::config::FailurePolicy;
use crate::event::ChannelMessage;
use crate::stage::{AsyncStage, Stage, StageFuture};
use crate::stages::pipeline::{Folding, Pipeline};

/// One stage of a [`MixedPipeline`].
pub enum Step {
    /// A synchronous stage, run as it is.
    Now(Box<dyn Stage>),
    /// A stage that awaits, within what is left of the event's budget.
    Awaits(Box<dyn AsyncStage>),
}

/// A pipeline that mixes synchronous stages and stages that await I/O: the same folding and
/// per-stage failure policies as [`Pipeline`]; an awaiting stage gets what is left of the event's
/// budget (less a tenth kept for the steps after it) and, when it runs out, is cancelled and its
/// policy decides (`deny`: stop with `<stage>/failed`, `pass`: skip it). Built with
/// [`MixedPipeline::new`], or from a [`Pipeline`] with [`MixedPipeline::then_awaiting`]; the runtime
/// runs it as `Awaits(pipeline)`.
pub struct MixedPipeline {
    steps: Vec<(Step, FailurePolicy)>,
}

impl MixedPipeline {
    /// Chains `steps` in order, each with its failure policy.
    pub fn new(steps: Vec<(Step, FailurePolicy)>) -> Self {
        Self { steps }
    }

    /// The same steps with one more stage that awaits at the end (a team's own service, say).
    pub fn then_awaiting(mut self, stage: Box<dyn AsyncStage>, policy: FailurePolicy) -> Self {
        self.steps.push((Step::Awaits(stage), policy));
        self
    }

    /// Its stages' names, in order.
    pub fn stage_names(&self) -> Vec<&str> {
        self.steps
            .iter()
            .map(|(step, _)| match step {
                Step::Now(stage) => stage.name(),
                Step::Awaits(stage) => stage.name(),
            })
            .collect()
    }
}

impl AsyncStage for MixedPipeline {
    fn name(&self) -> &str {
        "pipeline"
    }

    fn decide<'a>(&'a self, message: &'a ChannelMessage, budget: Duration) -> StageFuture<'a> {
        Box::pin(async move {
            // The awaiting steps end a tenth of the budget (at least 5 ms) early, so that a step
            // that runs out is decided by its own policy and the steps after it still run before
            // the runtime's own timeout for the whole pipeline.
            let keep = (budget / 10).max(Duration::from_millis(5));
            let until = Instant::now() + budget.saturating_sub(keep);
            let mut folding = Folding::new(message, self.steps.len());
            for (step, policy) in &self.steps {
                let started = Instant::now();
                let (name, outcome) = match step {
                    Step::Now(stage) => (
                        stage.name(),
                        catch_unwind(AssertUnwindSafe(|| stage.decide(folding.current()))).ok(),
                    ),
                    Step::Awaits(stage) => {
                        let left = until.saturating_duration_since(started);
                        let running = AssertUnwindSafe(stage.decide(folding.current(), left));
                        let outcome = tokio::time::timeout(left, running.catch_unwind()).await;
                        (stage.name(), outcome.ok().and_then(Result::ok))
                    }
                };
                if let Some(denied) = folding.take(name, outcome, *policy, started) {
                    return Ok(folding.finish(message, Some(denied)));
                }
            }
            Ok(folding.finish(message, None))
        })
    }
}

/// A synchronous pipeline's stages, each as it is: add awaiting ones with
/// [`MixedPipeline::then_awaiting`].
impl From<Pipeline> for MixedPipeline {
    fn from(pipeline: Pipeline) -> Self {
        Self::new(
            pipeline
                .into_stages()
                .into_iter()
                .map(|(stage, policy)| (Step::Now(stage), policy))
                .collect(),
        )
    }
}
