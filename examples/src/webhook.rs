//! A stage that asks a team's own HTTP moderation service: each message is POSTed as JSON
//! (`{"MessageId", "ChannelArn", "SenderArn", "Content"}`) and the service answers
//! `{"Verdict": "pass" | "deny", "Rule": "spam"}` (`Rule` optional). No answer within the event's
//! budget is a stage timeout (the runtime drops the request); whatever else goes wrong — a refused
//! connection, a non-2xx status, an answer that is not a verdict, a connection closed mid-answer —
//! is a [`StageError`] naming what happened (never the URL or the message). Either way the
//! processor's failure policy decides, and the callback is still made once.
//!
//! `MODERATION_WEBHOOK_URL` (http or https) names the service.

use std::time::Duration;

use bytes::Bytes;
use chime_flow::stage::{AsyncStage, StageFuture};
use chime_flow::{ChannelMessage, ConfigError, Decision, Env, StageError};
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::{Deserialize, Serialize};

/// The largest answer read: a verdict is a few bytes; more is not one.
const MAX_ANSWER_BYTES: usize = 64 * 1024;
/// The longest rule name taken from the service (it becomes the deny's rule id, and is logged).
const MAX_RULE_CHARS: usize = 64;

/// What the service is sent.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Question<'a> {
    message_id: &'a str,
    channel_arn: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    sender_arn: Option<&'a str>,
    content: &'a str,
}

/// What the service answers.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Answer {
    verdict: String,
    #[serde(default)]
    rule: Option<String>,
}

/// The webhook stage.
pub struct Webhook {
    url: http::Uri,
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl Webhook {
    /// A stage asking the service at `url` (http or https; https with the system's trust roots).
    pub fn new(url: &str) -> Result<Self, ConfigError> {
        let invalid = |problem: String| ConfigError::new("MODERATION_WEBHOOK_URL", problem);
        let url: http::Uri = url
            .parse()
            .map_err(|e| invalid(format!("not a URL: {e}")))?;
        if !matches!(url.scheme_str(), Some("http" | "https")) || url.host().is_none() {
            return Err(invalid(
                "must be an http:// or https:// URL with a host".into(),
            ));
        }
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(|e| invalid(format!("no trust roots for https: {e}")))?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Self {
            url,
            client: Client::builder(TokioExecutor::new()).build(connector),
        })
    }

    /// The stage for `MODERATION_WEBHOOK_URL`.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let url = env
            .get("MODERATION_WEBHOOK_URL")
            .ok_or_else(|| ConfigError::new("MODERATION_WEBHOOK_URL", "is required"))?;
        Self::new(url)
    }

    async fn ask(&self, message: &ChannelMessage) -> Result<Decision, StageError> {
        let question = Question {
            message_id: &message.message_id,
            channel_arn: message.channel_arn.as_str(),
            sender_arn: message.sender_arn(),
            content: message.text(),
        };
        let body = serde_json::to_vec(&question).map_err(|e| failed(format!("request: {e}")))?;
        let request = http::Request::post(self.url.clone())
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| failed(format!("request: {e}")))?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| failed(format!("no answer ({})", connection_problem(&e))))?;
        let status = response.status();
        if !status.is_success() {
            return Err(failed(format!("answered HTTP {}", status.as_u16())));
        }
        let bytes = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
            .collect()
            .await
            .map_err(|_| failed("the answer was cut off or too long".into()))?
            .to_bytes();
        verdict(&bytes)
    }
}

/// The verdict in a service's answer body.
pub fn verdict(body: &[u8]) -> Result<Decision, StageError> {
    let answer: Answer = serde_json::from_slice(body).map_err(|_| {
        failed(r#"the answer is not a verdict (expected {"Verdict": "pass" | "deny"})"#.into())
    })?;
    match answer.verdict.as_str() {
        "pass" => Ok(Decision::Pass),
        "deny" => {
            let rule = answer.rule.unwrap_or_else(|| "denied".into());
            let clean = rule.len() <= MAX_RULE_CHARS
                && !rule.is_empty()
                && rule
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'));
            Ok(Decision::deny(if clean { rule } else { "denied".into() }))
        }
        _ => Err(failed(
            r#"the answer's Verdict is neither "pass" nor "deny""#.into(),
        )),
    }
}

fn failed(what: String) -> StageError {
    StageError(format!("webhook: {what}"))
}

/// Refused, reset or closed early, without the URL (it may carry a token).
fn connection_problem(error: &hyper_util::client::legacy::Error) -> &'static str {
    if error.is_connect() {
        "connection refused or unreachable"
    } else {
        "connection closed before a full answer"
    }
}

impl AsyncStage for Webhook {
    fn name(&self) -> &str {
        "webhook"
    }

    /// No timer of its own: the runtime drops this future when the event's budget is spent (the
    /// connection with it) and the failure policy decides as for a stage timeout.
    fn decide<'a>(&'a self, message: &'a ChannelMessage, _budget: Duration) -> StageFuture<'a> {
        Box::pin(self.ask(message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_and_what_is_not_one() {
        assert_eq!(verdict(br#"{"Verdict": "pass"}"#), Ok(Decision::Pass));
        assert_eq!(
            verdict(br#"{"Verdict": "deny", "Rule": "spam:links"}"#),
            Ok(Decision::deny("spam:links"))
        );
        assert_eq!(
            verdict(br#"{"Verdict": "deny", "Rule": "you said <b>this</b>"}"#),
            Ok(Decision::deny("denied")),
            "a rule that could carry text is not taken"
        );
        for garbage in [
            &b"<html>oops</html>"[..],
            b"{\"Verdict\": \"maybe\"}",
            b"",
            b"[]",
        ] {
            let error = verdict(garbage).unwrap_err();
            assert!(error.0.starts_with("webhook: "), "{error}");
        }
    }

    #[test]
    fn the_url_is_checked() {
        for bad in ["", "not a url", "ftp://host/x", "/relative"] {
            let error = Webhook::new(bad).err().expect(bad);
            assert_eq!(error.var, "MODERATION_WEBHOOK_URL");
        }
        assert!(Webhook::from_env(&Env::default()).is_err());
    }
}
