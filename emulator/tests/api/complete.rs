//! The operations that complete both models, through the real SDKs: bots, user endpoints, retention
//! and expiration (applied on the expiry clock), streaming configurations, membership preferences,
//! SearchChannels and the session endpoint.

use aws_sdk_chimesdkidentity::types::{
    AppInstanceRetentionSettings, AppInstanceUserEndpointType, ChannelRetentionSettings,
    Configuration, EndpointAttributes, ExpirationCriterion as UserCriterion,
    ExpirationSettings as UserExpiration, LexConfiguration,
};
use aws_sdk_chimesdkmessaging::types::{
    AllowNotifications, ChannelMembershipPreferences, ChannelMembershipType, ChannelMode,
    ChannelPrivacy, ExpirationCriterion, ExpirationSettings, MessagingDataType,
    PushNotificationPreferences, SearchField, SearchFieldKey, SearchFieldOperator,
    StreamingConfiguration,
};

use crate::common::{World, code, raw};

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

/// Moves chime-local's expiry clock forward and sweeps; what it deleted.
async fn advance(world: &World, seconds: i64) -> serde_json::Value {
    let answer = raw(
        &world.running.endpoint,
        "POST",
        "/_chime-local/clock",
        None,
        &format!(r#"{{"AdvanceSeconds": {seconds}}}"#),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    serde_json::from_str::<serde_json::Value>(&answer.body).expect("JSON")["Swept"].clone()
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
    let channel = world
        .channel(
            "with-bot",
            ChannelPrivacy::Private,
            ChannelMode::Restricted,
            &[],
        )
        .await;
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

#[tokio::test]
async fn retention_and_expiration_really_delete_on_the_clock() {
    let world = World::new(2).await;
    let channel = world
        .channel(
            "expiring",
            ChannelPrivacy::Private,
            ChannelMode::Restricted,
            &world.users,
        )
        .await;
    let kept = world
        .channel(
            "kept",
            ChannelPrivacy::Private,
            ChannelMode::Restricted,
            &world.users,
        )
        .await;
    let (old, _) = world.send(&kept, &world.users[0], "old news").await;
    world
        .chime
        .put_channel_expiration_settings()
        .channel_arn(&channel)
        .chime_bearer(&world.admin)
        .expiration_settings(
            ExpirationSettings::builder()
                .expiration_days(2)
                .expiration_criterion(ExpirationCriterion::CreatedTimestamp)
                .build()
                .expect("settings"),
        )
        .send()
        .await
        .expect("PutChannelExpirationSettings");
    let refused = world
        .chime
        .put_channel_expiration_settings()
        .channel_arn(&channel)
        .chime_bearer(&world.users[1])
        .send()
        .await
        .expect_err("a member may not");
    assert_eq!(code(&refused).0, "ForbiddenException");
    world
        .ident
        .put_app_instance_user_expiration_settings()
        .app_instance_user_arn(&world.users[1])
        .expiration_settings(
            UserExpiration::builder()
                .expiration_days(3)
                .expiration_criterion(UserCriterion::CreatedTimestamp)
                .build()
                .expect("settings"),
        )
        .send()
        .await
        .expect("PutAppInstanceUserExpirationSettings");
    let retention = world
        .ident
        .put_app_instance_retention_settings()
        .app_instance_arn(&world.instance)
        .app_instance_retention_settings(
            AppInstanceRetentionSettings::builder()
                .channel_retention_settings(
                    ChannelRetentionSettings::builder()
                        .retention_days(5)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("PutAppInstanceRetentionSettings");
    assert!(retention.initiate_deletion_timestamp().is_some());
    let got = world
        .ident
        .get_app_instance_retention_settings()
        .app_instance_arn(&world.instance)
        .send()
        .await
        .expect("GetAppInstanceRetentionSettings");
    assert_eq!(
        got.app_instance_retention_settings()
            .and_then(|s| s.channel_retention_settings())
            .and_then(|c| c.retention_days()),
        Some(5)
    );

    // Nothing has expired yet; after one day neither; after two the channel; after three the user;
    // after five the message.
    let nothing = serde_json::json!({"Users": 0, "Channels": 0, "Messages": 0});
    assert_eq!(advance(&world, 0).await, nothing);
    assert_eq!(advance(&world, 86_400).await, nothing);
    assert_eq!(
        advance(&world, 86_400).await,
        serde_json::json!({"Users": 0, "Channels": 1, "Messages": 0})
    );
    let gone = world
        .chime
        .describe_channel()
        .channel_arn(&channel)
        .chime_bearer(&world.admin)
        .send()
        .await
        .expect_err("the channel expired");
    assert_eq!(
        code(&gone).0,
        "ForbiddenException",
        "DescribeChannel has no NotFound"
    );
    assert_eq!(
        advance(&world, 86_400).await,
        serde_json::json!({"Users": 1, "Channels": 0, "Messages": 0})
    );
    let gone = world
        .ident
        .describe_app_instance_user()
        .app_instance_user_arn(&world.users[1])
        .send()
        .await
        .expect_err("the user expired");
    assert_eq!(
        code(&gone).0,
        "ForbiddenException",
        "DescribeAppInstanceUser has no NotFound"
    );
    let members = world
        .chime
        .list_channel_memberships()
        .channel_arn(&kept)
        .chime_bearer(&world.admin)
        .send()
        .await
        .expect("ListChannelMemberships");
    assert!(
        members
            .channel_memberships()
            .iter()
            .all(|m| m.member().and_then(|m| m.arn()) != Some(world.users[1].as_str())),
        "an expired user's memberships go with it"
    );
    assert_eq!(
        advance(&world, 2 * 86_400).await,
        serde_json::json!({"Users": 0, "Channels": 0, "Messages": 1})
    );
    let gone = world
        .chime
        .get_channel_message()
        .channel_arn(&kept)
        .message_id(&old)
        .chime_bearer(&world.users[0])
        .send()
        .await
        .expect_err("past the retention period");
    assert_eq!(code(&gone).0, "NotFoundException");
    world.stop().await;
}

#[tokio::test]
async fn streaming_configurations_and_membership_preferences() {
    let world = World::new(2).await;
    let missing = world
        .chime
        .get_messaging_streaming_configurations()
        .app_instance_arn(&world.instance)
        .send()
        .await
        .expect_err("none yet");
    assert_eq!(code(&missing).0, "NotFoundException");
    let stream = |kind: MessagingDataType| {
        StreamingConfiguration::builder()
            .data_type(kind)
            .resource_arn("arn:aws:kinesis:us-east-1:123456789012:stream/chat")
            .build()
            .expect("a configuration")
    };
    world
        .chime
        .put_messaging_streaming_configurations()
        .app_instance_arn(&world.instance)
        .streaming_configurations(stream(MessagingDataType::Channel))
        .streaming_configurations(stream(MessagingDataType::ChannelMessage))
        .send()
        .await
        .expect("PutMessagingStreamingConfigurations");
    let twice = world
        .chime
        .put_messaging_streaming_configurations()
        .app_instance_arn(&world.instance)
        .streaming_configurations(stream(MessagingDataType::Channel))
        .streaming_configurations(stream(MessagingDataType::Channel))
        .send()
        .await
        .expect_err("one configuration per data type");
    assert_eq!(code(&twice).0, "BadRequestException");
    let got = world
        .chime
        .get_messaging_streaming_configurations()
        .app_instance_arn(&world.instance)
        .send()
        .await
        .expect("GetMessagingStreamingConfigurations");
    assert_eq!(got.streaming_configurations().len(), 2);
    world
        .chime
        .delete_messaging_streaming_configurations()
        .app_instance_arn(&world.instance)
        .send()
        .await
        .expect("DeleteMessagingStreamingConfigurations");

    let channel = world
        .channel(
            "prefs",
            ChannelPrivacy::Private,
            ChannelMode::Restricted,
            &world.users,
        )
        .await;
    let member = &world.users[0];
    let filtered = PushNotificationPreferences::builder()
        .allow_notifications(AllowNotifications::Filtered)
        .filter_rule(r#"{"urgent": ["yes"]}"#)
        .build()
        .expect("preferences");
    world
        .chime
        .put_channel_membership_preferences()
        .channel_arn(&channel)
        .member_arn(member)
        .chime_bearer(member)
        .preferences(
            ChannelMembershipPreferences::builder()
                .push_notifications(filtered)
                .build(),
        )
        .send()
        .await
        .expect("PutChannelMembershipPreferences");
    let got = world
        .chime
        .get_channel_membership_preferences()
        .channel_arn(&channel)
        .member_arn(member)
        .chime_bearer(member)
        .send()
        .await
        .expect("GetChannelMembershipPreferences");
    let push = got
        .preferences()
        .and_then(|p| p.push_notifications())
        .expect("push preferences");
    assert_eq!(push.allow_notifications().as_str(), "FILTERED");
    assert_eq!(push.filter_rule(), Some(r#"{"urgent": ["yes"]}"#));
    let not_yours = world
        .chime
        .get_channel_membership_preferences()
        .channel_arn(&channel)
        .member_arn(member)
        .chime_bearer(&world.admin)
        .send()
        .await
        .expect_err("not even an admin reads another member's preferences");
    assert_eq!(code(&not_yours).0, "ForbiddenException");
    let no_rule = world
        .chime
        .put_channel_membership_preferences()
        .channel_arn(&channel)
        .member_arn(member)
        .chime_bearer(member)
        .preferences(
            ChannelMembershipPreferences::builder()
                .push_notifications(
                    PushNotificationPreferences::builder()
                        .allow_notifications(AllowNotifications::Filtered)
                        .build()
                        .expect("preferences"),
                )
                .build(),
        )
        .send()
        .await
        .expect_err("FILTERED needs a rule");
    let (error, message) = code(&no_rule);
    assert_eq!(error, "BadRequestException");
    assert!(message.contains("FilterRule"), "{message}");
    world.stop().await;
}

#[tokio::test]
async fn search_channels_by_members_and_the_session_endpoint() {
    let world = World::new(3).await;
    let (a, b, c) = (&world.users[0], &world.users[1], &world.users[2]);
    let ab = world
        .channel(
            "ab",
            ChannelPrivacy::Private,
            ChannelMode::Restricted,
            &[a.clone(), b.clone()],
        )
        .await;
    let abc = world
        .channel(
            "abc",
            ChannelPrivacy::Private,
            ChannelMode::Restricted,
            &[a.clone(), b.clone(), c.clone()],
        )
        .await;
    let field = |operator: SearchFieldOperator, values: &[&String]| {
        SearchField::builder()
            .key(SearchFieldKey::Members)
            .operator(operator)
            .set_values(Some(values.iter().map(|v| (*v).clone()).collect()))
            .build()
            .expect("a field")
    };
    let search = |bearer: Option<&String>, fields: Vec<SearchField>| {
        let request = world
            .chime
            .search_channels()
            .set_chime_bearer(bearer.cloned())
            .set_fields(Some(fields));
        async move {
            let mut arns: Vec<String> = request
                .send()
                .await
                .expect("SearchChannels")
                .channels()
                .iter()
                .filter_map(|c| c.channel_arn().map(str::to_owned))
                .collect();
            arns.sort();
            arns
        }
    };
    let mut both = vec![ab.clone(), abc.clone()];
    both.sort();
    // The admin created both channels and is a member of each, so EQUALS counts it.
    let admin = &world.admin;
    assert_eq!(
        search(
            Some(admin),
            vec![field(SearchFieldOperator::Includes, &[a, b])]
        )
        .await,
        both
    );
    assert_eq!(
        search(
            Some(admin),
            vec![field(SearchFieldOperator::Equals, &[admin, a, b])]
        )
        .await,
        vec![ab.clone()]
    );
    assert_eq!(
        search(None, vec![field(SearchFieldOperator::Includes, &[c])]).await,
        vec![abc.clone()],
        "an IAM caller without a bearer searches the whole instance"
    );
    // A user who is not an admin searches its own channels only.
    assert_eq!(
        search(Some(c), vec![field(SearchFieldOperator::Includes, &[a])]).await,
        vec![abc.clone()]
    );

    let url = world
        .chime
        .get_messaging_session_endpoint()
        .send()
        .await
        .expect("GetMessagingSessionEndpoint")
        .endpoint
        .and_then(|e| e.url)
        .unwrap_or_default();
    assert_eq!(url, world.running.endpoint.trim_start_matches("http://"));
    world.stop().await;
}
