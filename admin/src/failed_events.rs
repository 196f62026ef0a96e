//! The replay's ports in AWS: the processors' on-failure SQS queue (`FAILED_EVENTS_QUEUE_URL`) and
//! the Lambda Invoke API (`RequestResponse`, so the processor's answer or error comes back). The
//! replay itself is `chime_flow::redrive`, the same code chime-local runs on its own queue.

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use chime_flow::redrive::{
    FailedEvents, FunctionError, InvokeFuture, PortError, PortFuture, Received, Reinvoke,
};
use serde_json::Value;

/// How long a record taken by a replay stays invisible to other consumers (a replay releases what
/// it leaves at its end; this bounds a replay that dies half-way).
const TAKEN_FOR_SECONDS: i32 = 300;

/// The on-failure destination queue on SQS.
pub struct SqsFailedEvents {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

impl SqsFailedEvents {
    pub fn new(sdk: &aws_config::SdkConfig, queue_url: String) -> Self {
        Self {
            client: aws_sdk_sqs::Client::new(sdk),
            queue_url,
        }
    }
}

impl FailedEvents for SqsFailedEvents {
    fn receive(&self, max: usize) -> PortFuture<'_, Vec<Received>> {
        Box::pin(async move {
            let answer = self
                .client
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(max.clamp(1, 10) as i32)
                .visibility_timeout(TAKEN_FOR_SECONDS)
                .wait_time_seconds(0)
                .send()
                .await
                .map_err(|e| PortError(format!("ReceiveMessage: {e}")))?;
            Ok(answer
                .messages()
                .iter()
                .filter_map(|m| {
                    Some(Received {
                        handle: m.receipt_handle()?.to_owned(),
                        body: m.body().unwrap_or_default().to_owned(),
                    })
                })
                .collect())
        })
    }

    fn delete(&self, handle: &str) -> PortFuture<'_, ()> {
        let handle = handle.to_owned();
        Box::pin(async move {
            self.client
                .delete_message()
                .queue_url(&self.queue_url)
                .receipt_handle(handle)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| PortError(format!("DeleteMessage: {e}")))
        })
    }

    fn release(&self, handle: &str) -> PortFuture<'_, ()> {
        let handle = handle.to_owned();
        Box::pin(async move {
            self.client
                .change_message_visibility()
                .queue_url(&self.queue_url)
                .receipt_handle(handle)
                .visibility_timeout(0)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| PortError(format!("ChangeMessageVisibility: {e}")))
        })
    }
}

/// Processors reached through the Lambda Invoke API.
pub struct LambdaProcessors {
    client: aws_sdk_lambda::Client,
}

impl LambdaProcessors {
    pub fn new(sdk: &aws_config::SdkConfig) -> Self {
        Self {
            client: aws_sdk_lambda::Client::new(sdk),
        }
    }
}

/// The function's answer from an Invoke response: its result, or (with `X-Amz-Function-Error`) the
/// error it reported, `{"errorType", "errorMessage"}`.
pub fn answer_of(function_error: Option<&str>, payload: &[u8]) -> Result<Value, FunctionError> {
    let body: Value = serde_json::from_slice(payload).unwrap_or(Value::Null);
    match function_error {
        None => Ok(body),
        Some(kind) => Err(FunctionError {
            error_type: body
                .get("errorType")
                .and_then(Value::as_str)
                .unwrap_or(kind)
                .to_owned(),
            message: body
                .get("errorMessage")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        }),
    }
}

impl Reinvoke for LambdaProcessors {
    fn invoke<'a>(&'a self, function: &'a str, event: &'a Value) -> InvokeFuture<'a> {
        Box::pin(async move {
            let answer = self
                .client
                .invoke()
                .function_name(function)
                .invocation_type(InvocationType::RequestResponse)
                .payload(Blob::new(event.to_string()))
                .send()
                .await
                .map_err(|e| PortError(format!("Invoke {function}: {e}")))?;
            let payload = answer.payload().map(Blob::as_ref).unwrap_or_default();
            Ok(answer_of(answer.function_error(), payload))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invoke_answer_is_the_result_or_the_reported_error() {
        let handled = br#"{"outcome": "sent", "decision": "pass"}"#;
        assert_eq!(
            answer_of(None, handled).map(|v| v["outcome"].clone()),
            Ok(Value::from("sent"))
        );
        let failed = br#"{"errorType": "CallbackForbidden", "errorMessage": "too late"}"#;
        assert_eq!(
            answer_of(Some("Unhandled"), failed),
            Err(FunctionError {
                error_type: "CallbackForbidden".into(),
                message: "too late".into()
            })
        );
        assert_eq!(
            answer_of(Some("Unhandled"), b"Task timed out").map_err(|e| e.error_type),
            Err("Unhandled".into())
        );
    }
}
