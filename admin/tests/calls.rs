//! The generated calls through the real SDK clients against chime-local on 127.0.0.1: inputs with
//! enums, nested structures, lists of structures, maps and timestamps go in as the service's JSON and
//! come back as it; validation refuses bad input before anything is sent; Chime's errors keep their
//! status and code.

mod common;

use chime_admin::{CallError, Clients, call};
use chime_api::{Model, Service};
use serde_json::{Map, Value, json};

struct Admin {
    running: chime_local::Running,
    model: Model,
    clients: Clients,
}

impl Admin {
    async fn start() -> Self {
        let (running, clients) = common::local().await;
        Self {
            running,
            model: Model::load().expect("the models load"),
            clients,
        }
    }

    async fn call(
        &self,
        service: Service,
        operation: &str,
        input: Value,
    ) -> Result<Value, CallError> {
        let Value::Object(input) = input else {
            panic!("inputs are objects");
        };
        call(&self.model, &self.clients, service, operation, &input).await
    }

    async fn ok(&self, service: Service, operation: &str, input: Value) -> Value {
        self.call(service, operation, input)
            .await
            .unwrap_or_else(|e| panic!("{operation}: {e}"))
    }
}

fn text(value: &Value, path: &[&str]) -> String {
    path.iter()
        .try_fold(value, |v, k| v.get(*k))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn operations_round_trip_the_services_json_through_the_sdk() {
    let admin = Admin::start().await;
    let instance = admin
        .ok(
            Service::Identity,
            "CreateAppInstance",
            json!({"Name": "admin-tests",
            "ClientRequestToken": "instance-1", "Tags": [{"Key": "team", "Value": "chat"}]}),
        )
        .await;
    let instance = text(&instance, &["AppInstanceArn"]);
    let user = |id: &str| {
        json!({"AppInstanceArn": instance, "AppInstanceUserId": id, "Name": id,
            "ClientRequestToken": format!("user-{id}")})
    };
    let service_user = text(
        &admin
            .ok(Service::Identity, "CreateAppInstanceUser", user("service"))
            .await,
        &["AppInstanceUserArn"],
    );
    let alice = text(
        &admin
            .ok(Service::Identity, "CreateAppInstanceUser", user("alice"))
            .await,
        &["AppInstanceUserArn"],
    );
    admin
        .ok(
            Service::Identity,
            "CreateAppInstanceAdmin",
            json!({"AppInstanceArn": instance,
            "AppInstanceAdminArn": service_user}),
        )
        .await;

    // An enum, a nested structure and a list of strings in; the described channel out.
    let channel = admin
        .ok(
            Service::Messaging,
            "CreateChannel",
            json!({
            "AppInstanceArn": instance, "Name": "town-hall", "Mode": "RESTRICTED",
            "Privacy": "PRIVATE", "ChimeBearer": service_user, "ClientRequestToken": "channel-1",
            "ElasticChannelConfiguration": {"MaximumSubChannels": 3,
                "TargetMembershipsPerSubChannel": 2, "MinimumMembershipPercentage": 10}}),
        )
        .await;
    let channel = text(&channel, &["ChannelArn"]);
    let described = admin
        .ok(
            Service::Messaging,
            "DescribeChannel",
            json!({"ChannelArn": channel,
            "ChimeBearer": service_user}),
        )
        .await;
    assert_eq!(described["Channel"]["Mode"], "RESTRICTED");
    assert_eq!(
        described["Channel"]["ElasticChannelConfiguration"]["TargetMembershipsPerSubChannel"],
        2
    );
    assert!(
        described["Channel"]["CreatedTimestamp"].is_f64(),
        "{described}"
    );
    let batch = admin
        .ok(
            Service::Messaging,
            "BatchCreateChannelMembership",
            json!({"ChannelArn": channel,
            "MemberArns": [alice], "Type": "DEFAULT", "ChimeBearer": service_user}),
        )
        .await;
    assert_eq!(
        batch["BatchChannelMemberships"]["Members"][0]["Arn"],
        alice.as_str()
    );
    let subs = admin
        .ok(
            Service::Messaging,
            "ListSubChannels",
            json!({"ChannelArn": channel,
            "ChimeBearer": service_user}),
        )
        .await;
    assert_eq!(subs["SubChannels"][0]["MembershipCount"], 1, "{subs}");
    let sub_id = subs["SubChannels"][0]["SubChannelId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    // A map of structures in (MessageAttributes); a list of structures out.
    let sent = admin
        .ok(
            Service::Messaging,
            "SendChannelMessage",
            json!({"ChannelArn": channel,
            "Content": "hello", "Type": "STANDARD", "Persistence": "PERSISTENT",
            "ChimeBearer": alice, "ClientRequestToken": "message-1",
            "MessageAttributes": {"topic": {"StringValues": ["intro"]}}}),
        )
        .await;
    assert_eq!(sent["Status"]["Value"], "SENT");
    assert_eq!(sent["SubChannelId"], sub_id.as_str());
    let listed = admin
        .ok(
            Service::Messaging,
            "ListChannelMessages",
            json!({"ChannelArn": channel,
            "ChimeBearer": alice, "NotBefore": 1_577_836_800, "MaxResults": 10}),
        )
        .await;
    let message = &listed["ChannelMessages"][0];
    assert_eq!(message["Content"], "hello");
    assert_eq!(
        message["MessageAttributes"]["topic"]["StringValues"][0],
        "intro"
    );

    // A list of structures with nested structures (a flow's processors).
    let flow = admin
        .ok(Service::Messaging, "CreateChannelFlow", json!({"AppInstanceArn": instance,
            "Name": "pipeline", "ClientRequestToken": "flow-1", "Processors": [{
                "Name": "pipeline", "ExecutionOrder": 1, "FallbackAction": "ABORT",
                "Configuration": {"Lambda": {"InvocationType": "ASYNC",
                    "ResourceArn": "arn:aws:lambda:us-east-1:000000000000:function:flow-pipeline"}}}]}))
        .await;
    let flow = text(&flow, &["ChannelFlowArn"]);
    let described = admin
        .ok(
            Service::Messaging,
            "DescribeChannelFlow",
            json!({"ChannelFlowArn": flow}),
        )
        .await;
    assert_eq!(
        described["ChannelFlow"]["Processors"][0]["Configuration"]["Lambda"]["InvocationType"],
        "ASYNC"
    );
    let tags = admin
        .ok(
            Service::Identity,
            "ListTagsForResource",
            json!({"ResourceARN": instance}),
        )
        .await;
    assert_eq!(tags["Tags"], json!([{"Key": "team", "Value": "chat"}]));
    admin.running.stop().await;
}

#[tokio::test]
async fn bad_input_is_refused_before_the_call_and_chime_errors_keep_their_meaning() {
    let admin = Admin::start().await;
    let refused = admin
        .call(
            Service::Messaging,
            "ListChannels",
            json!({"AppInstanceArn": "arn:aws:chime:us-east-1:1:app-instance/x",
            "ChimeBearer": "arn:aws:chime:us-east-1:1:app-instance/x/user/u", "MaxResults": 51}),
        )
        .await
        .expect_err("out of range");
    assert_eq!(
        refused,
        CallError::Validation {
            field: "MaxResults".into(),
            message: "51 is out of range 1–50".into()
        }
    );
    let missing = admin
        .call(
            Service::Messaging,
            "DescribeChannel",
            json!({"ChimeBearer": "arn:aws:chime:us-east-1:1:app-instance/x/user/u"}),
        )
        .await
        .expect_err("ChannelArn is required");
    assert!(
        matches!(&missing, CallError::Validation { field, .. } if field == "ChannelArn"),
        "{missing}"
    );
    let absent = admin
        .call(
            Service::Identity,
            "DescribeAppInstance",
            json!({"AppInstanceArn": "arn:aws:chime:us-east-1:000000000000:app-instance/none"}),
        )
        .await
        .expect_err("no such instance");
    match absent {
        CallError::Service { status, code, .. } => {
            assert_eq!(
                (status, code.as_str()),
                (403, "Forbidden"),
                "DescribeAppInstance has no NotFound"
            )
        }
        other => panic!("{other}"),
    }
    let unknown = admin
        .call(Service::Messaging, "LaunchRockets", Map::new().into())
        .await
        .expect_err("not an operation");
    assert_eq!(unknown, CallError::UnknownOperation("LaunchRockets".into()));
    admin.running.stop().await;
}
