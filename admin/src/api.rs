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

/// BatchCreateChannelMembership takes at most this many members per call.
pub const BATCH_LIMIT: usize = 100;

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
    /// `ALLOW_CALLER_BEARER`: honour a caller's `x-amz-chime-bearer` (default false).
    pub caller_bearer: bool,
    /// `BATCH_CONCURRENCY`: batches of 100 members run at once when a batch is split (default 4).
    pub batch_concurrency: usize,
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
                if let Some(unknown) = names.iter().find(|n| !offered(model).contains(n.as_str())) {
                    return Err(ConfigError::new(
                        "ALLOWED_OPERATIONS",
                        format!("{unknown} is not an operation this API offers"),
                    ));
                }
                Allowed::Only(names)
            }
        };
        Ok(Self {
            service_user,
            allowed,
            caller_bearer: env.flag("ALLOW_CALLER_BEARER", false)?,
            batch_concurrency: env.int_in("BATCH_CONCURRENCY", 4, (1, 32))? as usize,
        })
    }
}

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
pub struct Failure {
    pub status: u16,
    pub error: String,
    pub message: String,
    pub field: Option<String>,
}

impl Failure {
    fn new(status: u16, error: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            error: error.to_owned(),
            message: message.into(),
            field: None,
        }
    }

    pub fn body(&self) -> Value {
        json!({"error": self.error, "message": self.message, "field": self.field})
    }
}

impl From<CallError> for Failure {
    fn from(error: CallError) -> Self {
        match error {
            CallError::Invalid(invalid) => Failure {
                field: Some(invalid.path.clone()),
                ..Failure::new(400, "ValidationError", invalid.problem)
            },
            CallError::Validation { field, message } => Failure {
                field: Some(field),
                ..Failure::new(400, "ValidationError", message)
            },
            CallError::UnknownOperation(name) => {
                Failure::new(404, "UnknownOperation", format!("no operation {name}"))
            }
            // Chime's own answer, its status and code kept (403, 404, 409, 429, 5xx…).
            CallError::Service {
                status,
                code,
                message,
            } => Failure::new(status, &code, message),
            CallError::Transport(detail) => Failure::new(502, "ServiceUnreachable", detail),
        }
    }
}

/// What a caller asks beyond the operation itself.
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
}

/// The layer both entry points go through.
pub struct AdminApi {
    pub model: Model,
    pub clients: Clients,
    pub config: AdminConfig,
    /// Where bulk onboarding puts its batches (the membership worker's queue), when configured.
    pub queue: Option<std::sync::Arc<dyn crate::onboarding::Queue>>,
}

/// The operation of bulk onboarding, beyond the model: any number of members, queued in batches.
pub const BULK_OPERATION: &str = "BulkCreateChannelMembership";

impl AdminApi {
    /// Runs `operation` of the API with `input` as the service's JSON.
    pub async fn run(
        &self,
        operation: &str,
        mut input: Map<String, Value>,
        extras: &Extras,
    ) -> Result<(u16, Value), Failure> {
        if operation == BULK_OPERATION {
            return self.bulk(input).await;
        }
        let op = self.operation(operation)?;
        self.settle_bearer(op, &mut input, extras.bearer.as_deref())?;
        check_arn_kinds(&input)?;
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
            _ => match extras.max_items {
                Some(limit) => self.all_pages(op, input, limit).await?,
                None => self.once(op, &input).await?,
            },
        };
        Ok((status, output))
    }

    /// Bulk onboarding: the members checked against the model in batches of 100 (each member ARN
    /// named when wrong), then queued for the membership worker; answered 202 with what was queued.
    async fn bulk(&self, mut input: Map<String, Value>) -> Result<(u16, Value), Failure> {
        let batch_op = self.operation("BatchCreateChannelMembership")?;
        let queue = self.queue.as_ref().ok_or_else(|| {
            Failure::new(
                501,
                "NotConfigured",
                "bulk onboarding needs the membership worker's queue (QUEUE_URL)",
            )
        })?;
        self.settle_bearer(batch_op, &mut input, None)?;
        check_arn_kinds(&input)?;
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
                    v.as_str().map(str::to_owned).ok_or_else(|| Failure {
                        field: Some(format!("MemberArns[{i}]")),
                        ..Failure::new(400, "ValidationError", "must be a member ARN")
                    })
                })
                .collect::<Result<_, _>>()?,
            _ => {
                return Err(Failure {
                    field: Some("MemberArns".into()),
                    ..Failure::new(400, "ValidationError", "missing: the members to add")
                });
            }
        };
        let kind = input.get("Type").and_then(Value::as_str);
        let sub = input.get("SubChannelId").and_then(Value::as_str);
        let batches = crate::onboarding::split(&channel, &members, kind, sub);
        // The same rules as a batch call, before anything is queued: nothing half-queued.
        for (index, batch) in batches.iter().enumerate() {
            let mut call = input.clone();
            call.insert("MemberArns".into(), json!(batch.member_arns));
            let Some(shape) = &batch_op.input else {
                continue;
            };
            let checked = chime_api::validate::validate(
                &self.model,
                batch_op.service,
                shape,
                &Value::Object(call),
                "",
            );
            if let Err(e) = checked {
                let (field, problem) = e.field_and_problem();
                return Err(Failure {
                    field: Some(format!(
                        "{} (batch {})",
                        field.unwrap_or_default(),
                        index + 1
                    )),
                    ..Failure::new(400, "ValidationError", problem)
                });
            }
        }
        let count = batches.len();
        let queued: usize = batches.iter().map(|b| b.member_arns.len()).sum();
        queue
            .enqueue(batches, std::time::Duration::ZERO)
            .await
            .map_err(|e| Failure::new(502, "QueueUnavailable", e.to_string()))?;
        Ok((
            202,
            json!({"ChannelArn": channel, "Batches": count, "Members": queued}),
        ))
    }

    fn operation(&self, name: &str) -> Result<&Operation, Failure> {
        let op = self
            .model
            .operations
            .iter()
            .find(|op| op.name == name && offers(op))
            .ok_or_else(|| {
                Failure::new(
                    404,
                    "UnknownOperation",
                    format!("this API offers no operation {name}"),
                )
            })?;
        if !self.config.allowed.permits(name) {
            return Err(Failure::new(
                403,
                "OperationNotAllowed",
                format!("{name} is not allowed by this deployment's ALLOWED_OPERATIONS"),
            ));
        }
        Ok(op)
    }

    fn has_member(&self, op: &Operation, member: &str) -> bool {
        op.input
            .as_ref()
            .and_then(|shape| self.model.shape(op.service, shape))
            .is_some_and(|shape| shape.members.contains_key(member))
    }

    /// The bearer is the service user; a caller's own is used only when configuration allows it,
    /// and must belong to the same app instance.
    fn settle_bearer(
        &self,
        op: &Operation,
        input: &mut Map<String, Value>,
        caller: Option<&str>,
    ) -> Result<(), Failure> {
        if !self.has_member(op, "ChimeBearer") {
            return Ok(());
        }
        let given = caller
            .or_else(|| input.get("ChimeBearer").and_then(Value::as_str))
            .map(str::to_owned);
        let bearer = match given {
            Some(bearer) if bearer != self.config.service_user => {
                if !self.config.caller_bearer {
                    return Err(Failure {
                        field: Some("ChimeBearer".into()),
                        ..Failure::new(
                            403,
                            "BearerNotAllowed",
                            "this deployment acts as its service user; a caller's bearer is not honoured (ALLOW_CALLER_BEARER)",
                        )
                    });
                }
                if chime_flow::arn::app_instance_of(&bearer)
                    != chime_flow::arn::app_instance_of(&self.config.service_user)
                {
                    return Err(Failure {
                        field: Some("ChimeBearer".into()),
                        ..Failure::new(
                            400,
                            "ValidationError",
                            format!(
                                "{bearer} belongs to another app instance than the service user"
                            ),
                        )
                    });
                }
                bearer
            }
            _ => self.config.service_user.clone(),
        };
        input.insert("ChimeBearer".into(), json!(bearer));
        Ok(())
    }

    async fn once(&self, op: &Operation, input: &Map<String, Value>) -> Result<Value, Failure> {
        Ok(call(&self.model, &self.clients, op.service, &op.name, input).await?)
    }

    /// Follows `NextToken` until `limit` items of the page's list, merged into one answer.
    async fn all_pages(
        &self,
        op: &Operation,
        mut input: Map<String, Value>,
        limit: usize,
    ) -> Result<Value, Failure> {
        let mut merged: Option<Value> = None;
        let mut gathered = 0;
        loop {
            let page = self.once(op, &input).await?;
            let token = page
                .get("NextToken")
                .and_then(Value::as_str)
                .map(str::to_owned);
            let Some((list, items)) = list_member(&page) else {
                return Ok(page);
            };
            gathered += items.len();
            match &mut merged {
                None => merged = Some(page.clone()),
                Some(all) => {
                    if let Some(Value::Array(existing)) = all.get_mut(&list) {
                        existing.extend(items);
                    }
                }
            }
            match token {
                Some(token) if gathered < limit => {
                    input.insert("NextToken".into(), json!(token));
                }
                _ => break,
            }
        }
        let mut merged = merged.unwrap_or_else(|| json!({}));
        if let Some((list, _)) = list_member(&merged)
            && let Some(Value::Array(items)) = merged.get_mut(&list)
            && items.len() > limit
        {
            items.truncate(limit);
        }
        if gathered <= limit
            && let Some(object) = merged.as_object_mut()
        {
            object.remove("NextToken");
        }
        Ok(merged)
    }

    /// An elastic channel's memberships or messages across every sub-channel: ListSubChannels, then
    /// the list in each, each item marked with its SubChannelId.
    async fn across_sub_channels(
        &self,
        op: &Operation,
        input: Map<String, Value>,
        limit: Option<usize>,
    ) -> Result<Value, Failure> {
        let subs_op = self
            .model
            .operation(Service::Messaging, "ListSubChannels")
            .ok_or_else(|| {
                Failure::new(500, "ModelError", "ListSubChannels is not in the model")
            })?;
        let mut subs_input = Map::new();
        for member in ["ChannelArn", "ChimeBearer"] {
            if let Some(value) = input.get(member) {
                subs_input.insert(member.into(), value.clone());
            }
        }
        let subs = self.all_pages(subs_op, subs_input, usize::MAX).await?;
        let limit = limit.unwrap_or(usize::MAX);
        let mut items = Vec::new();
        let mut list_name = String::new();
        for sub in subs
            .get("SubChannels")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(id) = sub.get("SubChannelId").and_then(Value::as_str) else {
                continue;
            };
            let mut per_sub = input.clone();
            per_sub.insert("SubChannelId".into(), json!(id));
            let page = self
                .all_pages(op, per_sub, limit.saturating_sub(items.len()))
                .await?;
            if let Some((list, found)) = list_member(&page) {
                list_name = list;
                items.extend(found.into_iter().map(|mut item| {
                    if let Some(object) = item.as_object_mut() {
                        object.insert("SubChannelId".into(), json!(id));
                    }
                    item
                }));
            }
            if items.len() >= limit {
                items.truncate(limit);
                break;
            }
        }
        if list_name.is_empty() {
            list_name = if op.name == "ListChannelMessages" {
                "ChannelMessages"
            } else {
                "ChannelMemberships"
            }
            .into();
        }
        Ok(json!({"ChannelArn": input.get("ChannelArn"), list_name: items}))
    }

    /// BatchCreateChannelMembership with any number of members: split into batches of 100, run a few
    /// at a time, members and per-member `Errors` merged; a batch that fails as a whole reports each
    /// of its members, so none is dropped.
    async fn batch_memberships(
        &self,
        op: &Operation,
        input: Map<String, Value>,
    ) -> Result<Value, Failure> {
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

/// The list an answer pages over (its one array member) and its items.
fn list_member(page: &Value) -> Option<(String, Vec<Value>)> {
    page.as_object()?
        .iter()
        .find_map(|(name, value)| value.as_array().map(|items| (name.clone(), items.clone())))
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

/// ARN mix-ups the model's patterns let through: a user ARN where a channel ARN belongs and the like.
fn check_arn_kinds(input: &Map<String, Value>) -> Result<(), Failure> {
    const KINDS: &[(&str, &str, &str)] = &[
        ("ChannelArn", "/channel/", "a channel"),
        ("ChimeBearer", "/user/", "an AppInstanceUser"),
        ("MemberArn", "/user/", "an AppInstanceUser"),
        ("ChannelModeratorArn", "/user/", "an AppInstanceUser"),
        ("ChannelFlowArn", "/channel-flow/", "a channel flow"),
        ("AppInstanceUserArn", "/user/", "an AppInstanceUser"),
        ("AppInstanceAdminArn", "/user/", "an AppInstanceUser"),
    ];
    for (member, marker, what) in KINDS {
        if let Some(arn) = input.get(*member).and_then(Value::as_str) {
            let bot = *marker == "/user/" && arn.contains("/bot/");
            if !arn.contains(marker) && !bot {
                return Err(Failure {
                    field: Some((*member).into()),
                    ..Failure::new(
                        400,
                        "ValidationError",
                        format!("{arn} is not the ARN of {what}"),
                    )
                });
            }
        }
    }
    Ok(())
}
