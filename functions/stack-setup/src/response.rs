//! Answering CloudFormation: the response document, and the PUT to the request's pre-signed
//! `ResponseURL` (an S3 URL in AWS, any HTTP(S) URL in tests), retried with backoff.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use aws_lambda_events::event::cloudformation::{
    CloudFormationCustomResourceResponse, CloudFormationCustomResourceResponseStatus,
};
use bytes::Bytes;
use chime_flow::retry::{RetryPolicy, Retryable, retry};
use http_body_util::Full;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// The identifiers every response repeats from its request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Envelope {
    pub response_url: String,
    pub stack_id: String,
    pub request_id: String,
    pub logical_resource_id: String,
}

/// The document CloudFormation reads: SUCCESS with data, or FAILED with the reason it shows the user.
pub fn document(
    envelope: &Envelope,
    physical_resource_id: &str,
    result: Result<HashMap<String, String>, String>,
) -> CloudFormationCustomResourceResponse {
    let mut response = CloudFormationCustomResourceResponse::default();
    response.physical_resource_id = physical_resource_id.to_owned();
    response.stack_id = envelope.stack_id.clone();
    response.request_id = envelope.request_id.clone();
    response.logical_resource_id = envelope.logical_resource_id.clone();
    match result {
        Ok(data) => {
            response.status = CloudFormationCustomResourceResponseStatus::Success;
            response.data = data;
        }
        Err(reason) => {
            response.status = CloudFormationCustomResourceResponseStatus::Failed;
            // CloudFormation shows at most 4 KB of the whole response; keep the reason well inside.
            response.reason = Some(reason.chars().take(2000).collect());
        }
    }
    response
}

/// Why a response could not be delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot deliver the response to CloudFormation: {detail}")]
pub struct DeliveryError {
    pub detail: String,
    retryable: bool,
}

impl Retryable for DeliveryError {
    fn is_retryable(&self) -> bool {
        self.retryable
    }
}

/// The port: deliver a response document.
pub trait ResponseSink: Send + Sync {
    fn deliver(
        &self,
        url: &str,
        body: String,
    ) -> impl Future<Output = Result<(), DeliveryError>> + Send;
}

/// HTTPS (or plain HTTP, for local stand-ins) PUT with the system's trust roots.
pub struct HttpSink {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    policy: RetryPolicy,
}

impl HttpSink {
    pub fn new() -> Result<Self, std::io::Error> {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Self {
            client: Client::builder(TokioExecutor::new()).build(connector),
            policy: RetryPolicy {
                max_attempts: 5,
                base_delay: Duration::from_millis(200),
                max_delay: Duration::from_secs(2),
                budget: Duration::from_secs(10),
            },
        })
    }

    async fn put_once(&self, url: &str, body: &str) -> Result<(), DeliveryError> {
        let transient = |detail: String| DeliveryError {
            detail,
            retryable: true,
        };
        let request = put_request(url, body).map_err(|detail| DeliveryError {
            detail,
            retryable: false,
        })?;
        let response = tokio::time::timeout(Duration::from_secs(5), self.client.request(request))
            .await
            .map_err(|_| transient("no answer within 5 s".into()))?
            .map_err(|e| transient(e.to_string()))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(DeliveryError {
                detail: format!("HTTP {status}"),
                retryable: status.is_server_error() || status.as_u16() == 429,
            })
        }
    }
}

/// The URL is pre-signed without a content type: send an empty one, as CloudFormation's own helper
/// does, or S3 refuses the signature.
fn put_request(url: &str, body: &str) -> Result<http::Request<Full<Bytes>>, String> {
    http::Request::put(url)
        .header("content-type", "")
        .header("content-length", body.len())
        .body(Full::new(Bytes::from(body.to_owned())))
        .map_err(|e| format!("{url} is not a usable URL: {e}"))
}

impl ResponseSink for HttpSink {
    async fn deliver(&self, url: &str, body: String) -> Result<(), DeliveryError> {
        retry(&self.policy, |_| self.put_once(url, &body))
            .await
            .map(|_| ())
            .map_err(|e| e.last)
    }
}
