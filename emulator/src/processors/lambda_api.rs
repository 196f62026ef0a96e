//! Processors reached through the Lambda Invoke API (what `cargo lambda watch` serves).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chime_flow::redrive::FunctionError;
use http_body_util::{BodyExt, Full};

/// The largest answer read from a Lambda endpoint (Lambda's own limit for a synchronous response).
pub const MAX_RESPONSE_BYTES: usize = 6 * 1024 * 1024;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

use super::async_retry::AsyncQueue;
use super::{InvokeError, InvokeFuture, ProcessorInvoker, function_name};

/// The Lambda Invoke API (`POST /2015-03-31/functions/NAME/invocations`) over plain HTTP, what
/// `cargo lambda watch` serves. Each delivery is a `RequestResponse` invocation made in the
/// background (chime-local plays Lambda's asynchronous queue), so a function error is seen and
/// retried as Lambda retries an asynchronous event, then kept on the failure queue.
pub struct LambdaApi {
    endpoint: String,
    client: Client<HttpConnector, Full<Bytes>>,
    queue: AsyncQueue,
}

impl LambdaApi {
    pub fn new(endpoint: &str, queue: AsyncQueue) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(Duration::from_secs(2)));
        Self {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            client: Client::builder(TokioExecutor::new()).build(connector),
            queue,
        }
    }

    /// One `RequestResponse` invocation: the function's answer or its error; `Err` when the
    /// endpoint itself could not be reached or refused the call.
    pub async fn invoke_sync(
        &self,
        name: &str,
        payload: &Value,
    ) -> Result<Result<Value, FunctionError>, InvokeError> {
        invoke_request_response(&self.client, &self.endpoint, name, payload).await
    }
}

async fn invoke_request_response(
    client: &Client<HttpConnector, Full<Bytes>>,
    endpoint: &str,
    name: &str,
    payload: &Value,
) -> Result<Result<Value, FunctionError>, InvokeError> {
    let url = format!("{endpoint}/2015-03-31/functions/{name}/invocations");
    let refused = |detail: String| InvokeError::Lambda {
        endpoint: endpoint.to_owned(),
        detail,
    };
    let request = axum::http::Request::post(&url)
        .header("content-type", "application/json")
        .header("x-amz-invocation-type", "RequestResponse")
        .body(Full::new(Bytes::from(payload.to_string())))
        .map_err(|e| refused(e.to_string()))?;
    let response = tokio::time::timeout(Duration::from_secs(60), client.request(request))
        .await
        .map_err(|_| refused("no answer within 60 s".into()))?
        .map_err(|e| refused(e.to_string()))?;
    let status = response.status();
    let function_error = response.headers().contains_key("x-amz-function-error");
    // Lambda answers a synchronous invocation with at most 6 MB: a longer answer is not read.
    let body = match http_body_util::Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
        .collect()
        .await
    {
        Ok(body) => body.to_bytes(),
        Err(e) => {
            return Err(refused(format!(
                "the answer is not readable within {MAX_RESPONSE_BYTES} bytes: {e}"
            )));
        }
    };
    let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let error_type = answer.get("errorType").and_then(Value::as_str);
    match (status.is_success(), function_error, error_type) {
        (true, false, _) => Ok(Ok(answer)),
        (_, true, _) | (false, _, Some(_)) => Ok(Err(FunctionError {
            error_type: error_type.unwrap_or("Unhandled").to_owned(),
            message: answer
                .get("errorMessage")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        })),
        (false, false, None) => Err(refused(format!("HTTP {status}"))),
    }
}

impl ProcessorInvoker for LambdaApi {
    fn invoke(&self, function_arn: &str, payload: Value) -> InvokeFuture {
        let Some(name) = function_name(function_arn).map(str::to_owned) else {
            let arn = function_arn.to_owned();
            return Box::pin(async move { Err(InvokeError::BadArn(arn)) });
        };
        let (client, endpoint) = (self.client.clone(), self.endpoint.clone());
        let retry = self.queue.retry(function_arn);
        let journal = Arc::clone(&self.queue.journal);
        Box::pin(async move {
            // The first delivery tells whether the function can be reached at all (if not, the
            // flow's FallbackAction applies); a function error is retried in the background.
            let first = invoke_request_response(&client, &endpoint, &name, &payload).await?;
            if let Ok(answer) = &first {
                journal.report(&name, answer);
            }
            if let Err(failed) = first {
                tokio::spawn(async move {
                    let deliver = || {
                        let (client, endpoint, name, payload, journal) = (
                            client.clone(),
                            endpoint.clone(),
                            name.clone(),
                            payload.clone(),
                            Arc::clone(&journal),
                        );
                        async move {
                            match invoke_request_response(&client, &endpoint, &name, &payload).await
                            {
                                Ok(Ok(answer)) => {
                                    journal.report(&name, &answer);
                                    Ok(())
                                }
                                Ok(Err(error)) => Err(error),
                                Err(unreachable) => Err(FunctionError {
                                    error_type: "ServiceUnreachable".into(),
                                    message: unreachable.to_string(),
                                }),
                            }
                        }
                    };
                    retry.after_failure(&payload, failed, deliver).await;
                });
            }
            Ok(())
        })
    }
}
