//! AppInstanceBots as identities (create, join channels, leave cleanly) and users' push endpoints,
//! through the real SDKs.

use aws_sdk_chimesdkidentity::types::{
    AppInstanceUserEndpointType, Configuration, EndpointAttributes, LexConfiguration,
};
use aws_sdk_chimesdkmessaging::types::ChannelMembershipType;

use crate::common::{World, code};

const LEX_ALIAS: &str = "arn:aws:lex:us-east-1:123456789012:bot-alias/ABCDEFGHIJ/KLMNOPQRST";

fn lex() -> Configuration {
    Configuration::builder()
        .lex(
            LexConfiguration::builder()
                .lex_bot_alias_arn(LEX_ALIAS)
                .locale_id("en_US")
                .build()
                .expect("a Lex configuration"),
        )
        .build()
}

#[tokio::test]
async fn bots_are_identities_that_join_channels_and_leave_cleanly() {
    let world = World::new(1).await;
    let bot = world
        .ident
        .create_app_instance_bot()
        .app_instance_arn(&world.instance)
        .name("helper")
        .client_request_token("bot-token-1")
        .configuration(lex())
        .send()
        .await
        .expect("CreateAppInstanceBot")
        .app_instance_bot_arn
        .unwrap_or_default();
    assert!(
        bot.starts_with(&format!("{}/bot/", world.instance)),
        "{bot}"
    );
    let described = world
        .ident
        .describe_app_instance_bot()
        .app_instance_bot_arn(&bot)
        .send()
        .await
        .expect("DescribeAppInstanceBot")
        .app_instance_bot
        .expect("a bot");
    assert_eq!(described.name(), Some("helper"));
    let stored = described
        .configuration()
        .and_then(|c| c.lex())
        .map(|l| l.lex_bot_alias_arn().to_owned());
    assert_eq!(
        stored.as_deref(),
        Some(LEX_ALIAS),
        "its Lex configuration is kept"
    );
    world
        .ident
        .update_app_instance_bot()
        .app_instance_bot_arn(&bot)
        .name("renamed")
        .metadata("m")
        .send()
        .await
        .expect("UpdateAppInstanceBot");
    let listed = world
        .ident
        .list_app_instance_bots()
        .app_instance_arn(&world.instance)
        .send()
        .await
        .expect("ListAppInstanceBots");
    let names: Vec<_> = listed
        .app_instance_bots()
        .iter()
        .filter_map(|b| b.name())
        .collect();
    assert_eq!(names, ["renamed"]);

    // A member of a channel, and a bearer that sends in it.
    let channel = world.private_channel("with-bot", &[]).await;
    world
        .chime
        .create_channel_membership()
        .channel_arn(&channel)
        .member_arn(&bot)
        .r#type(ChannelMembershipType::Default)
        .chime_bearer(&world.admin)
        .send()
        .await
        .expect("a bot joins");
    let (_, status) = world.send(&channel, &bot, "hello from a bot").await;
    assert_eq!(status, "SENT");

    world
        .ident
        .delete_app_instance_bot()
        .app_instance_bot_arn(&bot)
        .send()
        .await
        .expect("DeleteAppInstanceBot");
    let gone = world
        .chime
        .describe_channel_membership()
        .channel_arn(&channel)
        .member_arn(&bot)
        .chime_bearer(&world.admin)
        .send()
        .await
        .expect_err("its membership left with it");
    assert_eq!(code(&gone).0, "NotFoundException");
    let invalid = world
        .ident
        .create_app_instance_bot()
        .app_instance_arn(&world.instance)
        .client_request_token("bot-token-2")
        .configuration(
            Configuration::builder()
                .lex(
                    LexConfiguration::builder()
                        .lex_bot_alias_arn("arn:aws:lex:nowhere")
                        .locale_id("en_US")
                        .build()
                        .expect("builds"),
                )
                .build(),
        )
        .send()
        .await
        .expect_err("the alias ARN is checked against the model");
    let (error, message) = code(&invalid);
    assert_eq!(error, "BadRequestException");
    assert!(message.contains("LexBotAliasArn"), "{message}");
    world.stop().await;
}

#[tokio::test]
async fn user_endpoints_register_update_list_and_deregister() {
    let world = World::new(1).await;
    let user = &world.users[0];
    let register = |token: &str, device: &str| {
        world
            .ident
            .register_app_instance_user_endpoint()
            .app_instance_user_arn(user)
            .name("phone")
            .r#type(AppInstanceUserEndpointType::Gcm)
            .resource_arn("arn:aws:mobiletargeting:us-east-1:123456789012:apps/app1")
            .endpoint_attributes(
                EndpointAttributes::builder()
                    .device_token(device)
                    .build()
                    .expect("attributes"),
            )
            .client_request_token(token)
            .send()
    };
    let id = register("endpoint-1", "device-a")
        .await
        .expect("RegisterAppInstanceUserEndpoint")
        .endpoint_id
        .unwrap_or_default();
    let again = register("endpoint-2", "device-a")
        .await
        .expect_err("the same device twice");
    assert_eq!(code(&again).0, "ConflictException");
    world
        .ident
        .update_app_instance_user_endpoint()
        .app_instance_user_arn(user)
        .endpoint_id(&id)
        .allow_messages(aws_sdk_chimesdkidentity::types::AllowMessages::None)
        .send()
        .await
        .expect("UpdateAppInstanceUserEndpoint");
    let described = world
        .ident
        .describe_app_instance_user_endpoint()
        .app_instance_user_arn(user)
        .endpoint_id(&id)
        .send()
        .await
        .expect("DescribeAppInstanceUserEndpoint")
        .app_instance_user_endpoint
        .expect("an endpoint");
    assert_eq!(described.allow_messages().map(|a| a.as_str()), Some("NONE"));
    assert_eq!(
        described.endpoint_attributes().map(|a| a.device_token()),
        Some("device-a")
    );
    assert_eq!(
        described.endpoint_state().map(|s| s.status().as_str()),
        Some("ACTIVE")
    );
    let listed = world
        .ident
        .list_app_instance_user_endpoints()
        .app_instance_user_arn(user)
        .send()
        .await
        .expect("ListAppInstanceUserEndpoints");
    assert_eq!(listed.app_instance_user_endpoints().len(), 1);
    world
        .ident
        .deregister_app_instance_user_endpoint()
        .app_instance_user_arn(user)
        .endpoint_id(&id)
        .send()
        .await
        .expect("DeregisterAppInstanceUserEndpoint");
    let gone = world
        .ident
        .describe_app_instance_user_endpoint()
        .app_instance_user_arn(user)
        .endpoint_id(&id)
        .send()
        .await
        .expect_err("deregistered");
    // The model gives this operation no NotFoundException: the service answers Forbidden.
    let (error, message) = code(&gone);
    assert_eq!(error, "ForbiddenException");
    assert!(message.contains("not found"), "{message}");
    world.stop().await;
}
