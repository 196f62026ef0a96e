//! Every operation of both models through the generated calls and the real SDK against chime-local:
//! each is called once with its required members (the ARNs of a world made for it), reads and
//! changes before removals, and must succeed — so every generated arm sets its input, reaches the
//! wire and reads its output.

mod common;

use chime_admin::lambda::handle;
use chime_admin::{Clients, call};
use chime_api::{Model, Service};
use serde_json::{Map, Value, json};

/// The resources the sweep acts on.
struct World {
    instance: String,
    admin: String,
    member: String,
    spare: String,
    channel: String,
    elastic: String,
    flow: String,
    message: String,
    bot: String,
    endpoint: String,
}

/// The order of the sweep: removals after everything that needs what they remove.
fn rank(operation: &str) -> u8 {
    match operation {
        "DeleteAppInstance" => 9,
        "DeleteAppInstanceUser" | "DeleteAppInstanceBot" => 8,
        "DeleteChannel" | "DeleteChannelFlow" => 7,
        "DisassociateChannelFlow" => 6,
        "DeleteChannelBan" => 5,
        name if name.starts_with("Delete")
            || name.starts_with("Deregister")
            || name.starts_with("Untag") =>
        {
            4
        }
        "RedactChannelMessage" => 3,
        "CreateChannelBan" | "PutMessagingStreamingConfigurations" => 1,
        name if name.starts_with("Create")
            || name.starts_with("Register")
            || name.starts_with("Associate") =>
        {
            0
        }
        _ => 2,
    }
}

fn input(world: &World, operation: &str) -> Value {
    let w = world;
    let lambda = "arn:aws:lambda:us-east-1:000000000000:function:flow-pipeline";
    match operation {
        "CreateAppInstance" => json!({"Name": "another", "ClientRequestToken": "sweep-instance"}),
        "DescribeAppInstance"
        | "GetAppInstanceRetentionSettings"
        | "ListAppInstanceAdmins"
        | "ListAppInstanceUsers"
        | "ListAppInstanceBots"
        | "ListChannelFlows"
        | "GetMessagingStreamingConfigurations"
        | "DeleteMessagingStreamingConfigurations" => {
            json!({"AppInstanceArn": w.instance})
        }
        "UpdateAppInstance" => {
            json!({"AppInstanceArn": w.instance, "Name": "renamed", "Metadata": "m"})
        }
        "DeleteAppInstance" => json!({"AppInstanceArn": w.instance}),
        "ListAppInstances" | "GetMessagingSessionEndpoint" => json!({}),
        "PutAppInstanceRetentionSettings" => json!({"AppInstanceArn": w.instance,
            "AppInstanceRetentionSettings": {"ChannelRetentionSettings": {"RetentionDays": 30}}}),
        "CreateAppInstanceUser" => {
            json!({"AppInstanceArn": w.instance, "AppInstanceUserId": "late",
            "Name": "late", "ClientRequestToken": "sweep-user"})
        }
        "DescribeAppInstanceUser" | "ListAppInstanceUserEndpoints" => {
            json!({"AppInstanceUserArn": w.member})
        }
        "UpdateAppInstanceUser" => {
            json!({"AppInstanceUserArn": w.member, "Name": "member", "Metadata": "m"})
        }
        "DeleteAppInstanceUser" => json!({"AppInstanceUserArn": w.spare}),
        "PutAppInstanceUserExpirationSettings" => json!({"AppInstanceUserArn": w.member,
            "ExpirationSettings": {"ExpirationDays": 365, "ExpirationCriterion": "CREATED_TIMESTAMP"}}),
        "CreateAppInstanceAdmin" | "DescribeAppInstanceAdmin" | "DeleteAppInstanceAdmin" => {
            json!({"AppInstanceArn": w.instance, "AppInstanceAdminArn": w.spare})
        }
        "CreateAppInstanceBot" => {
            json!({"AppInstanceArn": w.instance, "ClientRequestToken": "sweep-bot",
            "Configuration": {"Lex": {"LexBotAliasArn": "arn:aws:lex:us-east-1:123456789012:bot-alias/ABCDEFGHIJ/KLMNOPQRST",
                "LocaleId": "en_US"}}})
        }
        "DescribeAppInstanceBot" | "DeleteAppInstanceBot" => json!({"AppInstanceBotArn": w.bot}),
        "UpdateAppInstanceBot" => {
            json!({"AppInstanceBotArn": w.bot, "Name": "bot", "Metadata": "m"})
        }
        "RegisterAppInstanceUserEndpoint" => json!({"AppInstanceUserArn": w.member, "Type": "GCM",
            "ResourceArn": "arn:aws:mobiletargeting:us-east-1:123456789012:apps/app",
            "EndpointAttributes": {"DeviceToken": "another-device"}, "ClientRequestToken": "sweep-endpoint"}),
        "DescribeAppInstanceUserEndpoint" | "DeregisterAppInstanceUserEndpoint" => {
            json!({"AppInstanceUserArn": w.member, "EndpointId": w.endpoint})
        }
        "UpdateAppInstanceUserEndpoint" => {
            json!({"AppInstanceUserArn": w.member, "EndpointId": w.endpoint,
            "AllowMessages": "NONE"})
        }
        "TagResource" => json!({"ResourceARN": w.channel, "Tags": [{"Key": "k", "Value": "v"}]}),
        "UntagResource" => json!({"ResourceARN": w.channel, "TagKeys": ["k"]}),
        "ListTagsForResource" => json!({"ResourceARN": w.channel}),
        "CreateChannel" => json!({"AppInstanceArn": w.instance, "Name": "another",
            "ClientRequestToken": "sweep-channel"}),
        "DescribeChannel"
        | "ListChannelMemberships"
        | "ListChannelModerators"
        | "ListChannelBans"
        | "ListChannelMessages"
        | "UpdateChannelReadMarker" => json!({"ChannelArn": w.channel}),
        "UpdateChannel" => {
            json!({"ChannelArn": w.channel, "Name": "general", "Mode": "RESTRICTED"})
        }
        "DeleteChannel" => json!({"ChannelArn": w.channel}),
        "ListChannels" => json!({"AppInstanceArn": w.instance}),
        "ListSubChannels" => json!({"ChannelArn": w.elastic}),
        "SearchChannels" => {
            json!({"Fields": [{"Key": "MEMBERS", "Operator": "INCLUDES", "Values": [w.member]}]})
        }
        "PutChannelExpirationSettings" => json!({"ChannelArn": w.channel,
            "ExpirationSettings": {"ExpirationDays": 30, "ExpirationCriterion": "LAST_MESSAGE_TIMESTAMP"}}),
        "CreateChannelModerator" | "DescribeChannelModerator" | "DeleteChannelModerator" => {
            json!({"ChannelArn": w.channel, "ChannelModeratorArn": w.member})
        }
        "CreateChannelBan" | "DescribeChannelBan" | "DeleteChannelBan" => {
            json!({"ChannelArn": w.channel, "MemberArn": w.spare})
        }
        "ListChannelsModeratedByAppInstanceUser" | "ListChannelMembershipsForAppInstanceUser" => {
            json!({"AppInstanceUserArn": w.admin})
        }
        "DescribeChannelModeratedByAppInstanceUser"
        | "DescribeChannelMembershipForAppInstanceUser" => {
            json!({"ChannelArn": w.channel, "AppInstanceUserArn": w.admin})
        }
        "CreateChannelMembership" => {
            json!({"ChannelArn": w.channel, "MemberArn": w.spare, "Type": "DEFAULT"})
        }
        "BatchCreateChannelMembership" => {
            json!({"ChannelArn": w.elastic, "MemberArns": [w.member, w.spare]})
        }
        "DescribeChannelMembership" => json!({"ChannelArn": w.channel, "MemberArn": w.member}),
        "DeleteChannelMembership" => json!({"ChannelArn": w.channel, "MemberArn": w.member}),
        "GetChannelMembershipPreferences" => json!({"ChannelArn": w.channel, "MemberArn": w.admin}),
        "PutChannelMembershipPreferences" => json!({"ChannelArn": w.channel, "MemberArn": w.admin,
            "Preferences": {"PushNotifications": {"AllowNotifications": "ALL"}}}),
        "SendChannelMessage" => {
            json!({"ChannelArn": w.channel, "Content": "hello", "Type": "STANDARD",
            "Persistence": "PERSISTENT", "ClientRequestToken": "sweep-message",
            "MessageAttributes": {"topic": {"StringValues": ["sweep"]}}})
        }
        "GetChannelMessage"
        | "GetChannelMessageStatus"
        | "RedactChannelMessage"
        | "DeleteChannelMessage" => {
            json!({"ChannelArn": w.channel, "MessageId": w.message})
        }
        "UpdateChannelMessage" => {
            json!({"ChannelArn": w.channel, "MessageId": w.message, "Content": "edited"})
        }
        "CreateChannelFlow" => {
            json!({"AppInstanceArn": w.instance, "Name": "another", "ClientRequestToken": "sweep-flow",
            "Processors": [{"Name": "p", "ExecutionOrder": 1, "FallbackAction": "CONTINUE",
                "Configuration": {"Lambda": {"ResourceArn": lambda, "InvocationType": "ASYNC"}}}]})
        }
        "DescribeChannelFlow" | "DeleteChannelFlow" | "ListChannelsAssociatedWithChannelFlow" => {
            json!({"ChannelFlowArn": w.flow})
        }
        "UpdateChannelFlow" => json!({"ChannelFlowArn": w.flow, "Name": "flow",
            "Processors": [{"Name": "p", "ExecutionOrder": 1, "FallbackAction": "CONTINUE",
                "Configuration": {"Lambda": {"ResourceArn": lambda, "InvocationType": "ASYNC"}}}]}),
        "AssociateChannelFlow" | "DisassociateChannelFlow" => {
            json!({"ChannelArn": w.elastic, "ChannelFlowArn": w.flow})
        }
        "PutMessagingStreamingConfigurations" => json!({"AppInstanceArn": w.instance,
            "StreamingConfigurations": [{"DataType": "Channel",
                "ResourceArn": "arn:aws:kinesis:us-east-1:123456789012:stream/chat"}]}),
        other => panic!("the sweep has no input for {other}: add one"),
    }
}

/// Adds the bearer where the operation takes one (the admin), and the sub-channel on the elastic one.
fn with_bearer(
    model: &Model,
    service: Service,
    operation: &str,
    world: &World,
    value: Value,
) -> Map<String, Value> {
    let Value::Object(mut input) = value else {
        panic!("inputs are objects");
    };
    let op = model.operation(service, operation).expect("in the model");
    let takes = |member: &str| {
        op.input
            .as_ref()
            .and_then(|shape| model.shape(service, shape))
            .is_some_and(|shape| shape.members.contains_key(member))
    };
    if takes("ChimeBearer") {
        input.entry("ChimeBearer").or_insert(json!(world.admin));
    }
    input
}

async fn sdk_call(
    model: &Model,
    clients: &Clients,
    service: Service,
    operation: &str,
    input: Value,
) -> Value {
    let Value::Object(input) = input else {
        panic!("objects")
    };
    call(model, clients, service, operation, &input)
        .await
        .unwrap_or_else(|e| panic!("set-up {operation}: {e}"))
}

/// How the sweep reaches an operation.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Entry {
    /// `chime_admin::call`: the generated SDK call, every operation of both models.
    Sdk,
    /// The admin API by direct invocation `{"Operation", "Input"}`.
    Direct,
    /// The admin API by an HTTP API event on the service's own route.
    Http,
}

async fn sweep(entry: Entry) {
    let (running, clients) = common::local().await;
    let model = Model::load().expect("the models load");
    let world = world(&model, &clients).await;
    let api = common::admin_api(&clients, &world.admin);
    let offered = chime_admin::api::offered(&model);
    let mut operations: Vec<(Service, String)> = model
        .operations
        .iter()
        .filter(|op| op.name != "ChannelFlowCallback")
        .filter(|op| {
            entry == Entry::Sdk
                || (offered.contains(op.name.as_str())
                    && (op.service == Service::Messaging
                        || chime_admin::api::IDENTITY_OPERATIONS.contains(&op.name.as_str())))
        })
        .map(|op| (op.service, op.name.clone()))
        .collect();
    operations
        .sort_by_key(|(service, name)| (rank(name), *service == Service::Identity, name.clone()));
    let mut failures = Vec::new();
    for (service, operation) in &operations {
        let given = with_bearer(
            &model,
            *service,
            operation,
            &world,
            input(&world, operation),
        );
        let outcome: Result<(), String> = match entry {
            Entry::Sdk => call(&model, &clients, *service, operation, &given)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Entry::Direct => handle(&api, &json!({"Operation": operation, "Input": given}))
                .await
                .map(|_| ())
                .map_err(|f| format!("{} {}: {:?} {}", f.status, f.error, f.field, f.message)),
            Entry::Http => {
                let op = model.operation(*service, operation).expect("in the model");
                let request = chime_api::binding::request(&model, op, &given);
                let headers: Map<String, Value> = request
                    .headers
                    .iter()
                    .map(|(k, v)| (k.clone(), json!(v)))
                    .collect();
                let event = json!({"version": "2.0", "rawPath": request.path, "rawQueryString": request.query,
                    "headers": headers, "requestContext": {"http": {"method": request.method}},
                    "body": (!request.body.is_empty()).then(|| Value::Object(request.body.clone()).to_string()),
                    "isBase64Encoded": false});
                match handle(&api, &event).await {
                    Ok(answer)
                        if answer["statusCode"]
                            .as_u64()
                            .is_some_and(|s| (200..300).contains(&s)) =>
                    {
                        Ok(())
                    }
                    Ok(answer) => Err(format!("HTTP {}: {}", answer["statusCode"], answer["body"])),
                    Err(f) => Err(f.message),
                }
            }
        };
        if let Err(error) = outcome {
            failures.push(format!("{service:?} {operation}: {error}"));
        }
    }
    running.stop().await;
    assert!(
        failures.is_empty(),
        "{} of {} operations failed:\n{}",
        failures.len(),
        operations.len(),
        failures.join("\n")
    );
    let expected = if entry == Entry::Sdk {
        80
    } else {
        offered.len()
    };
    assert_eq!(operations.len(), expected);
}

async fn world(model: &Model, clients: &Clients) -> World {
    let m = model;
    let c = clients;
    let text = |v: &Value, name: &str| v[name].as_str().unwrap_or_default().to_owned();
    let instance = text(
        &sdk_call(
            m,
            c,
            Service::Identity,
            "CreateAppInstance",
            json!({"Name": "sweep"}),
        )
        .await,
        "AppInstanceArn",
    );
    let user = async |id: &str| {
        text(
            &sdk_call(
                m,
                c,
                Service::Identity,
                "CreateAppInstanceUser",
                json!({"AppInstanceArn": instance, "AppInstanceUserId": id, "Name": id}),
            )
            .await,
            "AppInstanceUserArn",
        )
    };
    let admin = user("admin").await;
    let member = user("member").await;
    let spare = user("spare").await;
    sdk_call(
        m,
        c,
        Service::Identity,
        "CreateAppInstanceAdmin",
        json!({"AppInstanceArn": instance, "AppInstanceAdminArn": admin}),
    )
    .await;
    let channel = text(
        &sdk_call(
            m,
            c,
            Service::Messaging,
            "CreateChannel",
            json!({"AppInstanceArn": instance,
        "Name": "general", "ChimeBearer": admin, "MemberArns": [member]}),
        )
        .await,
        "ChannelArn",
    );
    let elastic = text(&sdk_call(m, c, Service::Messaging, "CreateChannel", json!({"AppInstanceArn": instance,
        "Name": "elastic", "Mode": "RESTRICTED", "ChimeBearer": admin, "ElasticChannelConfiguration": {
            "MaximumSubChannels": 2, "TargetMembershipsPerSubChannel": 10, "MinimumMembershipPercentage": 10}})).await, "ChannelArn");
    let flow = text(&sdk_call(m, c, Service::Messaging, "CreateChannelFlow", json!({"AppInstanceArn": instance,
        "Name": "flow", "Processors": [{"Name": "p", "ExecutionOrder": 1, "FallbackAction": "CONTINUE",
            "Configuration": {"Lambda": {"ResourceArn": "arn:aws:lambda:us-east-1:000000000000:function:flow-pipeline",
                "InvocationType": "ASYNC"}}}]})).await, "ChannelFlowArn");
    let message = text(
        &sdk_call(
            m,
            c,
            Service::Messaging,
            "SendChannelMessage",
            json!({"ChannelArn": channel,
        "ChimeBearer": admin, "Content": "first", "Type": "STANDARD", "Persistence": "PERSISTENT"}),
        )
        .await,
        "MessageId",
    );
    let bot = text(&sdk_call(m, c, Service::Identity, "CreateAppInstanceBot", json!({"AppInstanceArn": instance,
        "Configuration": {"Lex": {"LexBotAliasArn": "arn:aws:lex:us-east-1:123456789012:bot-alias/ABCDEFGHIJ/KLMNOPQRST",
            "LocaleId": "en_US"}}})).await, "AppInstanceBotArn");
    let endpoint = text(&sdk_call(m, c, Service::Identity, "RegisterAppInstanceUserEndpoint", json!({
        "AppInstanceUserArn": member, "Type": "APNS", "ResourceArn": "arn:aws:mobiletargeting:us-east-1:123456789012:apps/app",
        "EndpointAttributes": {"DeviceToken": "device"}})).await, "EndpointId");
    World {
        instance,
        admin,
        member,
        spare,
        channel,
        elastic,
        flow,
        message,
        bot,
        endpoint,
    }
}

#[tokio::test]
async fn every_operation_of_both_models_succeeds_through_the_generated_calls() {
    sweep(Entry::Sdk).await;
}

#[tokio::test]
async fn every_offered_operation_succeeds_by_direct_invocation() {
    sweep(Entry::Direct).await;
}

#[tokio::test]
async fn every_offered_operation_succeeds_on_its_http_route() {
    sweep(Entry::Http).await;
}
