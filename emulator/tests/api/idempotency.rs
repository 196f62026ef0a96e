//! Request ids and `ClientRequestToken`: every answer carries `x-amzn-RequestId`; a retried create
//! (same token, same input) returns the first result and creates nothing more; the same token with
//! different input is refused.

use aws_sdk_chimesdkmessaging::operation::RequestId;
use aws_sdk_chimesdkmessaging::types::{
    ChannelMessagePersistenceType, ChannelMessageType, ChannelMode, ChannelPrivacy,
};

use crate::common::{World, code, raw};

#[tokio::test]
async fn every_answer_carries_a_request_id() {
    let world = World::new(1).await;
    let listed = world
        .chime
        .list_channels()
        .app_instance_arn(&world.instance)
        .chime_bearer(&world.admin)
        .send()
        .await
        .expect("ListChannels");
    let first = listed.request_id().expect("a request id").to_owned();
    assert_eq!(first.len(), 36, "UUID-shaped: {first}");
    let again = world
        .chime
        .list_channels()
        .app_instance_arn(&world.instance)
        .chime_bearer(&world.admin)
        .send()
        .await
        .expect("ListChannels");
    assert_ne!(
        again.request_id(),
        Some(first.as_str()),
        "one id per request"
    );
    let error = world
        .chime
        .describe_channel()
        .channel_arn(format!("{}/channel/nope", world.instance))
        .chime_bearer(&world.admin)
        .send()
        .await
        .expect_err("no such channel");
    let id = error
        .as_service_error()
        .and_then(|e| e.meta().request_id())
        .expect("errors carry the request id too");
    assert_eq!(id.len(), 36);
    // And the wire's own refusals (no signature) as well.
    let unsigned = raw(&world.running.endpoint, "GET", "/app-instances", None, "").await;
    assert_eq!(unsigned.status, 401);
    assert!(unsigned.headers.contains_key("x-amzn-requestid"));
    world.stop().await;
}

#[tokio::test]
async fn a_retried_create_returns_the_first_result() {
    let world = World::new(1).await;
    let create = |name: &str, token: &str| {
        world
            .chime
            .create_channel()
            .app_instance_arn(&world.instance)
            .name(name)
            .chime_bearer(&world.admin)
            .mode(ChannelMode::Restricted)
            .privacy(ChannelPrivacy::Private)
            .client_request_token(token)
            .send()
    };
    let first = create("retried", "token-0000000001")
        .await
        .expect("CreateChannel");
    let retry = create("retried", "token-0000000001")
        .await
        .expect("a retry");
    assert_eq!(first.channel_arn(), retry.channel_arn());
    let mismatch = create("other name", "token-0000000001")
        .await
        .expect_err("reused token");
    let (error, message) = code(&mismatch);
    assert_eq!(error, "ConflictException");
    assert!(message.contains("different input"), "{message}");
    let other = create("retried", "token-0000000002")
        .await
        .expect("a new token");
    assert_ne!(
        other.channel_arn(),
        first.channel_arn(),
        "a new token is a new channel"
    );
    let channels = world
        .chime
        .list_channels()
        .app_instance_arn(&world.instance)
        .chime_bearer(&world.admin)
        .privacy(ChannelPrivacy::Private)
        .send()
        .await
        .expect("ListChannels");
    assert_eq!(channels.channels().len(), 2, "the retry created nothing");

    let channel = first.channel_arn().unwrap_or_default().to_owned();
    world
        .chime
        .create_channel_membership()
        .channel_arn(&channel)
        .member_arn(&world.users[0])
        .r#type(aws_sdk_chimesdkmessaging::types::ChannelMembershipType::Default)
        .chime_bearer(&world.admin)
        .send()
        .await
        .expect("CreateChannelMembership");
    let send = || {
        world
            .chime
            .send_channel_message()
            .channel_arn(&channel)
            .chime_bearer(&world.users[0])
            .content("once")
            .r#type(ChannelMessageType::Standard)
            .persistence(ChannelMessagePersistenceType::Persistent)
            .client_request_token("message-token-01")
            .send()
    };
    let sent = send().await.expect("SendChannelMessage");
    let resent = send().await.expect("a retried send");
    assert_eq!(sent.message_id(), resent.message_id());
    let messages = world
        .chime
        .list_channel_messages()
        .channel_arn(&channel)
        .chime_bearer(&world.users[0])
        .send()
        .await
        .expect("ListChannelMessages");
    assert_eq!(messages.channel_messages().len(), 1, "sent once");
    world.stop().await;
}
