//! Bans (a banned member is removed and cannot come back until the ban is lifted) and the channels a
//! user moderates.

use aws_sdk_chimesdkmessaging::types::{ChannelMembershipType, ChannelMode, ChannelPrivacy};

use crate::common::{World, code};

#[tokio::test]
async fn a_ban_removes_the_member_and_keeps_them_out_until_lifted() {
    let world = World::new(3).await;
    let chime = &world.chime;
    let channel = world
        .channel(
            "b",
            ChannelPrivacy::Public,
            ChannelMode::Unrestricted,
            &world.users[..2],
        )
        .await;
    let banned = &world.users[1];
    let by_member = chime
        .create_channel_ban()
        .channel_arn(&channel)
        .member_arn(banned)
        .chime_bearer(&world.users[0])
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&by_member).0, "ForbiddenException");
    let ban = chime
        .create_channel_ban()
        .channel_arn(&channel)
        .member_arn(banned)
        .chime_bearer(&world.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(ban.member().unwrap().name(), Some("user1"));
    let again = chime
        .create_channel_ban()
        .channel_arn(&channel)
        .member_arn(banned)
        .chime_bearer(&world.admin)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&again).0, "ConflictException");
    // Kicked at once, and kept out: by a moderator, by a batch, by joining a PUBLIC UNRESTRICTED channel.
    let gone = chime
        .describe_channel_membership()
        .channel_arn(&channel)
        .member_arn(banned)
        .chime_bearer(&world.admin)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&gone).0, "NotFoundException");
    let add = |bearer: &str| {
        chime
            .create_channel_membership()
            .channel_arn(&channel)
            .member_arn(banned)
            .chime_bearer(bearer)
            .r#type(ChannelMembershipType::Default)
            .send()
    };
    let (error, message) = code(&add(&world.admin).await.unwrap_err());
    assert_eq!(error, "ForbiddenException");
    assert!(message.contains("is banned from this channel"), "{message}");
    assert!(
        add(banned)
            .await
            .unwrap_err()
            .as_service_error()
            .unwrap()
            .is_forbidden_exception()
    );
    let batch = chime
        .batch_create_channel_membership()
        .channel_arn(&channel)
        .member_arns(banned)
        .member_arns(&world.users[2])
        .chime_bearer(&world.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(
        batch.batch_channel_memberships().unwrap().members().len(),
        1
    );
    assert_eq!(
        batch.errors()[0].error_code().map(|c| c.as_str()),
        Some("Forbidden")
    );

    let described = chime
        .describe_channel_ban()
        .channel_arn(&channel)
        .member_arn(banned)
        .chime_bearer(&world.admin)
        .send()
        .await
        .unwrap();
    let described = described.channel_ban().unwrap();
    assert_eq!(
        described.created_by().unwrap().arn(),
        Some(world.admin.as_str())
    );
    assert!(described.created_timestamp().is_some());
    let listed = chime
        .list_channel_bans()
        .channel_arn(&channel)
        .chime_bearer(&world.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.channel_bans().len(), 1);
    let list_by_member = chime
        .list_channel_bans()
        .channel_arn(&channel)
        .chime_bearer(&world.users[0])
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&list_by_member).0, "ForbiddenException");

    chime
        .delete_channel_ban()
        .channel_arn(&channel)
        .member_arn(banned)
        .chime_bearer(&world.admin)
        .send()
        .await
        .unwrap();
    add(banned).await.unwrap();
    let not_banned = chime
        .describe_channel_ban()
        .channel_arn(&channel)
        .member_arn(banned)
        .chime_bearer(&world.admin)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&not_banned).0, "NotFoundException");
    world.stop().await;
}

#[tokio::test]
async fn a_user_lists_the_channels_they_moderate() {
    let world = World::new(2).await;
    let chime = &world.chime;
    let mut channels = Vec::new();
    for name in ["one", "two", "three"] {
        channels.push(world.private_channel(name, &world.users).await);
    }
    for channel in &channels[..2] {
        chime
            .create_channel_moderator()
            .channel_arn(channel)
            .channel_moderator_arn(&world.users[0])
            .chime_bearer(&world.admin)
            .send()
            .await
            .unwrap();
    }
    let mine = chime
        .list_channels_moderated_by_app_instance_user()
        .chime_bearer(&world.users[0])
        .max_results(1)
        .into_paginator();
    let mine = crate::common::all_pages!(mine, channels);
    let mut names: Vec<&str> = mine
        .iter()
        .filter_map(|c| c.channel_summary().and_then(|s| s.name()))
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["one", "two"]);
    let by_admin = chime
        .list_channels_moderated_by_app_instance_user()
        .app_instance_user_arn(&world.users[0])
        .chime_bearer(&world.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(by_admin.channels().len(), 2);
    let by_other = chime
        .list_channels_moderated_by_app_instance_user()
        .app_instance_user_arn(&world.users[0])
        .chime_bearer(&world.users[1])
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&by_other).0, "ForbiddenException");
    let one = chime
        .describe_channel_moderated_by_app_instance_user()
        .channel_arn(&channels[0])
        .app_instance_user_arn(&world.users[0])
        .chime_bearer(&world.users[0])
        .send()
        .await
        .unwrap();
    assert_eq!(
        one.channel()
            .and_then(|c| c.channel_summary())
            .and_then(|s| s.name()),
        Some("one")
    );
    let not_moderated = chime
        .describe_channel_moderated_by_app_instance_user()
        .channel_arn(&channels[2])
        .app_instance_user_arn(&world.users[0])
        .chime_bearer(&world.users[0])
        .send()
        .await
        .unwrap_err();
    let (error, message) = code(&not_moderated);
    assert_eq!(
        error, "ForbiddenException",
        "NotFound is not modelled for this operation"
    );
    assert!(
        message.contains("does not moderate this channel"),
        "{message}"
    );
    world.stop().await;
}
