//! Starting a processor invocation once the operation's lock is released, and what happens to the
//! message when its processor cannot be reached.

use std::sync::Arc;

use crate::emulator::Emulator;
use crate::ops;
use crate::processors::{Invocation, ProcessorInvoker};
use crate::state::journey::Step;

impl Emulator {
    /// Delivers an event to its processor in the background (twice when `duplicate`); when the
    /// processor cannot be reached, the FallbackAction applies.
    pub(crate) fn spawn_invocation(self: &Arc<Self>, invocation: Invocation, duplicate: bool) {
        let Some(invoker) = self.invoker.get().cloned() else {
            return;
        };
        let emulator = Arc::clone(self);
        tokio::spawn(async move {
            let deliveries = if duplicate { 2 } else { 1 };
            let journal = &emulator.store.journal;
            for delivery in 1..=deliveries {
                journal.step(
                    &invocation.message_id,
                    Step::Invoked {
                        processor: invocation.processor_name.clone(),
                        callback_id: invocation.callback_id.clone(),
                        delivery,
                    },
                );
                let result = invoker
                    .invoke(&invocation.function_arn, invocation.payload.clone())
                    .await;
                if let Err(error) = result {
                    tracing::warn!(
                        processor = %invocation.processor_name,
                        message_id = %invocation.message_id,
                        fallback = %invocation.fallback,
                        error = %error,
                        "processor could not be invoked"
                    );
                    journal.step(
                        &invocation.message_id,
                        Step::InvokeFailed {
                            processor: invocation.processor_name.clone(),
                            fallback: invocation.fallback.clone(),
                            reason: error.to_string(),
                        },
                    );
                    let next = ops::apply_invocation_failure(
                        &emulator.store,
                        &invocation,
                        &error.to_string(),
                    );
                    for invocation in next {
                        emulator.spawn_invocation(invocation, false);
                    }
                    return;
                }
            }
        });
    }
}
