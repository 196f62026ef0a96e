//! Elastic channels: creation rules, members spread over sub-channels, merging, and messages that
//! live in their sub-channel.

use aws_sdk_chimesdkmessaging::types::{
    ChannelMembershipType, ChannelMessagePersistenceType, ChannelMessageType, ChannelMode,
    ElasticChannelConfiguration,
};

use crate::common::{World, code};

fn config(max: i32, target: i32, percent: i32) -> ElasticChannelConfiguration {
    ElasticChannelConfiguration::builder()
        .maximum_sub_channels(max)
        .target_memberships_per_sub_channel(target)
        .minimum_membership_percentage(percent)
        .build()
        .unwrap()
}

async fn counts(world: &World, channel: &str) -> Vec<(String, i32)> {
    world
        .chime
        .list_sub_channels()
        .channel_arn(channel)
        .chime_bearer(&world.admin)
        .send()
        .await
        .unwrap()
        .sub_channels()
        .iter()
        .map(|s| {
            (
                s.sub_channel_id().unwrap_or_default().to_owned(),
                s.membership_count().unwrap_or_default(),
            )
        })
        .collect()
}

#[tokio::test]
async fn creation_is_validated() {
    let world = World::new(1).await;
    let create = || {
        world
            .chime
            .create_channel()
            .app_instance_arn(&world.instance)
            .name("e")
            .chime_bearer(&world.admin)
    };
    let (error, message) = code(
        &create()
            .mode(ChannelMode::Unrestricted)
            .elastic_channel_configuration(config(2, 2, 10))
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(error, "BadRequestException");
    assert_eq!(
        message,
        "ElasticChannelConfiguration: elastic channels must be RESTRICTED"
    );
    let (_, message) = code(
        &create()
            .mode(ChannelMode::Restricted)
            .member_arns(&world.users[0])
            .elastic_channel_configuration(config(2, 2, 10))
            .send()
            .await
            .unwrap_err(),
    );
    assert!(message.starts_with("MemberArns: an elastic channel is created without members"));
    let (_, message) = code(
        &create()
            .elastic_channel_configuration(config(1, 2, 10))
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        message,
        "ElasticChannelConfiguration.MaximumSubChannels: 1 is out of range at least 2"
    );
    let (_, message) = code(
        &create()
            .elastic_channel_configuration(config(2, 2, 41))
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        message,
        "ElasticChannelConfiguration.MinimumMembershipPercentage: 41 is out of range 1–40"
    );
    world.stop().await;
}

#[tokio::test]
async fn members_fill_sub_channels_to_the_target_then_balance_and_small_ones_merge() {
    let world = World::new(13).await;
    let chime = &world.chime;
    let channel = world.elastic_channel(3, 4, 40).await;
    let described = chime
        .describe_channel()
        .channel_arn(&channel)
        .chime_bearer(&world.admin)
        .send()
        .await
        .unwrap();
    let elastic = described
        .channel()
        .unwrap()
        .elastic_channel_configuration()
        .unwrap();
    assert_eq!(elastic.target_memberships_per_sub_channel(), 4);
    chime
        .batch_create_channel_membership()
        .channel_arn(&channel)
        .chime_bearer(&world.admin)
        .set_member_arns(Some(world.users[..10].to_vec()))
        .send()
        .await
        .unwrap();
    let ids = |c: &[(String, i32)]| c.iter().map(|(_, n)| *n).collect::<Vec<_>>();
    assert_eq!(ids(&counts(&world, &channel).await), [4, 4, 2]);
    for user in &world.users[10..13] {
        let added = chime
            .create_channel_membership()
            .channel_arn(&channel)
            .chime_bearer(&world.admin)
            .member_arn(user)
            .r#type(ChannelMembershipType::Default)
            .send()
            .await
            .unwrap();
        assert!(added.sub_channel_id().is_some());
    }
    // All at the target and no room for a fourth sub-channel: the least filled grows.
    assert_eq!(ids(&counts(&world, &channel).await), [5, 4, 4]);
    // The creator moderates but is in no sub-channel.
    let creator = chime
        .describe_channel_membership()
        .channel_arn(&channel)
        .member_arn(&world.admin)
        .chime_bearer(&world.admin)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&creator).0, "NotFoundException");

    // Sub-channel 3 holds users 8, 9 and 11 … minimum is ceil(40% of 4) = 2.
    let in_three: Vec<String> = {
        let listed = chime
            .list_channel_memberships()
            .channel_arn(&channel)
            .chime_bearer(&world.admin)
            .sub_channel_id("3")
            .send()
            .await
            .unwrap();
        listed
            .channel_memberships()
            .iter()
            .filter_map(|m| m.member().and_then(|m| m.arn()).map(str::to_owned))
            .collect()
    };
    assert_eq!(in_three.len(), 4);
    for member in &in_three[..3] {
        chime
            .delete_channel_membership()
            .channel_arn(&channel)
            .member_arn(member)
            .chime_bearer(&world.admin)
            .send()
            .await
            .unwrap();
    }
    let after = counts(&world, &channel).await;
    assert_eq!(after.len(), 2, "sub-channel 3 merged away: {after:?}");
    assert_eq!(after.iter().map(|(_, n)| n).sum::<i32>(), 10);
    let moved = chime
        .describe_channel_membership()
        .channel_arn(&channel)
        .member_arn(&in_three[3])
        .chime_bearer(&world.admin)
        .send()
        .await
        .unwrap();
    assert_ne!(
        moved.channel_membership().unwrap().sub_channel_id(),
        Some("3")
    );

    let by_member = chime
        .list_sub_channels()
        .channel_arn(&channel)
        .chime_bearer(&world.users[0])
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&by_member).0, "ForbiddenException");
    let hidden = chime
        .create_channel_membership()
        .channel_arn(&channel)
        .chime_bearer(&world.admin)
        .member_arn(&in_three[0])
        .r#type(ChannelMembershipType::Hidden)
        .send()
        .await
        .unwrap_err();
    assert!(code(&hidden).1.contains("no HIDDEN memberships"));
    let marker = chime
        .update_channel_read_marker()
        .channel_arn(&channel)
        .chime_bearer(&world.users[0])
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&marker).1, "elastic channels keep no read markers");
    world.stop().await;
}

#[tokio::test]
async fn messages_live_in_their_sub_channel() {
    let world = World::new(4).await;
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
    // users 0 and 1 are in sub-channel 1, users 2 and 3 in 2.
    let send = |bearer: &str, sub: Option<&str>| {
        chime
            .send_channel_message()
            .channel_arn(&channel)
            .chime_bearer(bearer)
            .content("hello")
            .r#type(ChannelMessageType::Standard)
            .persistence(ChannelMessagePersistenceType::Persistent)
            .set_sub_channel_id(sub.map(str::to_owned))
    };
    let sent = send(&world.users[0], None).send().await.unwrap();
    assert_eq!(sent.sub_channel_id(), Some("1"));
    let wrong = send(&world.users[0], Some("2")).send().await.unwrap_err();
    assert_eq!(code(&wrong).0, "ForbiddenException");
    let moderator_without = send(&world.admin, None).send().await.unwrap_err();
    assert_eq!(
        code(&moderator_without).1,
        "SubChannelId: required to act in an elastic channel as a moderator or admin"
    );
    let by_moderator = send(&world.admin, Some("2")).send().await.unwrap();
    assert_eq!(by_moderator.sub_channel_id(), Some("2"));

    let list = |bearer: &str, sub: Option<&str>| {
        chime
            .list_channel_messages()
            .channel_arn(&channel)
            .chime_bearer(bearer)
            .set_sub_channel_id(sub.map(str::to_owned))
            .send()
    };
    let one = list(&world.users[1], None).await.unwrap();
    assert_eq!(one.sub_channel_id(), Some("1"));
    assert_eq!(one.channel_messages().len(), 1);
    assert_eq!(
        one.channel_messages()[0].sender().unwrap().arn(),
        Some(world.users[0].as_str())
    );
    let two = list(&world.users[2], None).await.unwrap();
    assert_eq!(two.channel_messages().len(), 1);
    assert_eq!(
        two.channel_messages()[0].sender().unwrap().arn(),
        Some(world.admin.as_str())
    );
    let unknown = list(&world.admin, Some("9")).await.unwrap_err();
    assert_eq!(code(&unknown).0, "ForbiddenException");
    // Reading a message of another sub-channel finds nothing.
    let elsewhere = chime
        .get_channel_message()
        .channel_arn(&channel)
        .message_id(sent.message_id().unwrap())
        .chime_bearer(&world.users[2])
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&elsewhere).0, "NotFoundException");
    let redacted = chime
        .redact_channel_message()
        .channel_arn(&channel)
        .message_id(sent.message_id().unwrap())
        .chime_bearer(&world.admin)
        .sub_channel_id("1")
        .send()
        .await
        .unwrap();
    assert_eq!(redacted.sub_channel_id(), Some("1"));
    world.stop().await;
}
