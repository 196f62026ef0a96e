//! Retention and expiration: applied on chime-local's expiry clock, which the test advances.

use aws_sdk_chimesdkidentity::types::{
    AppInstanceRetentionSettings, ChannelRetentionSettings, ExpirationCriterion as UserCriterion,
    ExpirationSettings as UserExpiration,
};
use aws_sdk_chimesdkmessaging::types::{ExpirationCriterion, ExpirationSettings};

use crate::common::{World, advance, code};

#[tokio::test]
async fn retention_and_expiration_really_delete_on_the_clock() {
    let world = World::new(2).await;
    let channel = world.private_channel("expiring", &world.users).await;
    let kept = world.private_channel("kept", &world.users).await;
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
