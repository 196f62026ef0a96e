//! The replay's AWS adapters through the real SDKs: `SqsFailedEvents` (aws-sdk-sqs, the JSON
//! protocol) and `LambdaProcessors` (aws-sdk-lambda, Invoke) against a loopback stand-in that
//! answers as SQS and Lambda do — records taken with a visibility timeout, deleted when done,
//! released (visibility 0) when left; a function's answer, or its error with `X-Amz-Function-Error`.

use std::sync::{Arc, Mutex};

use chime_admin::failed_events::{LambdaProcessors, SqsFailedEvents};
use chime_flow::redrive::{InvocationRecord, RedriveRequest, ReplayLimits, redrive};
use chime_local::testing::{self, Answer, Recorded, StubServer};
use serde_json::{Value, json};

/// What the stand-in saw: SQS actions with their input, Lambda invocations.
#[derive(Default)]
struct Seen {
    sqs: Vec<(String, Value)>,
    invoked: Vec<(String, String)>,
    queue: Vec<(String, String)>,
}

type Shared = Arc<Mutex<Seen>>;

fn stand_in(seen: &Shared, request: &Recorded) -> Answer {
    let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
    let header = |name: &str| request.header(name).unwrap_or_default().to_owned();
    let body = &request.body;
    if let Some(action) = header("x-amz-target").strip_prefix("AmazonSQS.") {
        let input: Value = serde_json::from_slice(body).unwrap_or_default();
        seen.sqs.push((action.to_owned(), input.clone()));
        let answer = match action {
            "ReceiveMessage" => {
                let max = input["MaxNumberOfMessages"].as_u64().unwrap_or(1) as usize;
                let count = max.min(seen.queue.len());
                let taken: Vec<Value> = seen
                    .queue
                    .drain(..count)
                    .map(|(handle, body)| json!({"MessageId": handle, "ReceiptHandle": handle, "Body": body}))
                    .collect();
                json!({"Messages": taken})
            }
            _ => json!({}),
        };
        let mut answer = Answer::json(200, &answer);
        answer.headers = vec![("content-type", "application/x-amz-json-1.0".to_owned())];
        return answer;
    }
    // Lambda Invoke: POST /2015-03-31/functions/NAME/invocations
    let name = request
        .path()
        .trim_start_matches("/2015-03-31/functions/")
        .trim_end_matches("/invocations")
        .to_owned();
    seen.invoked
        .push((name.clone(), header("x-amz-invocation-type")));
    // FunctionName may be a name or an ARN (percent-encoded in the path), as Lambda accepts both.
    let function = name.rsplit("%3A").next().unwrap_or_default();
    let (error, payload) = match function {
        "flow-pipeline" => (None, json!({"outcome": "sent", "decision": "deny"})),
        "late" => (
            Some("Unhandled"),
            json!({"errorType": "CallbackForbidden", "errorMessage": "the 48 hours have passed"}),
        ),
        _ => (
            Some("Unhandled"),
            json!({"errorType": "CallbackFailed", "errorMessage": "throttled"}),
        ),
    };
    let mut answer = Answer::json(200, &payload);
    if let Some(error) = error {
        answer
            .headers
            .push(("x-amz-function-error", error.to_owned()));
    }
    answer
}

fn record(function: &str, message: &str) -> String {
    let event = json!({"CallbackId": "c".repeat(32), "ChannelMessage": {"MessageId": message,
        "ChannelArn": "arn:aws:chime:us-east-1:111122223333:app-instance/i/channel/c"}});
    serde_json::to_string(&InvocationRecord::retries_exhausted(
        &format!("arn:aws:lambda:us-east-1:111122223333:function:{function}:$LATEST"),
        event,
        3,
        "CallbackFailed",
        "throttled",
        "2026-12-02T00:00:00.000Z".into(),
    ))
    .unwrap_or_default()
}

#[tokio::test]
async fn the_sqs_and_lambda_adapters_take_replay_delete_and_release_as_the_services_expect() {
    let seen: Shared = Arc::default();
    seen.lock().unwrap_or_else(|e| e.into_inner()).queue = vec![
        ("h1".into(), record("flow-pipeline", "m1")),
        ("h2".into(), record("late", "m2")),
        ("h3".into(), record("broken", "m3")),
    ];
    let answers = Arc::clone(&seen);
    let stub = StubServer::start(Vec::new(), move |request| stand_in(&answers, request))
        .await
        .expect("the stand-in listens");
    let endpoint = stub.url();
    let clients = testing::Clients::connect(&endpoint, "us-east-1", true).await;
    let sdk = clients.sdk;
    let queue_url = format!("{endpoint}/111122223333/FailedEventsQueue");
    let queue = SqsFailedEvents::new(&sdk, queue_url.clone());
    let processors = LambdaProcessors::new(&sdk);
    let report = redrive(
        &queue,
        &processors,
        RedriveRequest::default(),
        &ReplayLimits::default(),
    )
    .await;
    stub.stop();

    assert_eq!(
        (
            report.examined,
            report.settled,
            report.refused,
            report.still_failing
        ),
        (3, 1, 1, 1)
    );
    let seen = seen.lock().unwrap_or_else(|e| e.into_inner());
    let invoked: Vec<(&str, &str)> = seen
        .invoked
        .iter()
        .map(|(name, kind)| (name.as_str(), kind.as_str()))
        .collect();
    let function = |name: &'static str| -> (&str, &str) {
        (
            Box::leak(
                format!("arn%3Aaws%3Alambda%3Aus-east-1%3A111122223333%3Afunction%3A{name}")
                    .into_boxed_str(),
            ),
            "RequestResponse",
        )
    };
    assert_eq!(
        invoked,
        [
            function("flow-pipeline"),
            function("late"),
            function("broken")
        ],
        "each record's function, unqualified, invoked and waited for"
    );
    let actions: Vec<&str> = seen.sqs.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "ReceiveMessage",
            "DeleteMessage",
            "DeleteMessage",
            "ReceiveMessage",
            "ChangeMessageVisibility"
        ]
    );
    let receive = &seen.sqs[0].1;
    assert_eq!(receive["QueueUrl"], queue_url.as_str());
    assert_eq!(receive["MaxNumberOfMessages"], 10);
    assert_eq!(receive["VisibilityTimeout"], 300);
    assert_eq!(seen.sqs[1].1["ReceiptHandle"], "h1");
    assert_eq!(seen.sqs[2].1["ReceiptHandle"], "h2");
    assert_eq!(seen.sqs[4].1["ReceiptHandle"], "h3");
    assert_eq!(
        seen.sqs[4].1["VisibilityTimeout"], 0,
        "left for the next replay"
    );
}
