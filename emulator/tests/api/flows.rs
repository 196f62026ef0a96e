//! Channel flows: CRUD and association, the built-in pipeline end to end (pass, update, deny, edits,
//! elastic channels), callbacks by hand through a stub Lambda Invoke API (ExecutionOrder, repeats,
//! wrong ids, the 48-hour callback window), and FallbackAction when a processor cannot be invoked.

use aws_sdk_chimesdkmessaging::types::{
    ChannelMessageCallback as CallbackMessage, ChannelMessageStatus, FallbackAction,
    InvocationType, LambdaConfiguration, Processor, ProcessorConfiguration,
};
use chime_local::Config;

use chime_local::testing::StubServer;

use crate::common::{World, advance, code, lambda_stub, pipeline_processor, processor};

#[tokio::test]
async fn flows_are_managed_and_associated() {
    let world = World::new(1).await;
    let chime = &world.chime;
    let arn = world
        .flow(vec![
            processor("second", "b", 2, FallbackAction::Continue),
            processor("first", "a", 1, FallbackAction::Abort),
        ])
        .await;
    let described = chime
        .describe_channel_flow()
        .channel_flow_arn(&arn)
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = described
        .channel_flow()
        .unwrap()
        .processors()
        .iter()
        .map(|p| p.name())
        .collect();
    assert_eq!(names, ["first", "second"], "kept in ExecutionOrder");
    let same_order = chime
        .create_channel_flow()
        .app_instance_arn(&world.instance)
        .name("bad")
        .processors(processor("x", "a", 1, FallbackAction::Abort))
        .processors(processor("y", "b", 1, FallbackAction::Abort))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(&same_order).1,
        "Processors: each processor needs its own ExecutionOrder"
    );
    let not_lambda = Processor::builder()
        .name("x")
        .execution_order(1)
        .fallback_action(FallbackAction::Abort)
        .configuration(
            ProcessorConfiguration::builder()
                .lambda(
                    LambdaConfiguration::builder()
                        .resource_arn("arn:aws:sqs:us-east-1:000000000000:queue")
                        .invocation_type(InvocationType::Async)
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .build()
        .unwrap();
    let (error, message) = code(
        &chime
            .create_channel_flow()
            .app_instance_arn(&world.instance)
            .name("bad")
            .processors(not_lambda)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(error, "BadRequestException");
    assert!(
        message.starts_with("Processors[0].Configuration.Lambda.ResourceArn: does not match"),
        "{message}"
    );

    chime
        .update_channel_flow()
        .channel_flow_arn(&arn)
        .name("renamed")
        .processors(processor("only", "a", 1, FallbackAction::Abort))
        .send()
        .await
        .unwrap();
    let listed = chime
        .list_channel_flows()
        .app_instance_arn(&world.instance)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.channel_flows().len(), 1);
    assert_eq!(listed.channel_flows()[0].name(), Some("renamed"));

    let channel = world.private_channel("c", &world.users).await;
    let by_member = chime
        .associate_channel_flow()
        .channel_arn(&channel)
        .channel_flow_arn(&arn)
        .chime_bearer(&world.users[0])
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&by_member).0, "ForbiddenException");
    let associate = || {
        chime
            .associate_channel_flow()
            .channel_arn(&channel)
            .channel_flow_arn(&arn)
            .chime_bearer(&world.admin)
            .send()
    };
    associate().await.unwrap();
    assert!(
        associate()
            .await
            .unwrap_err()
            .as_service_error()
            .unwrap()
            .is_conflict_exception()
    );
    let associated = chime
        .list_channels_associated_with_channel_flow()
        .channel_flow_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(associated.channels().len(), 1);
    assert_eq!(
        associated.channels()[0].channel_arn(),
        Some(channel.as_str())
    );
    let described = chime
        .describe_channel()
        .channel_arn(&channel)
        .chime_bearer(&world.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.channel().unwrap().channel_flow_arn(),
        Some(arn.as_str())
    );
    let in_use = chime
        .delete_channel_flow()
        .channel_flow_arn(&arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&in_use).0, "ConflictException");
    chime
        .disassociate_channel_flow()
        .channel_arn(&channel)
        .channel_flow_arn(&arn)
        .chime_bearer(&world.admin)
        .send()
        .await
        .unwrap();
    chime
        .delete_channel_flow()
        .channel_flow_arn(&arn)
        .send()
        .await
        .unwrap();
    let gone = chime
        .describe_channel_flow()
        .channel_flow_arn(&arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&gone).0, "ForbiddenException");
    world.stop().await;
}

#[tokio::test]
async fn the_pipeline_passes_updates_and_denies() {
    let world = World::new(2).await;
    let arn = world.flow(vec![pipeline_processor()]).await;
    let channel = world.channel_with_flow(&arn).await;
    let alice = &world.users[0];
    let read = |id: String| {
        let chime = world.chime.clone();
        let channel = channel.clone();
        let bearer = world.users[1].clone();
        async move {
            chime
                .get_channel_message()
                .channel_arn(channel)
                .message_id(id)
                .chime_bearer(bearer)
                .send()
                .await
        }
    };

    let (clean, status) = world
        .send(
            &channel,
            alice,
            "Lunch at noon? See https://example.com/menu",
        )
        .await;
    assert_eq!(status, "PENDING");
    assert_eq!(
        world.settled(&channel, alice, &clean, None).await,
        ChannelMessageStatus::Sent
    );
    let message = read(clean).await.unwrap().channel_message.unwrap();
    assert_eq!(
        message.content(),
        Some("Lunch at noon? See https://example.com/menu")
    );
    let attributes = message.message_attributes().unwrap();
    assert_eq!(attributes["hasLink"].string_values(), ["true"]);
    assert!(message.metadata().unwrap().contains("\"chimeFlow\""));

    let (pii, _) = world
        .send(&channel, alice, "card 4242 4242 4242 4242 please")
        .await;
    assert_eq!(
        world.settled(&channel, alice, &pii, None).await,
        ChannelMessageStatus::Sent
    );
    let message = read(pii.clone()).await.unwrap().channel_message.unwrap();
    assert_eq!(message.content(), Some("card [CARD] please"));
    assert_eq!(
        message.message_attributes().unwrap()["redactions"].string_values(),
        ["card:1"]
    );

    let (rude, _) = world.send(&channel, alice, "you are such a b!tch").await;
    assert_eq!(
        world.settled(&channel, alice, &rude, None).await,
        ChannelMessageStatus::Denied
    );
    assert!(
        read(rude)
            .await
            .unwrap_err()
            .as_service_error()
            .unwrap()
            .is_not_found_exception()
    );

    // An edit goes through the flow again.
    let edited = world
        .chime
        .update_channel_message()
        .channel_arn(&channel)
        .message_id(&pii)
        .chime_bearer(alice)
        .content("mail me: alice@example.org")
        .send()
        .await
        .unwrap();
    assert_eq!(
        edited.status().and_then(|s| s.value()),
        Some(&ChannelMessageStatus::Pending)
    );
    assert_eq!(
        world.settled(&channel, alice, &pii, None).await,
        ChannelMessageStatus::Sent
    );
    let message = read(pii).await.unwrap().channel_message.unwrap();
    assert_eq!(message.content(), Some("mail me: [EMAIL]"));
    assert!(message.last_edited_timestamp().is_some());

    let listed = world
        .chime
        .list_channel_messages()
        .channel_arn(&channel)
        .chime_bearer(&world.users[1])
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed.channel_messages().len(),
        2,
        "the denied message is gone"
    );
    world.stop().await;
}

#[tokio::test]
async fn the_pipeline_works_on_an_elastic_channel() {
    let world = World::new(3).await;
    let arn = world.flow(vec![pipeline_processor()]).await;
    let chime = &world.chime;
    let channel = world.elastic_channel(2, 2, 10).await;
    chime
        .batch_create_channel_membership()
        .channel_arn(&channel)
        .chime_bearer(&world.admin)
        .set_member_arns(Some(world.users.clone()))
        .send()
        .await
        .unwrap();
    chime
        .associate_channel_flow()
        .channel_arn(&channel)
        .channel_flow_arn(&arn)
        .chime_bearer(&world.admin)
        .send()
        .await
        .unwrap();
    let sent = chime
        .send_channel_message()
        .channel_arn(&channel)
        .chime_bearer(&world.users[2])
        .content("ring +1 415 555 0132")
        .r#type(aws_sdk_chimesdkmessaging::types::ChannelMessageType::Standard)
        .persistence(aws_sdk_chimesdkmessaging::types::ChannelMessagePersistenceType::Persistent)
        .send()
        .await
        .unwrap();
    assert_eq!(sent.sub_channel_id(), Some("2"));
    let id = sent.message_id().unwrap();
    let status = world
        .settled(&channel, &world.users[2], id, Some("2"))
        .await;
    assert_eq!(status, ChannelMessageStatus::Sent);
    let message = chime
        .get_channel_message()
        .channel_arn(&channel)
        .message_id(id)
        .chime_bearer(&world.admin)
        .sub_channel_id("2")
        .send()
        .await
        .unwrap()
        .channel_message
        .unwrap();
    assert_eq!(message.content(), Some("ring [PHONE]"));
    assert_eq!(message.sub_channel_id(), Some("2"));
    world.stop().await;
}

fn stub_config(stub: &StubServer) -> Config {
    Config {
        lambda_endpoint: Some(stub.url()),
        in_process_functions: false,
        ..Config::default()
    }
}

#[tokio::test]
async fn processors_run_in_execution_order_and_each_callback_counts_once() {
    let stub = lambda_stub().await;
    let world = World::with_config(stub_config(&stub), 2).await;
    let arn = world
        .flow(vec![
            processor("first", "first-fn", 1, FallbackAction::Abort),
            processor("second", "second-fn", 2, FallbackAction::Abort),
        ])
        .await;
    let channel = world.channel_with_flow(&arn).await;
    let alice = &world.users[0];
    let (id, status) = world.send(&channel, alice, "original").await;
    assert_eq!(status, "PENDING");

    let seen = stub.wait_for(1).await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path(), "/2015-03-31/functions/first-fn/invocations");
    // chime-local plays Lambda's asynchronous queue: each delivery is a synchronous invocation it
    // makes in the background, so a function error is seen and retried, then kept.
    assert_eq!(
        seen[0].header("x-amz-invocation-type"),
        Some("RequestResponse")
    );
    let event = &seen[0].json();
    assert_eq!(event["EventType"], "CHANNEL_MESSAGE_EVENT");
    let first_id = event["CallbackId"].as_str().unwrap().to_owned();
    assert!((32..=64).contains(&first_id.len()));
    assert_eq!(event["ChannelMessage"]["MessageId"], id.as_str());
    assert_eq!(event["ChannelMessage"]["ChannelArn"], channel.as_str());
    assert_eq!(event["ChannelMessage"]["Content"], "original");
    assert_eq!(event["ChannelMessage"]["Sender"]["Arn"], alice.as_str());
    assert_eq!(event["ChannelMessage"]["Persistence"], "PERSISTENT");
    assert_eq!(event["ChannelMessage"]["Type"], "STANDARD");
    let fields = event["ChannelMessage"].as_object().unwrap();
    assert!(
        fields.values().all(|v| !v.is_null()),
        "absent fields are left out: {event}"
    );
    assert!(
        !fields.contains_key("SubChannelId"),
        "a regular channel has no sub-channels"
    );
    // The event parses with the processors' own parser.
    let parsed = chime_flow::ProcessorEvent::from_value(event).unwrap();
    assert_eq!(parsed.callback_id, first_id);

    let callback = |callback_id: String, content: &str| {
        world
            .chime
            .channel_flow_callback()
            .channel_arn(&channel)
            .callback_id(callback_id)
            .channel_message(
                CallbackMessage::builder()
                    .message_id(&id)
                    .content(content)
                    .build()
                    .unwrap(),
            )
            .send()
    };
    let answered = callback(first_id.clone(), "rewritten once").await.unwrap();
    assert_eq!(answered.callback_id(), Some(first_id.as_str()));
    // Still pending: the second processor has it now, with the first one's output.
    assert_eq!(
        world.status_now(&channel, alice, &id).await,
        ChannelMessageStatus::Pending
    );
    let seen = stub.wait_for(2).await;
    assert_eq!(
        seen[1].path(),
        "/2015-03-31/functions/second-fn/invocations"
    );
    assert_eq!(
        seen[1].json()["ChannelMessage"]["Content"],
        "rewritten once"
    );
    let second_id = seen[1].json()["CallbackId"].as_str().unwrap().to_owned();
    assert_ne!(second_id, first_id);

    // A repeat of the first callback is refused as for a non-pending message.
    let repeat = callback(first_id.clone(), "again").await.unwrap_err();
    let (error, message) = code(&repeat);
    assert_eq!(error, "BadRequestException");
    assert!(message.contains("non-pending"), "{message}");
    let wrong = callback("x".repeat(40), "forged").await.unwrap_err();
    assert!(code(&wrong).1.contains("is not the one pending"));
    let too_long = callback(second_id.clone(), &"x".repeat(4097))
        .await
        .unwrap_err();
    assert_eq!(
        code(&too_long).1,
        "ChannelMessage.Content: 4097 bytes, a STANDARD message holds at most 4096"
    );
    let short = callback("short".into(), "x").await.unwrap_err();
    assert_eq!(code(&short).1, "CallbackId: 5 characters, must be 32–64");

    callback(second_id.clone(), "rewritten twice")
        .await
        .unwrap();
    assert_eq!(
        world.settled(&channel, alice, &id, None).await,
        ChannelMessageStatus::Sent
    );
    let message = world
        .chime
        .get_channel_message()
        .channel_arn(&channel)
        .message_id(&id)
        .chime_bearer(&world.users[1])
        .send()
        .await
        .unwrap()
        .channel_message
        .unwrap();
    assert_eq!(message.content(), Some("rewritten twice"));
    let late = callback(second_id, "too late").await.unwrap_err();
    assert!(code(&late).1.contains("non-pending"));

    // DeleteResource denies.
    let (denied, _) = world.send(&channel, alice, "deny me").await;
    let seen = stub.wait_for(3).await;
    let callback_id = seen[2].json()["CallbackId"].as_str().unwrap().to_owned();
    world
        .chime
        .channel_flow_callback()
        .channel_arn(&channel)
        .callback_id(callback_id)
        .delete_resource(true)
        .channel_message(
            CallbackMessage::builder()
                .message_id(&denied)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        world.settled(&channel, alice, &denied, None).await,
        ChannelMessageStatus::Denied
    );
    world.stop().await;
    stub.stop();
}

#[tokio::test]
async fn fallback_action_applies_when_a_processor_cannot_be_invoked() {
    // No in-process functions and no Lambda endpoint: nothing can be invoked.
    let config = Config {
        in_process_functions: false,
        ..Config::default()
    };
    let world = World::with_config(config, 1).await;
    let alice = &world.users[0];
    let abort = world
        .flow(vec![processor("p", "missing", 1, FallbackAction::Abort)])
        .await;
    let channel = world.channel_with_flow(&abort).await;
    let (id, _) = world.send(&channel, alice, "lost").await;
    assert_eq!(
        world.settled(&channel, alice, &id, None).await,
        ChannelMessageStatus::Failed
    );
    let status = world
        .chime
        .get_channel_message_status()
        .channel_arn(&channel)
        .message_id(&id)
        .chime_bearer(alice)
        .send()
        .await
        .unwrap();
    let detail = status.status().unwrap().detail().unwrap().to_owned();
    assert!(
        detail.starts_with("processor p could not be invoked: function missing"),
        "{detail}"
    );

    let cont = world
        .flow(vec![processor("p", "missing", 1, FallbackAction::Continue)])
        .await;
    let other = world.private_channel("other", &world.users).await;
    world
        .chime
        .associate_channel_flow()
        .channel_arn(&other)
        .channel_flow_arn(&cont)
        .chime_bearer(&world.admin)
        .send()
        .await
        .unwrap();
    let (id, _) = world.send(&other, alice, "kept").await;
    assert_eq!(
        world.settled(&other, alice, &id, None).await,
        ChannelMessageStatus::Sent
    );
    world.stop().await;
}

#[tokio::test]
async fn an_unreachable_lambda_endpoint_counts_as_not_invoked() {
    // A port that was free a moment ago: nothing listens there.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let config = Config {
        lambda_endpoint: Some(format!("http://{closed}")),
        in_process_functions: false,
        ..Config::default()
    };
    let world = World::with_config(config, 1).await;
    let arn = world
        .flow(vec![processor("p", "remote", 1, FallbackAction::Abort)])
        .await;
    let channel = world.channel_with_flow(&arn).await;
    let (id, _) = world.send(&channel, &world.users[0], "hello").await;
    assert_eq!(
        world.settled(&channel, &world.users[0], &id, None).await,
        ChannelMessageStatus::Failed
    );
    world.stop().await;
}

#[tokio::test]
async fn an_edit_waits_for_the_flow_while_the_old_text_stays_readable() {
    let stub = lambda_stub().await;
    let world = World::with_config(stub_config(&stub), 2).await;
    let arn = world
        .flow(vec![processor("p", "fn", 1, FallbackAction::Abort)])
        .await;
    let channel = world.channel_with_flow(&arn).await;
    let alice = &world.users[0];
    let callback = |callback_id: &str, id: &str, content: &str| {
        world
            .chime
            .channel_flow_callback()
            .channel_arn(&channel)
            .callback_id(callback_id)
            .channel_message(
                CallbackMessage::builder()
                    .message_id(id)
                    .content(content)
                    .build()
                    .unwrap(),
            )
            .send()
    };
    let contents = || async {
        world
            .chime
            .list_channel_messages()
            .channel_arn(&channel)
            .chime_bearer(&world.users[1])
            .send()
            .await
            .unwrap()
            .channel_messages()
            .iter()
            .map(|m| m.content().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
    };
    let (id, _) = world.send(&channel, alice, "v1").await;
    // Until its flow decides, a new message is seen by its sender only.
    assert!(contents().await.is_empty());
    let event = stub.wait_for(1).await[0].json().clone();
    callback(event["CallbackId"].as_str().unwrap(), &id, "v1")
        .await
        .unwrap();
    assert_eq!(
        world.settled(&channel, alice, &id, None).await,
        ChannelMessageStatus::Sent
    );

    world
        .chime
        .update_channel_message()
        .channel_arn(&channel)
        .message_id(&id)
        .chime_bearer(alice)
        .content("v2")
        .send()
        .await
        .unwrap();
    assert_eq!(
        world.status_now(&channel, alice, &id).await,
        ChannelMessageStatus::Pending
    );
    assert_eq!(contents().await, ["v1"]);
    let edit = stub.wait_for(2).await[1].json().clone();
    assert_eq!(edit["ChannelMessage"]["Content"], "v2");
    let edited_at = edit["ChannelMessage"]["LastEditedTimestamp"]
        .as_str()
        .unwrap();
    assert!(
        edited_at.ends_with('Z') && edited_at.contains('T'),
        "{edited_at}"
    );
    assert!(
        chime_flow::ProcessorEvent::from_value(&edit)
            .unwrap()
            .channel_message
            .is_edit()
    );
    // Editing again while the flow holds the edit is a conflict.
    let again = world
        .chime
        .update_channel_message()
        .channel_arn(&channel)
        .message_id(&id)
        .chime_bearer(alice)
        .content("v3")
        .send()
        .await
        .unwrap_err();
    assert!(code(&again).1.contains("still being processed"));
    callback(edit["CallbackId"].as_str().unwrap(), &id, "v2 (checked)")
        .await
        .unwrap();
    assert_eq!(
        world.settled(&channel, alice, &id, None).await,
        ChannelMessageStatus::Sent
    );
    assert_eq!(contents().await, ["v2 (checked)"]);
    world.stop().await;
    stub.stop();
}

/// A processor has 48 hours from the message entering its flow: a callback inside them settles it,
/// one after them is refused with Forbidden and the message stays PENDING (on the expiry clock).
#[tokio::test]
async fn a_callback_more_than_48_hours_late_is_forbidden() {
    let stub = lambda_stub().await;
    let world = World::with_config(stub_config(&stub), 1).await;
    let arn = world
        .flow(vec![processor("hold", "hold-fn", 1, FallbackAction::Abort)])
        .await;
    let channel = world.channel_with_flow(&arn).await;
    let alice = &world.users[0];
    let (in_time, _) = world.send(&channel, alice, "answered in time").await;
    let (late, _) = world.send(&channel, alice, "answered late").await;
    let seen = stub.wait_for(2).await;
    let callback_of = |id: &str| {
        seen.iter()
            .map(|call| call.json())
            .find(|event| event["ChannelMessage"]["MessageId"] == id)
            .and_then(|event| event["CallbackId"].as_str().map(str::to_owned))
            .expect("an invocation for the message")
    };
    let callback = |id: &str, callback_id: String| {
        world
            .chime
            .channel_flow_callback()
            .channel_arn(&channel)
            .callback_id(callback_id)
            .channel_message(CallbackMessage::builder().message_id(id).build().unwrap())
            .send()
    };
    advance(&world, 47 * 3600).await;
    callback(&in_time, callback_of(&in_time)).await.unwrap();
    assert_eq!(
        world.settled(&channel, alice, &in_time, None).await,
        ChannelMessageStatus::Sent
    );
    advance(&world, 3600 + 1).await;
    let refused = callback(&late, callback_of(&late)).await.unwrap_err();
    let (error, message) = code(&refused);
    assert_eq!(error, "ForbiddenException");
    assert!(message.contains("48 hours"), "{message}");
    assert_eq!(
        world.status_now(&channel, alice, &late).await,
        ChannelMessageStatus::Pending
    );
    world.stop().await;
    stub.stop();
}
