//! The admin API: the service's own REST routes (method, path, query and JSON names from the model,
//! so the AWS API reference is this API's reference) and direct invocation
//! (`{"Operation": "ListSubChannels", "Input": {...}}`), through one layer: which operations are
//! allowed, the bearer (the configured service user unless configuration lets callers choose),
//! validation before any call, then the SDK; beyond the bare API, pages followed up to a caller's
//! limit, elastic channels listed across their sub-channels, batches above 100 members split, and
//! `ClientRequestToken` derived from a caller's idempotency key.

use std::collections::BTreeSet;

use chime_api::{Model, Operation, Service};
use chime_flow::config::{ConfigError, Env};
use serde_json::{Map, Value, json};

use crate::access::policy::DEFAULT_POLICY;
use crate::access::{AccessPolicy, AuditLine, AuditLog, BearerRule, Caller, Targets, targets_of};
use crate::paging::{self, Cursor, Page, Walked};
use crate::{CallError, Clients, call};

/// Operations never offered: ChannelFlowCallback belongs to processors.
pub const EXCLUDED: &[&str] = &["ChannelFlowCallback"];

/// The identity operations a messaging backend needs (app instance users and admins, the instance).
pub const IDENTITY_OPERATIONS: &[&str] = &[
    "DescribeAppInstance",
    "CreateAppInstanceUser",
    "DescribeAppInstanceUser",
    "ListAppInstanceUsers",
    "UpdateAppInstanceUser",
    "DeleteAppInstanceUser",
    "CreateAppInstanceAdmin",
    "DescribeAppInstanceAdmin",
    "ListAppInstanceAdmins",
    "DeleteAppInstanceAdmin",
];

pub use crate::onboarding::queue::BATCH_LIMIT;

/// Which operations a deployment serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Allowed {
    All,
    /// Describe, Get, List and Search operations only (a dashboard).
    ReadOnly,
    Only(BTreeSet<String>),
}

impl Allowed {
    pub fn permits(&self, operation: &str) -> bool {
        match self {
            Allowed::All => true,
            Allowed::ReadOnly => ["Describe", "Get", "List", "Search"]
                .iter()
                .any(|verb| operation.starts_with(verb)),
            Allowed::Only(names) => names.contains(operation),
        }
    }
}

/// The admin API's configuration, from the environment.
#[derive(Debug, Clone)]
pub struct AdminConfig {
    /// `SERVICE_USER_ARN`: the AppInstanceAdmin every call is made as.
    pub service_user: String,
    /// `ALLOWED_OPERATIONS`: `all` (default), `read-only`, or a comma-separated list.
    pub allowed: Allowed,
    /// `ACCESS_POLICY` (a JSON document) or `ACCESS_POLICY_FILE` (its path): who may call what, as
    /// which bearer; [`crate::access::policy::DEFAULT_POLICY`] when neither is set.
    pub policy: AccessPolicy,
    /// `BATCH_CONCURRENCY`: batches of 100 members run at once when a batch is split (default 4).
    pub batch_concurrency: usize,
    /// `REPLAY_FUNCTIONS`: the functions (names or ARNs) `RedriveFailedEvents` may invoke; empty:
    /// any the function's role may invoke.
    pub replay_functions: Vec<String>,
}

impl AdminConfig {
    pub fn from_env(env: &Env, model: &Model) -> Result<Self, ConfigError> {
        let service_user = env
            .get("SERVICE_USER_ARN")
            .filter(|v| v.starts_with("arn:") && v.contains("/user/"))
            .ok_or_else(|| {
                ConfigError::new(
                    "SERVICE_USER_ARN",
                    "must be the ARN of the AppInstanceUser to act as",
                )
            })?
            .to_owned();
        let allowed = match env.get("ALLOWED_OPERATIONS").unwrap_or("all") {
            "all" => Allowed::All,
            "read-only" => Allowed::ReadOnly,
            list => {
                let names: BTreeSet<String> =
                    chime_flow::config::split_list(list).into_iter().collect();
                if let Some(unknown) = names.iter().find(|n| {
                    !offered(model).contains(n.as_str()) && !EXTRA_OPERATIONS.contains(&n.as_str())
                }) {
                    return Err(ConfigError::new(
                        "ALLOWED_OPERATIONS",
                        format!("{unknown} is not an operation this API offers"),
                    ));
                }
                Allowed::Only(names)
            }
        };
        if env.get("ALLOW_CALLER_BEARER").is_some() {
            return Err(ConfigError::new(
                "ALLOW_CALLER_BEARER",
                "is replaced by the access policy: grant \"Bearer\": \"AnyUser\" to the callers you trust (ACCESS_POLICY)",
            ));
        }
        Ok(Self {
            service_user,
            allowed,
            policy: policy_from_env(env, model)?,
            batch_concurrency: env.int_in("BATCH_CONCURRENCY", 4, (1, 32))? as usize,
            replay_functions: env
                .get("REPLAY_FUNCTIONS")
                .map(chime_flow::config::split_list)
                .unwrap_or_default(),
        })
    }
}

impl AdminConfig {
    /// Acting as `service_user` with every operation served and granted to every caller as the
    /// service user (the `ALLOW_ALL` policy): for tests and local tools, never a deployment.
    pub fn allowing_all(service_user: &str, model: &Model) -> Self {
        Self {
            service_user: service_user.to_owned(),
            allowed: Allowed::All,
            policy: AccessPolicy::allow_all(&grantable(model)),
            batch_concurrency: 4,
            replay_functions: Vec::new(),
        }
    }
}

/// The access policy named by `ACCESS_POLICY` (the document) or `ACCESS_POLICY_FILE` (a file in the
/// package), or the default; a document that does not check stops start-up, naming the problem.
fn policy_from_env(env: &Env, model: &Model) -> Result<AccessPolicy, ConfigError> {
    let operations = grantable(model);
    let (variable, text) = match (env.get("ACCESS_POLICY"), env.get("ACCESS_POLICY_FILE")) {
        (Some(text), _) if !text.trim().is_empty() => ("ACCESS_POLICY", text.to_owned()),
        (_, Some(path)) if !path.is_empty() => (
            "ACCESS_POLICY_FILE",
            std::fs::read_to_string(path).map_err(|e| {
                ConfigError::new("ACCESS_POLICY_FILE", format!("{path} cannot be read: {e}"))
            })?,
        ),
        _ => ("ACCESS_POLICY", DEFAULT_POLICY.to_owned()),
    };
    AccessPolicy::parse(&text, &operations).map_err(|e| ConfigError::new(variable, e.to_string()))
}

/// Every operation a policy may grant: those offered and those beyond the model.
pub fn grantable(model: &Model) -> Vec<&str> {
    let mut names: Vec<&str> = offered(model).into_iter().collect();
    names.extend(EXTRA_OPERATIONS);
    names
}

/// The most items `MaxItems` (`x-chime-admin-max-items`) may ask for in one answer: beyond it an
/// answer would outgrow a Lambda response (6 MB) and the function's 30 s.
pub const MAX_ITEMS_LIMIT: usize = 10_000;

/// Whether the API offers `op`: all of Messaging but ChannelFlowCallback, and the identity
/// operations a messaging backend needs.
pub fn offers(op: &Operation) -> bool {
    match op.service {
        Service::Messaging => !EXCLUDED.contains(&op.name.as_str()),
        Service::Identity => IDENTITY_OPERATIONS.contains(&op.name.as_str()),
    }
}

/// Every operation the API offers, by name.
pub fn offered(model: &Model) -> BTreeSet<&str> {
    model
        .operations
        .iter()
        .filter(|op| offers(op))
        .map(|op| op.name.as_str())
        .collect()
}

/// A refusal or failure as the API answers it: status and `{"error", "message", "field"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorReply {
    pub status: u16,
    pub error: String,
    pub message: String,
    pub field: Option<String>,
}

impl ErrorReply {
    pub(crate) fn new(status: u16, error: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            error: error.to_owned(),
            message: message.into(),
            field: None,
        }
    }

    /// A 400 `ValidationError` naming `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.into()),
            ..Self::new(400, "ValidationError", message)
        }
    }

    pub fn body(&self) -> Value {
        json!({"error": self.error, "message": self.message, "field": self.field})
    }
}

impl From<CallError> for ErrorReply {
    fn from(error: CallError) -> Self {
        match error {
            CallError::Invalid(invalid) => {
                ErrorReply::invalid(invalid.path.clone(), invalid.problem)
            }
            CallError::Validation { field, message } => ErrorReply::invalid(field, message),
            CallError::UnknownOperation(name) => {
                ErrorReply::new(404, "UnknownOperation", format!("no operation {name}"))
            }
            // Chime's own answer, its status and code kept (403, 404, 409, 429, 5xx…).
            CallError::Service {
                status,
                code,
                message,
            } => ErrorReply::new(status, &code, message),
            CallError::Transport(detail) => ErrorReply::new(502, "ServiceUnreachable", detail),
        }
    }
}

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

    /// Bulk onboarding: the members checked against the model in batches of 100 (each member ARN
    /// named when wrong), then queued for the membership worker; answered 202 with what was queued.
    async fn bulk(
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
    async fn redrive(
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

    /// Checks each batch of a split request against the model; a refusal names the member and the
    /// batch (of 100 members, counted from 1).
    fn check_batches(
        &self,
        op: &Operation,
        parts: &[Map<String, Value>],
    ) -> Result<(), ErrorReply> {
        let Some(shape) = &op.input else {
            return Ok(());
        };
        for (index, part) in parts.iter().enumerate() {
            let value = Value::Object(part.clone());
            if let Err(e) =
                chime_api::validate::validate(&self.model, op.service, shape, &value, "")
            {
                let (field, problem) = e.field_and_problem();
                return Err(ErrorReply::invalid(
                    format!("{} (batch {})", field.unwrap_or_default(), index + 1),
                    problem,
                ));
            }
        }
        Ok(())
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

    /// Up to `limit` items of a list (the rest of one service page without a limit), from the
    /// caller's `NextToken`, with a `NextToken` exactly when items remain (see [`paging`]).
    async fn pages(
        &self,
        op: &Operation,
        mut input: Map<String, Value>,
        limit: Option<usize>,
    ) -> Result<Value, ErrorReply> {
        let start = take_cursor(&mut input)?;
        let list = self.model.paged_list(op).unwrap_or_default().to_owned();
        let walked = paging::walk(start, limit, |token| {
            let mut page_input = input.clone();
            if let Some(token) = token {
                page_input.insert("NextToken".into(), json!(token));
            }
            let list = list.clone();
            async move { Ok::<_, ErrorReply>(page_of(self.once(op, &page_input).await?, &list)) }
        })
        .await?;
        Ok(answer(walked, &list))
    }

    /// An elastic channel's memberships or messages across every sub-channel (ListSubChannels,
    /// then the list in each, each item marked with its SubChannelId), up to `limit` items, with a
    /// `NextToken` that resumes across sub-channels.
    async fn across_sub_channels(
        &self,
        op: &Operation,
        mut input: Map<String, Value>,
        limit: Option<usize>,
    ) -> Result<Value, ErrorReply> {
        let start = take_cursor(&mut input)?;
        if start.sub_channel.is_none() && start.token.is_some() {
            return Err(ErrorReply::invalid(
                "NextToken",
                "is not a token this API returned for a list across sub-channels",
            ));
        }
        let subs_op = self
            .model
            .operation(Service::Messaging, "ListSubChannels")
            .ok_or_else(|| {
                ErrorReply::new(500, "ModelError", "ListSubChannels is not in the model")
            })?;
        let mut subs_input = Map::new();
        for member in ["ChannelArn", "ChimeBearer"] {
            if let Some(value) = input.get(member) {
                subs_input.insert(member.into(), value.clone());
            }
        }
        let subs = self.pages(subs_op, subs_input, Some(usize::MAX)).await?;
        let sub_channels: Vec<String> = subs
            .get("SubChannels")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|sub| sub.get("SubChannelId").and_then(Value::as_str))
            .map(str::to_owned)
            .collect();
        let list = self.model.paged_list(op).unwrap_or_default().to_owned();
        let walked = paging::walk_across(&sub_channels, start, limit, |sub, token| {
            let mut page_input = input.clone();
            page_input.insert("SubChannelId".into(), json!(sub));
            if let Some(token) = token {
                page_input.insert("NextToken".into(), json!(token));
            }
            let list = list.clone();
            async move { Ok::<_, ErrorReply>(page_of(self.once(op, &page_input).await?, &list)) }
        })
        .await?
        .map_err(|problem| ErrorReply::invalid("NextToken", problem))?;
        let mut output =
            json!({"ChannelArn": input.get("ChannelArn"), list.as_str(): walked.items});
        if let Some(next) = walked.next {
            output["NextToken"] = json!(next.encode());
        }
        Ok(output)
    }

    /// BatchCreateChannelMembership with any number of members: split into batches of 100, run a few
    /// at a time, members and per-member `Errors` merged; a batch that fails as a whole reports each
    /// of its members, so none is dropped.
    async fn batch_memberships(
        &self,
        op: &Operation,
        input: Map<String, Value>,
    ) -> Result<Value, ErrorReply> {
        let members: Vec<Value> = input
            .get("MemberArns")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if members.is_empty() {
            return self.once(op, &input).await;
        }
        let chunks: Vec<Map<String, Value>> = members
            .chunks(BATCH_LIMIT)
            .enumerate()
            .map(|(index, chunk)| {
                let mut part = input.clone();
                part.insert("MemberArns".into(), Value::Array(chunk.to_vec()));
                if let Some(token) = input.get("ClientRequestToken").and_then(Value::as_str) {
                    part.insert(
                        "ClientRequestToken".into(),
                        json!(token_from_key(token, &index.to_string())),
                    );
                }
                part
            })
            .collect();
        // A batch the model refuses refuses the request: nothing is sent, none half-added.
        self.check_batches(op, &chunks)?;
        let mut added = Vec::new();
        let mut errors = Vec::new();
        let mut first = None;
        for wave in chunks.chunks(self.config.batch_concurrency) {
            let answers =
                futures_util::future::join_all(wave.iter().map(|part| self.once(op, part))).await;
            for (part, answer) in wave.iter().zip(answers) {
                match answer {
                    Ok(answer) => {
                        let batch = &answer["BatchChannelMemberships"];
                        added.extend(batch["Members"].as_array().cloned().unwrap_or_default());
                        errors.extend(answer["Errors"].as_array().cloned().unwrap_or_default());
                        first.get_or_insert(batch.clone());
                    }
                    Err(failure) => {
                        for member in part["MemberArns"].as_array().into_iter().flatten() {
                            errors.push(json!({"MemberArn": member, "ErrorCode": failure.error, "ErrorMessage": failure.message}));
                        }
                    }
                }
            }
        }
        let mut batch = first.unwrap_or_else(|| json!({"ChannelArn": input.get("ChannelArn")}));
        batch["Members"] = Value::Array(added);
        Ok(json!({"BatchChannelMemberships": batch, "Errors": errors}))
    }
}

/// A service answer as a page of `list`.
fn page_of(whole: Value, list: &str) -> Page {
    Page {
        items: whole
            .get(list)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        next: whole
            .get("NextToken")
            .and_then(Value::as_str)
            .map(str::to_owned),
        whole,
    }
}

/// The answer of a walk: the first page's other members, the gathered `list`, and the token.
fn answer(walked: Walked, list: &str) -> Value {
    let mut output = walked.first.unwrap_or_else(|| json!({}));
    if let Some(object) = output.as_object_mut() {
        object.remove("NextToken");
        object.insert(list.to_owned(), Value::Array(walked.items));
        if let Some(next) = walked.next {
            object.insert("NextToken".into(), json!(next.encode()));
        }
    }
    output
}

/// Takes the caller's `NextToken` out of `input` as where to start.
fn take_cursor(input: &mut Map<String, Value>) -> Result<Cursor, ErrorReply> {
    match input.remove("NextToken") {
        None | Some(Value::Null) => Ok(Cursor::default()),
        Some(Value::String(text)) => {
            Cursor::decode(&text).map_err(|problem| ErrorReply::invalid("NextToken", problem))
        }
        Some(_) => Err(ErrorReply::invalid("NextToken", "must be a string")),
    }
}

/// A `ClientRequestToken` from a caller's key: the same key always gives the same token (so a retry
/// is recognised), within the model's pattern `[-_a-zA-Z0-9]{2,64}`.
pub fn token_from_key(scope: &str, key: &str) -> String {
    // FNV-1a, twice with different seeds: 32 hex digits, stable across processes and versions.
    let hash = |seed: u64| {
        let mut h = seed;
        for byte in scope.bytes().chain([0]).chain(key.bytes()) {
            h ^= u64::from(byte);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h
    };
    format!(
        "key-{:016x}{:016x}",
        hash(0xcbf2_9ce4_8422_2325),
        hash(0x6c62_272e_07bb_0142)
    )
}
