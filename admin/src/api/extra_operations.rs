//! The operations beyond the model: bulk onboarding and the replay of failed processor events.

use serde_json::{Map, Value, json};

use super::{AdminApi, Allowed, ErrorReply};
use crate::access::BearerRule;

/// What replaying failed processor events needs: the queue and the processors.
#[derive(Clone)]
pub struct FailedEventPorts {
    pub queue: std::sync::Arc<dyn chime_flow::redrive::FailedEvents>,
    pub processors: std::sync::Arc<dyn chime_flow::redrive::Reinvoke>,
}

/// The operation of bulk onboarding, beyond the model: any number of members, queued in batches.
pub const BULK_OPERATION: &str = "BulkCreateChannelMembership";

/// The operation that replays failed processor events, beyond the model.
pub const REDRIVE_OPERATION: &str = "RedriveFailedEvents";

/// The operations beyond the model (`ALLOWED_OPERATIONS` may name them).
pub const EXTRA_OPERATIONS: &[&str] = &[BULK_OPERATION, REDRIVE_OPERATION];

impl AdminApi {
    /// Bulk onboarding: the members checked against the model in batches of 100 (each member ARN
    /// named when wrong), then queued for the membership worker; answered 202 with what was queued.
    pub(super) async fn bulk(
        &self,
        mut input: Map<String, Value>,
        bearer: &BearerRule,
    ) -> Result<(u16, Value), ErrorReply> {
        self.permitted(BULK_OPERATION)?;
        let batch_op = self.model_operation("BatchCreateChannelMembership")?;
        let queue = self.queue.as_ref().ok_or_else(|| {
            ErrorReply::new(
                501,
                "NotConfigured",
                "bulk onboarding needs the membership worker's queue (QUEUE_URL)",
            )
        })?;
        self.settle_bearer(batch_op, &mut input, None, bearer)?;
        let channel = input
            .get("ChannelArn")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let members: Vec<String> = match input.get("MemberArns") {
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    v.as_str().map(str::to_owned).ok_or_else(|| {
                        ErrorReply::invalid(format!("MemberArns[{i}]"), "must be a member ARN")
                    })
                })
                .collect::<Result<_, _>>()?,
            _ => {
                return Err(ErrorReply::invalid(
                    "MemberArns",
                    "missing: the members to add",
                ));
            }
        };
        let kind = input.get("Type").and_then(Value::as_str);
        let sub = input.get("SubChannelId").and_then(Value::as_str);
        let mut batches = crate::onboarding::split(&channel, &members, kind, sub);
        // The worker adds the members as the bearer this request was granted.
        let granted = input.get("ChimeBearer").and_then(Value::as_str);
        for batch in &mut batches {
            batch.chime_bearer = granted.map(str::to_owned);
        }
        // The same rules as a batch call, before anything is queued: nothing half-queued.
        let parts: Vec<Map<String, Value>> = batches
            .iter()
            .map(|batch| {
                let mut call = input.clone();
                call.insert("MemberArns".into(), json!(batch.member_arns));
                call
            })
            .collect();
        self.check_batches(batch_op, &parts)?;
        let count = batches.len();
        let queued: usize = batches.iter().map(|b| b.member_arns.len()).sum();
        queue
            .enqueue(batches, std::time::Duration::ZERO)
            .await
            .map_err(|e| ErrorReply::new(502, "QueueUnavailable", e.to_string()))?;
        Ok((
            202,
            json!({"ChannelArn": channel, "Batches": count, "Members": queued}),
        ))
    }

    /// Replays the processors' failed events (`{"Limit"?, "DryRun"?}`): see `chime_flow::redrive`.
    /// A read-only deployment may only dry-run.
    pub(super) async fn redrive(
        &self,
        input: Map<String, Value>,
        deadline: Option<std::time::Instant>,
    ) -> Result<(u16, Value), ErrorReply> {
        let request: chime_flow::redrive::RedriveRequest =
            serde_json::from_value(Value::Object(input)).map_err(|e| {
                ErrorReply::new(
                    400,
                    "ValidationError",
                    format!("{REDRIVE_OPERATION} takes {{\"Limit\"?, \"DryRun\"?}}: {e}"),
                )
            })?;
        request.check().map_err(|problem| {
            let (field, problem) = problem.split_once(": ").unwrap_or(("Limit", &problem));
            ErrorReply::invalid(field, problem)
        })?;
        let may = self.config.allowed.permits(REDRIVE_OPERATION)
            || (request.dry_run && self.config.allowed == Allowed::ReadOnly);
        if !may {
            return Err(ErrorReply::new(
                403,
                "OperationNotAllowed",
                format!(
                    "{REDRIVE_OPERATION} is not allowed by this deployment's ALLOWED_OPERATIONS"
                ),
            ));
        }
        let ports = self.failed_events.as_ref().ok_or_else(|| {
            ErrorReply::new(
                501,
                "NotConfigured",
                "replaying failed events needs the processors' failure queue (FAILED_EVENTS_QUEUE_URL)",
            )
        })?;
        let limits = chime_flow::redrive::ReplayLimits {
            // Stop two seconds before the function's own deadline, so the report always comes back.
            deadline: deadline.map(|d| {
                d.checked_sub(std::time::Duration::from_secs(2))
                    .unwrap_or(d)
            }),
            functions: self.config.replay_functions.clone(),
            now: None,
        };
        let report = chime_flow::redrive::redrive(
            ports.queue.as_ref(),
            ports.processors.as_ref(),
            request,
            &limits,
        )
        .await;
        Ok((200, serde_json::to_value(report).unwrap_or_default()))
    }
}
