//! What a deployment allows: the operations offered and granted, the access policy, the limits.

use std::collections::BTreeSet;

use chime_api::{Model, Operation, Service};
use chime_flow::config::{ConfigError, Env};

use super::EXTRA_OPERATIONS;
use crate::access::AccessPolicy;
use crate::access::policy::DEFAULT_POLICY;

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
