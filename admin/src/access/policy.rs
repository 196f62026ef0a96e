//! The access policy: one JSON document saying, statement by statement, which callers may run which
//! operations, on which app instances and channels, and as which Chime bearer. Read and checked once
//! at start-up (an unknown operation, principal kind, pattern or claim use stops start-up, naming
//! it); everything no statement grants is refused.
//!
//! ```json
//! {"Version": "1", "Statements": [
//!   {"Sid": "Operators", "Principals": ["arn:aws:iam::111122223333:role/chat-ops"],
//!    "Operations": ["*"], "NotOperations": ["@identity-admin"]},
//!   {"Sid": "EndUsers", "Principals": ["jwt"], "Claims": {"token_use": "access"},
//!    "Operations": ["SendChannelMessage", "ListChannelMessages"],
//!    "Channels": ["arn:aws:chime:us-east-1:111122223333:app-instance/ID/channel/*"],
//!    "Bearer": {"FromClaim": "sub"}}]}
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use super::caller::{Caller, claim_values};

/// Operation groups a statement may name with `@`.
pub const GROUPS: &[(&str, &str)] = &[
    (
        "@read",
        "Describe*, Get*, List*, Search* (reads of every kind)",
    ),
    (
        "@identity-admin",
        "Create/Update/DeleteAppInstanceUser, Create/DeleteAppInstanceAdmin",
    ),
    (
        "@flow-admin",
        "Create/Update/DeleteChannelFlow, Associate/DisassociateChannelFlow",
    ),
    ("@streaming", "Put/DeleteMessagingStreamingConfigurations"),
    ("@replay", "RedriveFailedEvents"),
];

fn in_group(group: &str, operation: &str) -> Option<bool> {
    Some(match group {
        "@read" => ["Describe", "Get", "List", "Search"]
            .iter()
            .any(|verb| operation.starts_with(verb)),
        "@identity-admin" => matches!(
            operation,
            "CreateAppInstanceUser"
                | "UpdateAppInstanceUser"
                | "DeleteAppInstanceUser"
                | "CreateAppInstanceAdmin"
                | "DeleteAppInstanceAdmin"
        ),
        "@flow-admin" => matches!(
            operation,
            "CreateChannelFlow"
                | "UpdateChannelFlow"
                | "DeleteChannelFlow"
                | "AssociateChannelFlow"
                | "DisassociateChannelFlow"
        ),
        "@streaming" => matches!(
            operation,
            "PutMessagingStreamingConfigurations" | "DeleteMessagingStreamingConfigurations"
        ),
        "@replay" => operation == crate::api::REDRIVE_OPERATION,
        _ => return None,
    })
}

/// The policy a stack gets when it names none: IAM principals of the API's own account and direct
/// invocations may run every offered operation as the service user, except administering identities
/// and flows, streaming configurations and replays.
pub const DEFAULT_POLICY: &str = r#"{"Version": "1", "Statements": [{
  "Sid": "SameAccountWithoutAdministration",
  "Principals": ["same-account", "direct"],
  "Operations": ["*"],
  "NotOperations": ["@identity-admin", "@flow-admin", "@streaming", "@replay"],
  "Bearer": "ServiceUser"}]}"#;

/// A policy that grants every operation to every caller with an authorizer context, as the service
/// user: for tests and local tools, never a deployment.
pub const ALLOW_ALL: &str = r#"{"Version": "1", "Statements": [{"Sid": "Everything",
  "Principals": ["*"], "Operations": ["*"], "Bearer": "ServiceUser"}]}"#;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct Document {
    #[serde(default)]
    version: Option<String>,
    statements: Vec<StatementText>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct StatementText {
    #[serde(default)]
    sid: Option<String>,
    #[serde(default)]
    principals: Vec<String>,
    #[serde(default)]
    claims: BTreeMap<String, String>,
    operations: Vec<String>,
    #[serde(default)]
    not_operations: Vec<String>,
    #[serde(default)]
    app_instances: Vec<String>,
    #[serde(default)]
    channels: Vec<String>,
    #[serde(default)]
    bearer: Option<BearerText>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum BearerText {
    Named(String),
    FromClaim {
        #[serde(rename = "FromClaim")]
        from_claim: String,
    },
}

/// Whom a statement names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Principal {
    /// `*`: any authenticated caller.
    Anyone,
    /// `same-account`: an IAM principal of the API's own account.
    SameAccount,
    /// `account:ID`.
    Account(String),
    /// `org:ID`.
    Org(String),
    /// `arn:…` (with `*` wildcards): an IAM user or role ARN as the authorizer reports it.
    IamArn(String),
    /// `jwt`: any caller with a token the JWT authorizer accepted (narrowed by `Claims`).
    Jwt,
    /// `direct`: a direct invocation of the function.
    Direct,
}

impl Principal {
    fn parse(text: &str) -> Result<Self, String> {
        Ok(match text {
            "*" => Principal::Anyone,
            "same-account" => Principal::SameAccount,
            "jwt" => Principal::Jwt,
            "direct" => Principal::Direct,
            _ if text.starts_with("arn:") => Principal::IamArn(text.to_owned()),
            _ => match text.split_once(':') {
                Some(("account", id))
                    if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    Principal::Account(id.to_owned())
                }
                Some(("org", id)) if id.starts_with("o-") => Principal::Org(id.to_owned()),
                _ => {
                    return Err(format!(
                        "{text:?} is not a principal: use *, same-account, account:ID (12 digits), \
                         org:o-ID, an IAM ARN (wildcards *), jwt or direct"
                    ));
                }
            },
        })
    }

    fn matches(&self, caller: &Caller) -> bool {
        match (self, caller) {
            (_, Caller::Anonymous) => false,
            (Principal::Anyone, _) => true,
            (Principal::Direct, Caller::Direct) => true,
            (Principal::Jwt, Caller::Jwt { .. }) => true,
            (
                Principal::SameAccount,
                Caller::Iam {
                    account_id,
                    api_account,
                    ..
                },
            ) => !account_id.is_empty() && account_id == api_account,
            (Principal::Account(id), Caller::Iam { account_id, .. }) => id == account_id,
            (Principal::Org(id), Caller::Iam { org_id, .. }) => org_id.as_deref() == Some(id),
            (Principal::IamArn(pattern), Caller::Iam { user_arn, .. }) => {
                wildcard(pattern, user_arn)
            }
            _ => false,
        }
    }

    fn is_jwt(&self) -> bool {
        *self == Principal::Jwt
    }
}

/// As which Chime bearer (`x-amz-chime-bearer`) a granted call is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BearerRule {
    /// The stack's service user (an AppInstanceAdmin); a caller naming another bearer is refused.
    ServiceUser,
    /// Whichever user of the app instance the caller names (the service user if none): only for a
    /// trusted backend that vouches for its own users.
    AnyUser,
    /// The caller's own AppInstanceUser, `APP_INSTANCE/user/{claim}`: an end user acts as itself and
    /// Chime's membership rules apply.
    FromClaim(String),
}

/// One checked statement.
#[derive(Debug, Clone)]
struct Statement {
    sid: String,
    principals: Vec<Principal>,
    claims: BTreeMap<String, String>,
    operations: Vec<String>,
    not_operations: Vec<String>,
    app_instances: Vec<String>,
    channels: Vec<String>,
    bearer: BearerRule,
}

/// The ARNs a request names, for the resource check and the audit line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Targets {
    /// The app instances of every ARN the request names.
    pub app_instances: Vec<String>,
    /// The channel (`ChannelArn`), when the operation names one.
    pub channel: Option<String>,
}

/// What a policy grants one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The statement that granted it.
    pub sid: String,
    /// As which bearer the call is made.
    pub bearer: BearerRule,
}

/// Why a request was refused: the principal and the operation, and what was missing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{principal} may not call {operation}{why}")]
pub struct Denied {
    /// Who asked.
    pub principal: String,
    /// For what.
    pub operation: String,
    /// What was missing, beyond the operation (a resource), with its leading separator.
    pub why: String,
}

/// A policy that could not be read: what is wrong, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("access policy: {0}")]
pub struct PolicyError(pub String);

/// A checked access policy.
#[derive(Debug, Clone)]
pub struct AccessPolicy {
    statements: Vec<Statement>,
}

impl AccessPolicy {
    /// Reads and checks a policy document against the operations the API offers.
    pub fn parse(text: &str, operations: &[&str]) -> Result<Self, PolicyError> {
        let document: Document = serde_json::from_str(text)
            .map_err(|e| PolicyError(format!("not a policy document: {e}")))?;
        if let Some(version) = &document.version
            && version != "1"
        {
            return Err(PolicyError(format!(
                "Version {version:?} is not known; this API reads version \"1\""
            )));
        }
        if document.statements.is_empty() {
            return Err(PolicyError(
                "Statements is empty: nothing would be granted".into(),
            ));
        }
        let statements = document
            .statements
            .into_iter()
            .enumerate()
            .map(|(index, text)| {
                let sid = text
                    .sid
                    .clone()
                    .unwrap_or_else(|| format!("#{}", index + 1));
                Statement::check(text, &sid, operations)
                    .map_err(|problem| PolicyError(format!("statement {sid}: {problem}")))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { statements })
    }

    /// The policy every test and local tool may use: everything granted.
    pub fn allow_all(operations: &[&str]) -> Self {
        // ALLOW_ALL is a constant checked by this crate's tests: it always parses.
        Self::parse(ALLOW_ALL, operations).unwrap_or(Self {
            statements: Vec::new(),
        })
    }

    /// Grants `operation` on `targets` to `caller`, or says why not. The first statement that
    /// matches the caller, the operation and every target grants it.
    pub fn decide(
        &self,
        caller: &Caller,
        operation: &str,
        targets: &Targets,
    ) -> Result<Grant, Denied> {
        let mut resource_miss = None;
        for statement in &self.statements {
            if !statement.names(caller) || !statement.covers(operation) {
                continue;
            }
            match statement.resource_miss(targets) {
                None => {
                    return Ok(Grant {
                        sid: statement.sid.clone(),
                        bearer: statement.bearer.clone(),
                    });
                }
                Some(miss) => {
                    resource_miss.get_or_insert(miss);
                }
            }
        }
        Err(Denied {
            principal: caller.principal(),
            operation: operation.to_owned(),
            why: resource_miss.map_or_else(
                || match caller {
                    Caller::Anonymous => {
                        " (the request carries no authorizer context: the route must use AWS_IAM or the JWT authorizer)".into()
                    }
                    _ => String::new(),
                },
                |miss| format!(" on {miss}"),
            ),
        })
    }
}

impl Statement {
    fn check(text: StatementText, sid: &str, operations: &[&str]) -> Result<Self, String> {
        let mut principals = text
            .principals
            .iter()
            .map(|p| Principal::parse(p))
            .collect::<Result<Vec<_>, _>>()?;
        if principals.is_empty() {
            if text.claims.is_empty() {
                return Err("names no Principals (and no Claims)".into());
            }
            principals.push(Principal::Jwt);
        }
        for claim in text.claims.keys() {
            if claim.is_empty() || claim.contains(char::is_whitespace) {
                return Err(format!("Claims: {claim:?} is not a claim name"));
            }
        }
        if !text.claims.is_empty() && !principals.iter().all(Principal::is_jwt) {
            return Err(
                "Claims are only carried by JWT callers: its Principals must be [\"jwt\"]".into(),
            );
        }
        for pattern in text.operations.iter().chain(&text.not_operations) {
            let known = match in_group(pattern, "") {
                Some(_) => true,
                None if pattern.starts_with('@') => false,
                None => operations.iter().any(|op| wildcard(pattern, op)),
            };
            if !known {
                return Err(format!(
                    "{pattern:?} names no operation this API offers (groups: {})",
                    GROUPS
                        .iter()
                        .map(|(g, _)| *g)
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        if text.operations.is_empty() {
            return Err("Operations is empty".into());
        }
        for (field, patterns, marker, kind) in [
            (
                "AppInstances",
                &text.app_instances,
                "app-instance/",
                "an app instance",
            ),
            ("Channels", &text.channels, "/channel/", "a channel"),
        ] {
            for pattern in patterns {
                if pattern != "*" && !(pattern.starts_with("arn:") && pattern.contains(marker)) {
                    return Err(format!(
                        "{field}: {pattern:?} is not * or the ARN (wildcards *) of {kind}"
                    ));
                }
            }
        }
        let bearer = match text.bearer {
            None => BearerRule::ServiceUser,
            Some(BearerText::Named(name)) => match name.as_str() {
                "ServiceUser" => BearerRule::ServiceUser,
                "AnyUser" => BearerRule::AnyUser,
                other => {
                    return Err(format!(
                        "Bearer {other:?} is not known: ServiceUser, AnyUser or {{\"FromClaim\": NAME}}"
                    ));
                }
            },
            Some(BearerText::FromClaim { from_claim }) => {
                if !principals.iter().all(Principal::is_jwt) {
                    return Err(format!(
                        "Bearer FromClaim {from_claim:?} needs JWT callers: its Principals must be [\"jwt\"]"
                    ));
                }
                if from_claim.is_empty() || from_claim.contains(char::is_whitespace) {
                    return Err(format!(
                        "Bearer FromClaim {from_claim:?} is not a claim name"
                    ));
                }
                BearerRule::FromClaim(from_claim)
            }
        };
        Ok(Self {
            sid: sid.to_owned(),
            principals,
            claims: text.claims,
            operations: text.operations,
            not_operations: text.not_operations,
            app_instances: text.app_instances,
            channels: text.channels,
            bearer,
        })
    }

    fn names(&self, caller: &Caller) -> bool {
        self.principals.iter().any(|p| p.matches(caller))
            && self.claims.iter().all(|(name, pattern)| {
                caller.claim(name).is_some_and(|value| {
                    wildcard(pattern, value)
                        || claim_values(value).iter().any(|v| wildcard(pattern, v))
                })
            })
    }

    fn covers(&self, operation: &str) -> bool {
        let named = |pattern: &String| {
            in_group(pattern, operation).unwrap_or_else(|| wildcard(pattern, operation))
        };
        self.operations.iter().any(named) && !self.not_operations.iter().any(named)
    }

    /// The first target the statement does not cover, if any.
    fn resource_miss(&self, targets: &Targets) -> Option<String> {
        let allowed = |patterns: &[String], arn: &str| {
            patterns.is_empty() || patterns.iter().any(|p| wildcard(p, arn))
        };
        if let Some(instance) = targets
            .app_instances
            .iter()
            .find(|arn| !allowed(&self.app_instances, arn))
        {
            return Some(instance.clone());
        }
        targets
            .channel
            .as_ref()
            .filter(|channel| !allowed(&self.channels, channel))
            .cloned()
    }
}

/// Whether `text` matches `pattern`, where `*` stands for any run of characters (none included).
pub fn wildcard(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPS: &[&str] = &[
        "ListChannels",
        "SendChannelMessage",
        "CreateAppInstanceAdmin",
        "AssociateChannelFlow",
        "RedriveFailedEvents",
    ];

    #[test]
    fn wildcards() {
        assert!(wildcard("*", ""));
        assert!(wildcard("List*", "ListChannels"));
        assert!(!wildcard("List*", "SendChannelMessage"));
        assert!(wildcard("arn:*:role/ops-*", "arn:aws:iam::1:role/ops-eu"));
        assert!(wildcard("a*b*c", "a-b-b-c"));
        assert!(!wildcard("a*bc", "abc-"));
        assert!(!wildcard("ab*ba", "aba"));
        assert!(wildcard("ListChannels", "ListChannels"));
    }

    #[test]
    fn the_default_grants_no_administration() {
        let policy = AccessPolicy::parse(DEFAULT_POLICY, OPS).expect("the default parses");
        let same = Caller::Iam {
            user_arn: "arn:aws:iam::111122223333:user/dev".into(),
            account_id: "111122223333".into(),
            org_id: None,
            api_account: "111122223333".into(),
        };
        let t = Targets::default();
        assert!(policy.decide(&same, "ListChannels", &t).is_ok());
        assert!(
            policy
                .decide(&Caller::Direct, "SendChannelMessage", &t)
                .is_ok()
        );
        for op in [
            "CreateAppInstanceAdmin",
            "AssociateChannelFlow",
            "RedriveFailedEvents",
        ] {
            let denied = policy.decide(&same, op, &t).expect_err(op);
            assert_eq!(
                denied.to_string(),
                format!("arn:aws:iam::111122223333:user/dev may not call {op}")
            );
        }
        let foreign = Caller::Iam {
            user_arn: "arn:aws:iam::111122223333:user/dev".into(),
            account_id: "111122223333".into(),
            org_id: None,
            api_account: "444455556666".into(),
        };
        assert!(policy.decide(&foreign, "ListChannels", &t).is_err());
        assert!(
            policy
                .decide(&Caller::Anonymous, "ListChannels", &t)
                .is_err()
        );
        assert!(AccessPolicy::parse(ALLOW_ALL, OPS).is_ok());
    }

    #[test]
    fn bad_documents_name_what_is_wrong() {
        let bad = |text: &str, expected: &str| {
            let error = AccessPolicy::parse(text, OPS).expect_err(text).to_string();
            assert!(error.contains(expected), "{error}");
        };
        bad(
            r#"{"Statements": [{"Principals": ["*"], "Operations": ["SendChanelMessage"]}]}"#,
            "\"SendChanelMessage\" names no operation",
        );
        bad(
            r#"{"Statements": [{"Principals": ["*"], "Operations": ["@admins"]}]}"#,
            "\"@admins\" names no operation",
        );
        bad(
            r#"{"Statements": [{"Principals": ["user:bob"], "Operations": ["*"]}]}"#,
            "\"user:bob\" is not a principal",
        );
        bad(
            r#"{"Statements": [{"Principals": ["*"], "Operations": ["*"], "Bearer": {"FromClaim": "sub"}}]}"#,
            "needs JWT callers",
        );
        bad(
            r#"{"Statements": [{"Principals": ["same-account"], "Claims": {"sub": "x"}, "Operations": ["*"]}]}"#,
            "Claims are only carried by JWT callers",
        );
        bad(
            r#"{"Statements": [{"Principals": ["*"], "Operations": ["*"], "Channels": ["town-hall"]}]}"#,
            "Channels: \"town-hall\"",
        );
        bad(
            r#"{"Statements": [{"Principals": ["*"], "Operations": ["*"], "Actions": ["*"]}]}"#,
            "unknown field `Actions`",
        );
        bad(r#"{"Version": "2", "Statements": []}"#, "Version \"2\"");
    }

    #[test]
    fn claims_channels_and_bearers() {
        let policy = AccessPolicy::parse(
            r#"{"Statements": [{"Sid": "Members", "Claims": {"cognito:groups": "chat-users"},
                "Operations": ["SendChannelMessage"], "Channels": ["arn:aws:chime:*:app-instance/i/channel/open-*"],
                "Bearer": {"FromClaim": "sub"}}]}"#,
            OPS,
        )
        .expect("parses");
        let jwt = |groups: &str| Caller::Jwt {
            claims: [
                ("sub".to_owned(), "u1".to_owned()),
                ("cognito:groups".to_owned(), groups.to_owned()),
            ]
            .into_iter()
            .collect(),
            scopes: vec![],
        };
        let open = Targets {
            app_instances: vec!["arn:aws:chime:us-east-1:1:app-instance/i".into()],
            channel: Some("arn:aws:chime:us-east-1:1:app-instance/i/channel/open-1".into()),
        };
        let grant = policy
            .decide(&jwt("[admins chat-users]"), "SendChannelMessage", &open)
            .expect("granted");
        assert_eq!(grant.bearer, BearerRule::FromClaim("sub".into()));
        assert!(
            policy
                .decide(&jwt("[admins]"), "SendChannelMessage", &open)
                .is_err()
        );
        let closed = Targets {
            channel: Some("arn:aws:chime:us-east-1:1:app-instance/i/channel/staff".into()),
            ..open
        };
        let denied = policy
            .decide(&jwt("chat-users"), "SendChannelMessage", &closed)
            .expect_err("not that channel");
        assert!(
            denied
                .to_string()
                .ends_with("on arn:aws:chime:us-east-1:1:app-instance/i/channel/staff"),
            "{denied}"
        );
    }
}
