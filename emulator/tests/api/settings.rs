//! Streaming configurations and channel membership preferences, through the real SDKs.

use aws_sdk_chimesdkmessaging::types::{
    AllowNotifications, ChannelMembershipPreferences, MessagingDataType,
    PushNotificationPreferences, StreamingConfiguration,
};

use crate::common::{World, code};

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

    let channel = world.private_channel("prefs", &world.users).await;
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
