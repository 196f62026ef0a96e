//! stack-setup: the CloudFormation custom resource that does what the template cannot declare —
//! makes the stack's service user an AppInstanceAdmin and associates the channel flow with the listed
//! channels — idempotent on create and update, clean on delete, and always answering CloudFormation:
//! bad properties, a Chime error, a panic or the approaching Lambda timeout all become FAILED with the
//! reason, so a stack never hangs waiting for this resource.
//!
//! - [`properties`]: the resource's properties, checked; [`plan`]: what a request means in Chime
//!   calls, decided without calling anything.
//! - [`chime`]: the port to Chime and its SDK adapter; [`response`]: the answer to CloudFormation.

pub mod chime;
pub mod plan;
pub mod properties;
pub mod response;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lambda_runtime::Diagnostic;
use serde_json::Value;

use chime::{ChimeSetup, Outcome};
use plan::Action;
use properties::Setup;
use response::{DeliveryError, Envelope, ResponseSink, document};

/// Time kept back from the Lambda deadline to send the response when the work runs late.
pub const RESPONSE_RESERVE: Duration = Duration::from_secs(5);

/// Why no response could be sent. A Lambda error, so that Lambda's asynchronous retry re-delivers.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("not a CloudFormation custom resource request: {0}")]
    InvalidEvent(String),
    #[error(transparent)]
    Delivery(#[from] DeliveryError),
}

impl From<SetupError> for Diagnostic {
    fn from(error: SetupError) -> Self {
        let error_type = match &error {
            SetupError::InvalidEvent(_) => "InvalidEvent",
            SetupError::Delivery(_) => "ResponseNotDelivered",
        };
        Diagnostic {
            error_type: error_type.to_owned(),
            error_message: error.to_string(),
        }
    }
}

/// What was answered, for logs and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answered {
    pub request_type: String,
    pub physical_resource_id: String,
    pub result: Result<HashMap<String, String>, String>,
}

fn field(event: &Value, name: &str) -> Option<String> {
    event.get(name).and_then(Value::as_str).map(str::to_owned)
}

/// Handles one request within `time_left` (the Lambda deadline less [`RESPONSE_RESERVE`] is the
/// work's limit) and delivers the response.
pub async fn handle<C, S>(
    chime: Arc<C>,
    sink: &S,
    event: &Value,
    time_left: Duration,
) -> Result<Answered, SetupError>
where
    C: ChimeSetup + 'static,
    S: ResponseSink,
{
    let envelope = Envelope {
        response_url: field(event, "ResponseURL")
            .ok_or_else(|| SetupError::InvalidEvent("ResponseURL: missing".into()))?,
        stack_id: field(event, "StackId").unwrap_or_default(),
        request_id: field(event, "RequestId").unwrap_or_default(),
        logical_resource_id: field(event, "LogicalResourceId").unwrap_or_default(),
    };
    let request_type = field(event, "RequestType").unwrap_or_default();
    let properties = event.get("ResourceProperties").cloned().unwrap_or_default();
    let new = Setup::from_properties(&properties);
    // Create names the resource; Update and Delete keep the name CloudFormation already has (so an
    // update is never a replacement: the update itself moves what changed).
    let physical_resource_id = match (&request_type[..], field(event, "PhysicalResourceId")) {
        (_, Some(id)) if request_type != "Create" => id,
        _ => match &new {
            Ok(setup) => format!("{}/chime-flow-setup", setup.app_instance),
            Err(_) => format!("chime-flow-setup-not-created-{}", envelope.request_id),
        },
    };

    let actions: Result<Vec<Action>, String> = match (&request_type[..], new) {
        ("Create", Ok(setup)) => Ok(plan::create(&setup)),
        ("Update", Ok(setup)) => {
            let old = event
                .get("OldResourceProperties")
                .cloned()
                .unwrap_or_default();
            match Setup::from_properties(&old) {
                Ok(old) => Ok(plan::update(&old, &setup)),
                // What the old properties described was never set up: only set up the new.
                Err(_) => Ok(plan::create(&setup)),
            }
        }
        // A failed create rolls back with a Delete of properties that never worked: nothing to undo.
        ("Delete", Ok(setup)) => Ok(plan::delete(&setup)),
        ("Delete", Err(_)) => Ok(Vec::new()),
        (_, Err(e)) => Err(format!("invalid properties: {e}")),
        (other, Ok(_)) => Err(format!("unknown RequestType {other:?}")),
    };

    let result = match actions {
        Err(reason) => Err(reason),
        Ok(actions) => {
            run_bounded(chime, actions, time_left.saturating_sub(RESPONSE_RESERVE)).await
        }
    };
    match &result {
        Ok(_) => tracing::info!(request_type, physical_resource_id, "setup done"),
        Err(reason) => tracing::warn!(request_type, physical_resource_id, reason, "setup failed"),
    }
    let body = serde_json::to_string(&document(&envelope, &physical_resource_id, result.clone()))
        .map_err(|e| SetupError::InvalidEvent(e.to_string()))?;
    sink.deliver(&envelope.response_url, body).await?;
    Ok(Answered {
        request_type,
        physical_resource_id,
        result,
    })
}

/// Runs the actions in order on a task of their own, so that a panic or the deadline still leaves
/// time and a reason to answer with. The reason names the step that failed or was running.
async fn run_bounded<C: ChimeSetup + 'static>(
    chime: Arc<C>,
    actions: Vec<Action>,
    limit: Duration,
) -> Result<HashMap<String, String>, String> {
    let total = actions.len();
    let step = Arc::new(Mutex::new(String::from("starting")));
    let progress = Arc::clone(&step);
    let work = tokio::spawn(async move {
        let mut already = 0;
        for (index, action) in actions.iter().enumerate() {
            let what = action.describe();
            if let Ok(mut current) = progress.lock() {
                *current = format!("step {} of {total}: {what}", index + 1);
            }
            match chime.apply(action).await {
                Ok(Outcome::Done) => tracing::info!(action = %what, "done"),
                Ok(Outcome::AlreadySo) => {
                    already += 1;
                    tracing::info!(action = %what, "already so");
                }
                Err(e) => return Err(e.to_string()),
            }
        }
        Ok(HashMap::from([
            ("Actions".to_owned(), total.to_string()),
            ("AlreadyDone".to_owned(), already.to_string()),
        ]))
    });
    let abort = work.abort_handle();
    let current = || step.lock().map(|s| s.clone()).unwrap_or_default();
    match tokio::time::timeout(limit, work).await {
        Ok(Ok(result)) => result,
        Ok(Err(joined)) if joined.is_panic() => Err(format!(
            "internal error: the setup panicked at {} (see the function's log)",
            current()
        )),
        Ok(Err(joined)) => Err(format!(
            "the setup was cancelled at {}: {joined}",
            current()
        )),
        Err(_) => {
            abort.abort();
            Err(format!(
                "timed out after {} s at {}; the Lambda timeout leaves no time to finish",
                limit.as_secs(),
                current()
            ))
        }
    }
}
