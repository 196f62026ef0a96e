//! Who is calling, read from the event as API Gateway delivers it: the IAM principal of a SigV4
//! request (`requestContext.authorizer.iam`), the claims of a JWT authorizer
//! (`requestContext.authorizer.jwt`), or a direct Lambda invocation (IAM's `lambda:InvokeFunction`
//! already decided who may make one; the event names no one).

use std::collections::BTreeMap;

use aws_lambda_events::event::apigw::ApiGatewayV2httpRequestContext;

/// The caller of one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Caller {
    /// A SigV4-signed request through the HTTP API's `AWS_IAM` authorizer.
    Iam {
        /// `userArn`: the IAM user, or `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
        user_arn: String,
        /// The principal's account.
        account_id: String,
        /// The principal's organization, when it has one.
        org_id: Option<String>,
        /// The account the API itself belongs to (the event's `requestContext.accountId`).
        api_account: String,
    },
    /// A bearer token validated by the HTTP API's JWT authorizer (Cognito or any OIDC issuer).
    Jwt {
        /// The token's claims as the authorizer hands them over (arrays flattened to `[a b]`).
        claims: BTreeMap<String, String>,
        /// The token's scopes.
        scopes: Vec<String>,
    },
    /// A direct invocation of the function (Lambda Invoke: scripts, Step Functions).
    Direct,
    /// An HTTP request that reached the function with no authorizer context: refused.
    #[default]
    Anonymous,
}

impl Caller {
    /// The caller as read from an HTTP API (payload 2.0) request context.
    pub fn from_http(context: &ApiGatewayV2httpRequestContext) -> Self {
        let Some(authorizer) = &context.authorizer else {
            return Caller::Anonymous;
        };
        if let Some(iam) = &authorizer.iam
            && let Some(user_arn) = iam.user_arn.as_deref().filter(|arn| !arn.is_empty())
        {
            return Caller::Iam {
                user_arn: user_arn.to_owned(),
                account_id: iam.account_id.clone().unwrap_or_default(),
                org_id: iam.principal_org_id.clone().filter(|id| !id.is_empty()),
                api_account: context.account_id.clone().unwrap_or_default(),
            };
        }
        if let Some(jwt) = &authorizer.jwt {
            return Caller::Jwt {
                claims: jwt
                    .claims
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                scopes: jwt.scopes.clone().unwrap_or_default(),
            };
        }
        Caller::Anonymous
    }

    /// How the caller is named in refusals and audit lines: the IAM ARN, `jwt:ISSUER#SUB`,
    /// `lambda-invoke` or `anonymous`.
    pub fn principal(&self) -> String {
        match self {
            Caller::Iam { user_arn, .. } => user_arn.clone(),
            Caller::Jwt { claims, .. } => format!(
                "jwt:{}#{}",
                claims.get("iss").map_or("-", String::as_str),
                claims.get("sub").map_or("-", String::as_str)
            ),
            Caller::Direct => "lambda-invoke".into(),
            Caller::Anonymous => "anonymous".into(),
        }
    }

    /// A claim of a JWT caller.
    pub fn claim(&self, name: &str) -> Option<&str> {
        match self {
            Caller::Jwt { claims, .. } => claims.get(name).map(String::as_str),
            _ => None,
        }
    }
}

/// A claim's values: HTTP APIs pass an array claim (`cognito:groups`) as `[a b c]`, and `scope` is
/// space-separated; a plain value is one value.
pub fn claim_values(value: &str) -> Vec<&str> {
    let inner = value
        .strip_prefix('[')
        .and_then(|v| v.strip_suffix(']'))
        .unwrap_or(value);
    inner
        .split([' ', ','])
        .filter(|part| !part.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_claims_are_read_as_their_values() {
        assert_eq!(
            claim_values("[admins moderators]"),
            ["admins", "moderators"]
        );
        assert_eq!(
            claim_values("chat/read chat/write"),
            ["chat/read", "chat/write"]
        );
        assert_eq!(claim_values("bob"), ["bob"]);
    }
}
