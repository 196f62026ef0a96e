//! Every operation of both models through the generated calls and the real SDK against chime-local:
//! each is called once with its required members (the ARNs of a world made for it), reads and
//! changes before removals, and must succeed — so every generated arm sets its input, reaches the
//! wire and reads its output.

mod common;

use chime_admin::lambda::handle;
use chime_admin::{CallError, Clients, call};
use chime_api::arn_kind::{self, ArnKind};
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
    /// The admin API by an HTTP API event on the service's own route, its path encoded.
    Http,
    /// The same, the path percent-decoded as API Gateway HTTP APIs deliver it (ARNs with `/`).
    HttpDecoded,
    /// Decoded, on a named stage reached through its execute-api URL (`/prod/channels/…`).
    HttpStaged,
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
            Entry::Http | Entry::HttpDecoded | Entry::HttpStaged => {
                let op = model.operation(*service, operation).expect("in the model");
                let request = chime_api::binding::request(&model, op, &given);
                let headers: Vec<(&str, &str)> = request
                    .headers
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                let body = (!request.body.is_empty())
                    .then(|| Value::Object(request.body.clone()).to_string());
                let (path, stage) = match entry {
                    Entry::HttpDecoded => (common::decoded(&request.path), "$default"),
                    Entry::HttpStaged => (common::decoded(&request.path), "prod"),
                    _ => (request.path.clone(), "$default"),
                };
                let event = common::http_event(
                    &request.method,
                    &path,
                    &request.query,
                    &headers,
                    body.as_deref(),
                    stage,
                );
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

#[tokio::test]
async fn every_offered_operation_succeeds_on_its_http_route_with_the_path_decoded() {
    sweep(Entry::HttpDecoded).await;
}

#[tokio::test]
async fn every_offered_operation_succeeds_on_a_named_stage() {
    sweep(Entry::HttpStaged).await;
}

/// An ARN of another kind than `kinds`: a user where a channel belongs, a channel where a user or
/// an app instance belongs, another service's ARN where any app-instance resource would do.
fn wrong_kind(world: &World, kinds: &[ArnKind]) -> String {
    if kinds.len() == 5 {
        "arn:aws:lambda:us-east-1:000000000000:function:not-chime".to_owned()
    } else if kinds.contains(&ArnKind::Channel) {
        world.member.clone()
    } else {
        world.channel.clone()
    }
}

/// Every member that holds a Chime ARN (every row of `chime_api::arn_kind`, in every operation of
/// both models) refuses an ARN of another kind: chime-local, reached through the SDK without the
/// admin layer's own check, answers BadRequest naming the member and what the ARN is; the admin
/// layer refuses before any call, naming the member.
#[tokio::test]
async fn every_arn_member_refuses_an_arn_of_another_kind() {
    let (running, clients) = common::local().await;
    let model = Model::load().expect("the models load");
    let world = world(&model, &clients).await;
    let api = common::admin_api(&clients, &world.admin);
    let mut rows = 0;
    let mut failures = Vec::new();
    for op in &model.operations {
        let base = match op.name.as_str() {
            "ChannelFlowCallback" => json!({"ChannelArn": world.channel,
                "CallbackId": "c".repeat(32), "ChannelMessage": {"MessageId": world.message}}),
            name => input(&world, name),
        };
        let given = with_bearer(&model, op.service, &op.name, &world, base);
        let Some(shape) = op.input.as_deref().and_then(|s| model.shape(op.service, s)) else {
            continue;
        };
        for (member, target) in &shape.members {
            let Some(kinds) = arn_kind::expected(op.service, member) else {
                continue;
            };
            rows += 1;
            let wrong = wrong_kind(&world, kinds);
            let is_list = model
                .shape(op.service, &target.shape)
                .is_some_and(|s| s.kind == "list");
            let mut bad = given.clone();
            bad.insert(
                member.clone(),
                if is_list {
                    json!([wrong])
                } else {
                    json!(wrong)
                },
            );
            let sent = match op.service {
                Service::Messaging => {
                    chime_admin::messaging::call(&clients.messaging, &op.name, &bad)
                }
                Service::Identity => chime_admin::identity::call(&clients.identity, &op.name, &bad),
            }
            .expect("every operation is wired")
            .await;
            match sent {
                Err(CallError::Service {
                    status: 400,
                    code,
                    message,
                }) if code == "BadRequest"
                    && message.starts_with(member.as_str())
                    && message.contains(&wrong) => {}
                other => failures.push(format!("chime-local {} {member}: {other:?}", op.name)),
            }
            if chime_admin::api::offers(op) && op.name != "ChannelFlowCallback" {
                let refused = handle(&api, &json!({"Operation": op.name, "Input": bad})).await;
                match refused {
                    Err(f)
                        if (400..404).contains(&f.status)
                            && f.field
                                .as_deref()
                                .is_some_and(|f| f.starts_with(member.as_str())) => {}
                    other => failures.push(format!("admin {} {member}: {other:?}", op.name)),
                }
            }
        }
    }
    running.stop().await;
    assert!(
        failures.is_empty(),
        "{} of {rows} rows not refused:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(rows > 100, "{rows} rows");
}
