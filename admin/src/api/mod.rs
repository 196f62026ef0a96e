//! The admin API: the service's own REST routes (method, path, query and JSON names from the model,
//! so the AWS API reference is this API's reference) and direct invocation
//! (`{"Operation": "ListSubChannels", "Input": {...}}`), through one layer: which operations are
//! allowed, the bearer (the configured service user unless configuration lets callers choose),
//! validation before any call, then the SDK; beyond the bare API, pages followed up to a caller's
//! limit, elastic channels listed across their sub-channels, batches above 100 members split, and
//! `ClientRequestToken` derived from a caller's idempotency key.
//!
//! Here the entry (`run`: admission by the access policy, the bearer, the audit line) and one call;
//! by job: [`config`] (what a deployment offers and grants), [`errors`] (refusals as answered),
//! [`fan_out`] (pages and sub-channels), [`batching`] (batches above 100, tokens from keys) and
//! [`extra_operations`] (bulk onboarding, the replay of failed events).

use chime_api::{Model, Operation};
use serde_json::{Map, Value, json};

use crate::access::{AuditLine, AuditLog, BearerRule, Caller, Targets, targets_of};
use crate::paging;
use crate::{Clients, call};

mod batching;
mod config;
mod errors;
mod extra_operations;
mod fan_out;

pub use batching::token_from_key;
pub use config::{
    AdminConfig, Allowed, BATCH_LIMIT, EXCLUDED, IDENTITY_OPERATIONS, MAX_ITEMS_LIMIT, grantable,
    offered, offers,
};
pub use errors::ErrorReply;
pub use extra_operations::{BULK_OPERATION, EXTRA_OPERATIONS, FailedEventPorts, REDRIVE_OPERATION};

/// What a caller asks beyond the operation itself, and who the caller is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extras {
    /// Follow `NextToken` until this many items (or the end).
    pub max_items: Option<usize>,
    /// On an elastic channel, list memberships or messages across every sub-channel.
    pub all_sub_channels: bool,
    /// A caller's idempotency key: the `ClientRequestToken` is derived from it.
    pub idempotency_key: Option<String>,
    /// The caller's `x-amz-chime-bearer`, if any.
    pub bearer: Option<String>,
    /// Who is calling.
    pub caller: Caller,
    /// The request's id (API Gateway's, or Lambda's for a direct invocation), for the audit line.
    pub request_id: Option<String>,
    /// The function's deadline: a long run (a replay) stops before it.
    pub deadline: Option<std::time::Instant>,
}

/// The layer both entry points go through.
pub struct AdminApi {
    pub model: Model,
    pub clients: Clients,
    pub config: AdminConfig,
    /// Where bulk onboarding puts its batches (the membership worker's queue), when configured.
    pub queue: Option<std::sync::Arc<dyn crate::onboarding::Queue>>,
    /// The processors' failure queue and the way to run their events again, when configured.
    pub failed_events: Option<FailedEventPorts>,
    /// Where each call's audit line goes.
    pub audit: std::sync::Arc<dyn AuditLog>,
}

impl AdminApi {
    /// The layer with no queue and no failure queue, its audit lines written to the log.
    pub fn new(model: Model, clients: Clients, config: AdminConfig) -> Self {
        Self {
            model,
            clients,
            config,
            queue: None,
            failed_events: None,
            audit: std::sync::Arc::new(crate::access::TracingAudit),
        }
    }
}

impl AdminApi {
    /// Runs `operation` of the API with `input` as the service's JSON, for `extras.caller`: granted
    /// by the access policy (or refused `403 AccessDenied`, naming the principal and the operation),
    /// run as the bearer the grant says, and written to the audit log however it ends.
    pub async fn run(
        &self,
        operation: &str,
        input: Map<String, Value>,
        extras: &Extras,
    ) -> Result<(u16, Value), ErrorReply> {
        let (targets, arns) = targets_of(&input);
        let mut line = AuditLine {
            principal: extras.caller.principal(),
            operation: operation.to_owned(),
            targets: arns,
            bearer: None,
            statement: None,
            outcome: "denied",
            status: 403,
            error: None,
            request_id: extras.request_id.clone(),
        };
        // A refusal before the call stays `denied`; a call made is judged by its answer.
        let answer = match self.admit(operation, input, extras, &targets, &mut line) {
            Err(refused) => Err(refused),
            Ok((input, rule)) => {
                let answer = self.execute_as(operation, input, extras, &rule).await;
                line.outcome = match &answer {
                    Ok(_) => "ok",
                    Err(reply) if reply.error == "AccessDenied" => "denied",
                    Err(_) => "failed",
                };
                answer
            }
        };
        line.status = match &answer {
            Ok((status, _)) => *status,
            Err(reply) => reply.status,
        };
        line.error = answer.as_ref().err().map(|reply| reply.error.clone());
        self.audit.write(&line);
        answer
    }

    /// Whether the policy admits the call, and as which bearer: the input with the granted bearer in
    /// it and the grant's bearer rule, or the refusal (`AccessDenied`, `BearerNotAllowed`). Notes the
    /// granting statement and the bearer on the audit line.
    fn admit(
        &self,
        operation: &str,
        mut input: Map<String, Value>,
        extras: &Extras,
        targets: &Targets,
        line: &mut AuditLine,
    ) -> Result<(Map<String, Value>, BearerRule), ErrorReply> {
        let grant = self
            .config
            .policy
            .decide(&extras.caller, operation, targets)
            .map_err(|denied| ErrorReply::new(403, "AccessDenied", denied.to_string()))?;
        line.statement = Some(grant.sid.clone());
        let bearer = self.bearer_for(&grant.bearer, &extras.caller)?;
        if let Some(bearer) = &bearer {
            let named = extras
                .bearer
                .as_deref()
                .or_else(|| input.get("ChimeBearer").and_then(Value::as_str));
            if named.is_some_and(|named| named != bearer) {
                return Err(ErrorReply {
                    field: Some("ChimeBearer".into()),
                    ..ErrorReply::new(
                        403,
                        "BearerNotAllowed",
                        format!(
                            "the access policy ({}) lets {} act only as {bearer}",
                            grant.sid, line.principal
                        ),
                    )
                });
            }
            self.default_bearer(operation, &mut input, bearer);
        }
        line.bearer = input
            .get("ChimeBearer")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or(bearer);
        Ok((input, grant.bearer))
    }

    /// The bearer a grant implies before the caller names one: the service user, or the caller's own
    /// user for a claim-mapped grant (`None` for `AnyUser`, which takes the caller's choice).
    fn bearer_for(&self, rule: &BearerRule, caller: &Caller) -> Result<Option<String>, ErrorReply> {
        match rule {
            BearerRule::ServiceUser => Ok(Some(self.config.service_user.clone())),
            BearerRule::AnyUser => Ok(None),
            BearerRule::FromClaim(claim) => {
                // An AppInstanceUserId's characters only: a claim cannot name another resource.
                let value = caller
                    .claim(claim)
                    .filter(|v| {
                        !v.is_empty()
                            && v.chars()
                                .all(|c| c.is_ascii_alphanumeric() || "-_.@:".contains(c))
                    })
                    .ok_or_else(|| {
                        ErrorReply::new(
                            403,
                            "AccessDenied",
                            format!(
                                "{} carries no {claim} claim that names an app instance user",
                                caller.principal()
                            ),
                        )
                    })?;
                let instance =
                    chime_flow::arn::app_instance_of(&self.config.service_user).unwrap_or_default();
                Ok(Some(format!("{instance}/user/{value}")))
            }
        }
    }

    /// Puts the granted bearer in an input that names none (the caller named none, or the same).
    fn default_bearer(&self, operation: &str, input: &mut Map<String, Value>, bearer: &str) {
        if !input.contains_key("ChimeBearer")
            && (operation == BULK_OPERATION
                || self
                    .model_operation(operation)
                    .is_ok_and(|op| self.has_member(op, "ChimeBearer")))
        {
            input.insert("ChimeBearer".into(), json!(bearer));
        }
    }

    /// Runs an operation already granted, as `bearer` allows: what [`Self::run`] does after the
    /// policy, and what the membership worker does for batches the bulk route granted.
    pub async fn execute_as(
        &self,
        operation: &str,
        mut input: Map<String, Value>,
        extras: &Extras,
        bearer: &BearerRule,
    ) -> Result<(u16, Value), ErrorReply> {
        if let Some(limit) = extras.max_items
            && limit > MAX_ITEMS_LIMIT
        {
            return Err(ErrorReply::invalid(
                "MaxItems",
                format!("{limit} is more than the {MAX_ITEMS_LIMIT} items one answer may hold"),
            ));
        }
        if operation == BULK_OPERATION {
            return self.bulk(input, bearer).await;
        }
        if operation == REDRIVE_OPERATION {
            return self.redrive(input, extras.deadline).await;
        }
        let op = self.operation(operation)?;
        self.settle_bearer(op, &mut input, extras.bearer.as_deref(), bearer)?;
        if let Some(key) = &extras.idempotency_key
            && self.has_member(op, "ClientRequestToken")
        {
            input.insert(
                "ClientRequestToken".into(),
                json!(token_from_key(operation, key)),
            );
        }
        let status = op.status;
        let output = match operation {
            "BatchCreateChannelMembership" => self.batch_memberships(op, input).await?,
            "ListChannelMemberships" | "ListChannelMessages" if extras.all_sub_channels => {
                self.across_sub_channels(op, input, extras.max_items)
                    .await?
            }
            _ if self.model.paged_list(op).is_some()
                && (extras.max_items.is_some() || paging::is_ours(&input)) =>
            {
                self.pages(op, input, extras.max_items).await?
            }
            _ => self.once(op, &input).await?,
        };
        Ok((status, output))
    }

    /// An offered operation this deployment serves.
    fn operation(&self, name: &str) -> Result<&Operation, ErrorReply> {
        let op = self.model_operation(name)?;
        self.permitted(name)?;
        Ok(op)
    }

    fn model_operation(&self, name: &str) -> Result<&Operation, ErrorReply> {
        self.model
            .operations
            .iter()
            .find(|op| op.name == name && offers(op))
            .ok_or_else(|| {
                ErrorReply::new(
                    404,
                    "UnknownOperation",
                    format!("this API offers no operation {name}"),
                )
            })
    }

    /// Whether this deployment serves `name` at all (`ALLOWED_OPERATIONS`), whoever asks.
    fn permitted(&self, name: &str) -> Result<(), ErrorReply> {
        if self.config.allowed.permits(name) {
            return Ok(());
        }
        Err(ErrorReply::new(
            403,
            "OperationNotAllowed",
            format!("{name} is not allowed by this deployment's ALLOWED_OPERATIONS"),
        ))
    }

    fn has_member(&self, op: &Operation, member: &str) -> bool {
        op.input
            .as_ref()
            .and_then(|shape| self.model.shape(op.service, shape))
            .is_some_and(|shape| shape.members.contains_key(member))
    }

    /// The bearer a call is made as, by the grant: the service user (another is refused), the
    /// caller's own user (another is refused), or with `AnyUser` whichever user of the service user's
    /// app instance the caller names.
    fn settle_bearer(
        &self,
        op: &Operation,
        input: &mut Map<String, Value>,
        caller: Option<&str>,
        rule: &BearerRule,
    ) -> Result<(), ErrorReply> {
        if !self.has_member(op, "ChimeBearer") {
            return Ok(());
        }
        let given = caller
            .or_else(|| input.get("ChimeBearer").and_then(Value::as_str))
            .map(str::to_owned);
        let bearer = match (rule, given) {
            (BearerRule::AnyUser, Some(bearer)) => {
                if chime_flow::arn::app_instance_of(&bearer)
                    != chime_flow::arn::app_instance_of(&self.config.service_user)
                {
                    return Err(ErrorReply::invalid(
                        "ChimeBearer",
                        format!("{bearer} belongs to another app instance than the service user"),
                    ));
                }
                bearer
            }
            (BearerRule::AnyUser | BearerRule::ServiceUser, None) => {
                self.config.service_user.clone()
            }
            (BearerRule::ServiceUser, Some(bearer)) if bearer == self.config.service_user => bearer,
            // `run` put the caller's own user there, and refused any other.
            (BearerRule::FromClaim(_), Some(bearer)) => bearer,
            (_, Some(_)) | (BearerRule::FromClaim(_), None) => {
                return Err(ErrorReply {
                    field: Some("ChimeBearer".into()),
                    ..ErrorReply::new(
                        403,
                        "BearerNotAllowed",
                        "the access policy grants this call as another bearer than the one named",
                    )
                });
            }
        };
        input.insert("ChimeBearer".into(), json!(bearer));
        Ok(())
    }

    async fn once(&self, op: &Operation, input: &Map<String, Value>) -> Result<Value, ErrorReply> {
        Ok(call(&self.model, &self.clients, op.service, &op.name, input).await?)
    }
}
