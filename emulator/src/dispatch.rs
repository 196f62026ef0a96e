//! The operation pipeline, the same for a request from the wire and a callback made in-process:
//! injected faults, validation against the model, the ClientRequestToken, the handler under its app
//! instance's lock, then the processor invocations it started.

use std::sync::Arc;

use axum::http::StatusCode;
use serde_json::Value;

use crate::emulator::Emulator;
use crate::ops::{self, Input};
use crate::server::error::ApiError;
use crate::state::idempotency::{Seen, Ticket};
use crate::state::journey::Step;
use crate::validate::validate;

/// The operation whose refusals the journeys record.
const CALLBACK: &str = "ChannelFlowCallback";

/// Which journey a callback belongs to: its CallbackId, and its message when the input names it.
struct CallbackIds {
    callback_id: String,
    message_id: Option<String>,
}

impl CallbackIds {
    fn of(input: &serde_json::Map<String, Value>) -> Self {
        let text = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_owned);
        Self {
            callback_id: text(input.get("CallbackId")).unwrap_or_default(),
            message_id: text(input.get("ChannelMessage").and_then(|m| m.get("MessageId"))),
        }
    }
}

/// A request's outcome before it becomes HTTP: handled now (with the token it claimed), or the
/// remembered answer of a retried request.
enum Answer {
    Handled(Result<ops::Reply, ApiError>, Option<Ticket>),
    Replayed(StatusCode, Option<Value>),
}

impl Emulator {
    /// Runs operation `op` on an input made by `input` (bound from a request, or given in-process):
    /// faults, validation against the model, ClientRequestToken, the handler, then the processor
    /// invocations it started; a refused ChannelFlowCallback goes into its message's journey.
    /// `caller` keys idempotency tokens (the access key id).
    pub(crate) async fn execute(
        self: &Arc<Self>,
        op: &crate::model::Operation,
        caller: &str,
        input: impl FnOnce() -> Result<serde_json::Map<String, Value>, ApiError>,
    ) -> Result<(StatusCode, Option<Value>), ApiError> {
        let name = op.name.as_str();
        let drawn = self.faults.draw(name);
        if let Some(delay) = drawn.latency {
            tokio::time::sleep(delay).await;
        }
        let input = input();
        // A callback's refusals, injected faults included, go into its message's journey.
        let callback = (name == CALLBACK)
            .then(|| input.as_ref().ok().map(CallbackIds::of))
            .flatten();
        if let Some(refusal) = drawn.injected.refusal() {
            if let Some(ids) = callback {
                self.note_callback(ids, &refusal, true);
            }
            return Err(refusal);
        }
        let answer = self.answer(op, caller, input, || drawn.duplicate());
        // An accepted callback is recorded by its handler, before what it decided.
        if let (Some(ids), Err(refusal)) = (callback, &answer) {
            self.note_callback(ids, refusal, false);
        }
        answer
    }

    /// The handler's answer to a request that drew no injected fault.
    fn answer(
        self: &Arc<Self>,
        op: &crate::model::Operation,
        caller: &str,
        input: Result<serde_json::Map<String, Value>, ApiError>,
        duplicate: impl Fn() -> bool,
    ) -> Result<(StatusCode, Option<Value>), ApiError> {
        let result = self.admit(op, caller, input);
        let status = StatusCode::from_u16(op.status).unwrap_or(StatusCode::OK);
        match result {
            Ok(Answer::Replayed(status, body)) => Ok((status, body)),
            Ok(Answer::Handled(Ok(reply), ticket)) => {
                for invocation in reply.invocations {
                    self.spawn_invocation(invocation, duplicate());
                }
                let body = reply.body.map(ops::without_nulls);
                if let Some(ticket) = ticket {
                    self.tokens.finish(ticket, Some((status, body.clone())));
                }
                Ok((status, body))
            }
            Ok(Answer::Handled(Err(e), ticket)) => {
                if let Some(ticket) = ticket {
                    self.tokens.finish(ticket, None);
                }
                Err(e.as_modeled(&op.errors))
            }
            Err(e) => Err(e.as_modeled(&op.errors)),
        }
    }

    /// Puts a refused callback into its message's journey.
    fn note_callback(&self, ids: CallbackIds, refusal: &ApiError, injected: bool) {
        let step = Step::Callback {
            callback_id: ids.callback_id.clone(),
            status: refusal.status.unwrap_or(refusal.code.status()).as_u16(),
            code: Some(refusal.code.name().to_owned()),
            injected,
        };
        match ids.message_id {
            Some(message_id) => self.store.journal.step(&message_id, step),
            None => self.store.journal.step_by_callback(&ids.callback_id, step),
        }
    }

    /// Validates the input, checks its ClientRequestToken and runs the handler: the handler's reply
    /// with the token it claimed, or the remembered answer of a retried request.
    fn admit(
        &self,
        op: &crate::model::Operation,
        caller: &str,
        input: Result<serde_json::Map<String, Value>, ApiError>,
    ) -> Result<Answer, ApiError> {
        let name = op.name.as_str();
        let handler = ops::handler(name).ok_or_else(|| ApiError::not_implemented(name))?;
        let input = Value::Object(input?);
        if let Some(shape) = &op.input {
            validate(&self.model, op.service, shape, &input, "")?;
        }
        let Value::Object(input) = input else {
            return Err(ApiError::bad_request("the input is not an object"));
        };
        let caller = format!(
            "{caller}|{}",
            input
                .get("ChimeBearer")
                .and_then(Value::as_str)
                .unwrap_or("")
        );
        let ticket = match self.tokens.check(name, &caller, &input)? {
            Some(Seen::Replay(status, body)) => return Ok(Answer::Replayed(status, body)),
            Some(Seen::New(ticket)) => Some(ticket),
            None => None,
        };
        Ok(Answer::Handled(handler(&self.store, &Input(input)), ticket))
    }

    /// Calls an operation in-process (what an in-process processor's callback does): the same
    /// faults, validation and semantics as over HTTP, without the HTTP and the signature.
    pub async fn call(
        self: &Arc<Self>,
        service: crate::model::Service,
        operation: &str,
        input: serde_json::Map<String, Value>,
    ) -> Result<Option<Value>, ApiError> {
        let op = self
            .model
            .operation(service, operation)
            .ok_or_else(|| ApiError::not_implemented(operation))?;
        self.execute(op, "in-process", || Ok(input))
            .await
            .map(|(_, body)| body)
    }
}
