//! stack-setup against chime-local (the real SDK on 127.0.0.1) with a local stand-in for
//! CloudFormation's pre-signed response URL: create, repeat, update, delete, rollback of a failed
//! create, conflicts, a panic, the deadline, and a response URL that fails.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_chimesdkmessaging as messaging;
use chime_local::testing::{Answer, ChannelSpec, Clients, StubServer, lambda_arn, processor};
use chime_local::{Config, Running};
use messaging::types::FallbackAction;
use serde_json::{Value, json};
use stack_setup::chime::{ActionError, ChimeSetup, Outcome, SdkChime};
use stack_setup::plan::Action;
use stack_setup::response::HttpSink;
use stack_setup::{Answered, SetupError, handle};

/// The response URL's stand-in: records each PUT and answers with the next scripted status (200
/// once the script is used up).
struct ResponseUrl {
    url: String,
    stub: StubServer,
}

impl ResponseUrl {
    async fn start(script: Vec<u16>) -> Self {
        let script = script.into_iter().map(Answer::status).collect();
        let stub = StubServer::start(script, |_| Answer::status(200))
            .await
            .expect("the stand-in listens");
        Self {
            url: format!("{}/cloudformation-response?X-Amz-Signature=abc", stub.url()),
            stub,
        }
    }

    /// The last response delivered; the pre-signed URL wants an empty content type.
    fn last(&self) -> Value {
        let received = self.stub.requests();
        let last = received.last().expect("a response was delivered");
        assert_eq!(
            last.header("content-type").unwrap_or("(none)"),
            "",
            "the pre-signed URL wants an empty content type"
        );
        serde_json::from_slice(&last.body).unwrap_or(Value::Null)
    }

    fn count(&self) -> usize {
        self.stub.requests().len()
    }
}

/// chime-local with an app instance, a service user, an owner, a flow and three channels.
struct Stack {
    running: Running,
    clients: Clients,
    instance: String,
    service: String,
    owner: String,
    flow: String,
    channels: Vec<String>,
}

impl Stack {
    async fn new() -> Self {
        let running = chime_local::start(Config::default(), ([127, 0, 0, 1], 0).into())
            .await
            .expect("chime-local starts");
        let clients = Clients::connect(&running.endpoint, "us-east-1", true).await;
        let set_up = clients.set_up();
        let instance = set_up.app_instance("stack").await.expect("app instance");
        let service = set_up.user(&instance, "service").await.expect("user");
        let owner = set_up.user(&instance, "owner").await.expect("user");
        let flow = Self::create_flow(&clients, &instance, "flow").await;
        let mut channels = Vec::new();
        for name in ["a", "b", "c"] {
            let spec = ChannelSpec {
                privacy: None,
                ..ChannelSpec::restricted(name, &owner, &[])
            };
            channels.push(set_up.channel(&instance, &spec).await.expect("channel"));
        }
        Self {
            running,
            clients,
            instance,
            service,
            owner,
            flow,
            channels,
        }
    }

    async fn create_flow(clients: &Clients, instance: &str, name: &str) -> String {
        let arn = lambda_arn("us-east-1", "000000000000", "flow-pipeline");
        let pipeline =
            processor("pipeline", &arn, 1, FallbackAction::Continue).expect("a processor");
        clients
            .set_up()
            .flow(instance, name, vec![pipeline])
            .await
            .expect("flow")
    }

    fn properties(&self, channels: &[usize]) -> Value {
        json!({
            "ServiceToken": "arn:aws:lambda:us-east-1:000000000000:function:stack-setup",
            "AppInstanceArn": self.instance,
            "AdminArn": self.service,
            "ChannelFlowArn": self.flow,
            "ChannelArns": channels.iter().map(|i| self.channels[*i].clone()).collect::<Vec<_>>(),
        })
    }

    async fn flows(&self) -> Vec<Option<String>> {
        let mut flows = Vec::new();
        for channel in &self.channels {
            let described = self
                .clients
                .chime
                .describe_channel()
                .channel_arn(channel)
                .chime_bearer(&self.owner)
                .send()
                .await
                .unwrap();
            flows.push(
                described
                    .channel()
                    .and_then(|c| c.channel_flow_arn())
                    .map(str::to_owned),
            );
        }
        flows
    }

    async fn is_admin(&self) -> bool {
        self.clients
            .identity
            .describe_app_instance_admin()
            .app_instance_arn(&self.instance)
            .app_instance_admin_arn(&self.service)
            .send()
            .await
            .is_ok()
    }

    async fn chime(&self) -> Arc<SdkChime> {
        Arc::new(SdkChime::new(&self.clients.sdk))
    }
}

fn request(kind: &str, url: &str, properties: Value, old: Option<Value>) -> Value {
    let mut event = json!({
        "RequestType": kind,
        "ServiceToken": properties["ServiceToken"],
        "ResponseURL": url,
        "StackId": "arn:aws:cloudformation:us-east-1:000000000000:stack/chime-flow/1",
        "RequestId": format!("req-{kind}"),
        "ResourceType": "Custom::ChimeFlowSetup",
        "LogicalResourceId": "ChimeFlowSetup",
        "ResourceProperties": properties,
    });
    if kind != "Create" {
        event["PhysicalResourceId"] = json!("the-physical-id");
    }
    if let Some(old) = old {
        event["OldResourceProperties"] = old;
    }
    event
}

const MINUTE: Duration = Duration::from_secs(60);

async fn run<C: ChimeSetup + 'static>(
    chime: Arc<C>,
    event: &Value,
    limit: Duration,
) -> Result<Answered, SetupError> {
    let sink = HttpSink::new().unwrap();
    handle(chime, &sink, event, limit).await
}

#[tokio::test]
async fn create_repeat_update_delete_converge() {
    let stack = Stack::new().await;
    let url = ResponseUrl::start(Vec::new()).await;
    let chime = stack.chime().await;
    let none = vec![None, None, None];
    let flow = Some(stack.flow.clone());

    let create = request("Create", &url.url, stack.properties(&[0, 1]), None);
    let answered = run(Arc::clone(&chime), &create, MINUTE).await.unwrap();
    assert!(answered.result.is_ok(), "{answered:?}");
    let response = url.last();
    assert_eq!(response["Status"], "SUCCESS");
    assert_eq!(
        response["PhysicalResourceId"],
        format!("{}/chime-flow-setup", stack.instance)
    );
    assert_eq!(response["RequestId"], "req-Create");
    assert_eq!(response["LogicalResourceId"], "ChimeFlowSetup");
    assert_eq!(response["Data"]["Actions"], "3");
    assert!(stack.is_admin().await);
    assert_eq!(stack.flows().await, vec![flow.clone(), flow.clone(), None]);

    // Delivered again (Lambda's async retry): everything is already so, still SUCCESS.
    run(Arc::clone(&chime), &create, MINUTE).await.unwrap();
    let response = url.last();
    assert_eq!(response["Status"], "SUCCESS");
    assert_eq!(response["Data"]["AlreadyDone"], "3");

    let update = request(
        "Update",
        &url.url,
        stack.properties(&[1, 2]),
        Some(stack.properties(&[0, 1])),
    );
    run(Arc::clone(&chime), &update, MINUTE).await.unwrap();
    let response = url.last();
    assert_eq!(response["Status"], "SUCCESS");
    assert_eq!(response["PhysicalResourceId"], "the-physical-id");
    assert_eq!(stack.flows().await, vec![None, flow.clone(), flow.clone()]);

    let delete = request("Delete", &url.url, stack.properties(&[1, 2]), None);
    run(Arc::clone(&chime), &delete, MINUTE).await.unwrap();
    assert_eq!(url.last()["Status"], "SUCCESS");
    assert_eq!(stack.flows().await, none);
    assert!(!stack.is_admin().await);
    // With everything gone, a repeated delete still succeeds (never a stuck stack).
    run(Arc::clone(&chime), &delete, MINUTE).await.unwrap();
    assert_eq!(url.last()["Status"], "SUCCESS");
    assert_eq!(url.count(), 5);
    stack.running.stop().await;
}

#[tokio::test]
async fn failures_answer_failed_with_the_reason_and_roll_back_cleanly() {
    let stack = Stack::new().await;
    let url = ResponseUrl::start(Vec::new()).await;
    let chime = stack.chime().await;

    // A user ARN where a channel belongs: FAILED before any call, naming the property.
    let mut bad = stack.properties(&[0]);
    bad["ChannelArns"] = json!([stack.owner]);
    let create = request("Create", &url.url, bad.clone(), None);
    run(Arc::clone(&chime), &create, MINUTE).await.unwrap();
    let response = url.last();
    assert_eq!(response["Status"], "FAILED");
    let reason = response["Reason"].as_str().unwrap();
    assert!(
        reason.contains("ChannelArns[0]") && reason.contains("names a user, expected a channel"),
        "{reason}"
    );
    assert!(!stack.is_admin().await);
    // CloudFormation rolls the failed create back with a Delete of the same properties.
    let rollback = request("Delete", &url.url, bad, None);
    run(Arc::clone(&chime), &rollback, MINUTE).await.unwrap();
    assert_eq!(url.last()["Status"], "SUCCESS");

    // A channel that already uses another flow: FAILED, saying which.
    let other = Stack::create_flow(&stack.clients, &stack.instance, "other").await;
    stack
        .clients
        .chime
        .associate_channel_flow()
        .channel_arn(&stack.channels[2])
        .channel_flow_arn(&other)
        .chime_bearer(&stack.owner)
        .send()
        .await
        .unwrap();
    let create = request("Create", &url.url, stack.properties(&[0, 2]), None);
    run(Arc::clone(&chime), &create, MINUTE).await.unwrap();
    let response = url.last();
    assert_eq!(response["Status"], "FAILED");
    let reason = response["Reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!("already uses the flow {other}")),
        "{reason}"
    );
    stack.running.stop().await;
}

/// A Chime port that panics or stalls, to prove the answer still goes out.
struct Misbehaving {
    panic: bool,
}

impl ChimeSetup for Misbehaving {
    async fn apply(&self, action: &Action) -> Result<Outcome, ActionError> {
        if let Action::Associate { .. } = action {
            if self.panic {
                panic!("boom");
            }
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        Ok(Outcome::Done)
    }
}

#[tokio::test]
async fn a_panic_or_the_deadline_still_answers_failed() {
    let stack = Stack::new().await;
    let url = ResponseUrl::start(Vec::new()).await;
    let create = request("Create", &url.url, stack.properties(&[0]), None);

    run(Arc::new(Misbehaving { panic: true }), &create, MINUTE)
        .await
        .unwrap();
    let reason = url.last()["Reason"].as_str().unwrap().to_owned();
    assert!(
        reason.contains("panicked at step 2 of 2: associate the flow with"),
        "{reason}"
    );

    // 6 s before the deadline: 1 s of work, 5 s kept to answer.
    let started = std::time::Instant::now();
    run(
        Arc::new(Misbehaving { panic: false }),
        &create,
        Duration::from_secs(6),
    )
    .await
    .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "answered in time"
    );
    let response = url.last();
    assert_eq!(response["Status"], "FAILED");
    let reason = response["Reason"].as_str().unwrap();
    assert!(
        reason.contains("timed out after 1 s at step 2 of 2"),
        "{reason}"
    );
    stack.running.stop().await;
}

#[tokio::test]
async fn the_response_is_retried_and_a_lost_one_is_a_lambda_error() {
    let stack = Stack::new().await;
    let chime = stack.chime().await;
    // Two server errors, then accepted.
    let flaky = ResponseUrl::start(vec![500, 503]).await;
    let create = request("Create", &flaky.url, stack.properties(&[0]), None);
    run(Arc::clone(&chime), &create, MINUTE).await.unwrap();
    assert_eq!(flaky.count(), 3);
    assert_eq!(flaky.last()["Status"], "SUCCESS");

    // Refused for good (an expired pre-signed URL): a Lambda error, so Lambda retries the event.
    let refused = ResponseUrl::start(vec![403; 10]).await;
    let create = request("Create", &refused.url, stack.properties(&[0]), None);
    let error = run(Arc::clone(&chime), &create, MINUTE).await.unwrap_err();
    assert!(matches!(error, SetupError::Delivery(_)), "{error:?}");
    assert_eq!(refused.count(), 1, "a 403 is not retried");
    let diagnostic: lambda_runtime::Diagnostic = error.into();
    assert_eq!(diagnostic.error_type, "ResponseNotDelivered");

    // No ResponseURL: nothing can be answered, the error says why.
    let mut no_url = create.clone();
    no_url.as_object_mut().unwrap().remove("ResponseURL");
    let error = run(chime, &no_url, MINUTE).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "not a CloudFormation custom resource request: ResponseURL: missing"
    );
    stack.running.stop().await;
}
