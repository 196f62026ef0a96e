//! Channels and moderators: privacy, mode and who may do what.

use aws_sdk_chimesdkmessaging::types::{ChannelMode, ChannelPrivacy};

use crate::common::{World, all_pages, code};

#[tokio::test]
async fn channels_are_created_described_updated_listed_and_deleted() {
    let world = World::new(3).await;
    let chime = &world.chime;
    let members = world.users[..2].to_vec();
    let private = world.private_channel("private", &members).await;
    for i in 0..6 {
        world
            .channel(
                &format!("public-{i}"),
                ChannelPrivacy::Public,
                ChannelMode::Unrestricted,
                &[],
            )
            .await;
    }
    let described = chime
        .describe_channel()
        .channel_arn(&private)
        .chime_bearer(&world.users[0])
        .send()
        .await
        .unwrap();
    let channel = described.channel().unwrap();
    assert_eq!(channel.name(), Some("private"));
    assert_eq!(channel.privacy(), Some(&ChannelPrivacy::Private));
    assert_eq!(
        channel.created_by().unwrap().arn(),
        Some(world.admin.as_str())
    );
    assert!(channel.elastic_channel_configuration().is_none());

    // A non-member may not look into a PRIVATE channel.
    let outsider = chime
        .describe_channel()
        .channel_arn(&private)
        .chime_bearer(&world.users[2])
        .send()
        .await
        .unwrap_err();
    let (error, message) = code(&outsider);
    assert_eq!(error, "ForbiddenException");
    assert!(
        message.contains("only a member of the channel may"),
        "{message}"
    );
    // Members may not update; moderators (the creator) may.
    let member_update = chime
        .update_channel()
        .channel_arn(&private)
        .chime_bearer(&world.users[0])
        .name("mine")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&member_update).0, "ForbiddenException");
    chime
        .update_channel()
        .channel_arn(&private)
        .chime_bearer(&world.admin)
        .name("renamed")
        .metadata("{\"topic\":\"x\"}")
        .mode(ChannelMode::Unrestricted)
        .send()
        .await
        .unwrap();

    // A user sees PUBLIC channels only; the admin sees all, page by page.
    let public = all_pages!(
        chime
            .list_channels()
            .app_instance_arn(&world.instance)
            .chime_bearer(&world.users[2])
            .max_results(4)
            .into_paginator(),
        channels
    );
    assert_eq!(public.len(), 6);
    let page = chime
        .list_channels()
        .app_instance_arn(&world.instance)
        .chime_bearer(&world.admin)
        .max_results(3)
        .send()
        .await
        .unwrap();
    assert_eq!(page.channels().len(), 3);
    assert!(page.next_token().is_some());
    let all = chime
        .list_channels()
        .app_instance_arn(&world.instance)
        .chime_bearer(&world.admin)
        .max_results(50)
        .send()
        .await
        .unwrap();
    assert_eq!(all.channels().len(), 7);
    let private_list = chime
        .list_channels()
        .app_instance_arn(&world.instance)
        .chime_bearer(&world.users[0])
        .privacy(ChannelPrivacy::Private)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&private_list).0, "ForbiddenException");
    let (error, message) = code(
        &chime
            .list_channels()
            .app_instance_arn(&world.instance)
            .chime_bearer(&world.admin)
            .max_results(51)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(error, "BadRequestException");
    assert_eq!(message, "MaxResults: 51 is out of range 1–50");

    chime
        .delete_channel()
        .channel_arn(&private)
        .chime_bearer(&world.admin)
        .send()
        .await
        .unwrap();
    let gone = chime
        .describe_channel()
        .channel_arn(&private)
        .chime_bearer(&world.admin)
        .send()
        .await
        .unwrap_err();
    let (error, message) = code(&gone);
    assert_eq!(error, "ForbiddenException");
    assert!(message.contains("not found"), "{message}");
    world.stop().await;
}

#[tokio::test]
async fn create_channel_checks_its_input() {
    let world = World::new(1).await;
    let stranger = "arn:aws:chime:us-east-1:000000000000:app-instance/other/user/x";
    let not_a_user = world
        .chime
        .create_channel()
        .app_instance_arn(&world.instance)
        .name("c")
        .chime_bearer(stranger)
        .send()
        .await
        .unwrap_err();
    let (error, message) = code(&not_a_user);
    assert_eq!(error, "ForbiddenException");
    assert!(
        message.contains("is not a user of the app instance"),
        "{message}"
    );
    let unknown_member = world
        .chime
        .create_channel()
        .app_instance_arn(&world.instance)
        .name("c")
        .chime_bearer(&world.admin)
        .member_arns(format!("{}/user/nobody", world.instance))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&unknown_member).0, "ForbiddenException");
    let (error, message) = code(
        &world
            .chime
            .create_channel()
            .app_instance_arn(&world.instance)
            .name("")
            .chime_bearer(&world.admin)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(
        (error.as_str(), message.as_str()),
        ("BadRequestException", "Name: 0 characters, must be 1–256")
    );
    world.stop().await;
}

#[tokio::test]
async fn moderators_are_added_described_listed_and_removed() {
    let world = World::new(3).await;
    let chime = &world.chime;
    let channel = world.private_channel("mods", &world.users).await;
    chime
        .create_channel_moderator()
        .channel_arn(&channel)
        .channel_moderator_arn(&world.users[0])
        .chime_bearer(&world.admin)
        .send()
        .await
        .unwrap();
    // A moderator may add another; a member may not.
    chime
        .create_channel_moderator()
        .channel_arn(&channel)
        .channel_moderator_arn(&world.users[1])
        .chime_bearer(&world.users[0])
        .send()
        .await
        .unwrap();
    let by_member = chime
        .create_channel_moderator()
        .channel_arn(&channel)
        .channel_moderator_arn(&world.users[2])
        .chime_bearer(&world.users[2])
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&by_member).0, "ForbiddenException");
    let again = chime
        .create_channel_moderator()
        .channel_arn(&channel)
        .channel_moderator_arn(&world.users[1])
        .chime_bearer(&world.admin)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&again).0, "ConflictException");
    let described = chime
        .describe_channel_moderator()
        .channel_arn(&channel)
        .channel_moderator_arn(&world.users[1])
        .chime_bearer(&world.users[2])
        .send()
        .await
        .unwrap();
    let moderator = described.channel_moderator().unwrap();
    assert_eq!(
        moderator.created_by().unwrap().arn(),
        Some(world.users[0].as_str())
    );
    let listed = chime
        .list_channel_moderators()
        .channel_arn(&channel)
        .chime_bearer(&world.users[2])
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed.channel_moderators().len(),
        3,
        "creator and two added"
    );
    chime
        .delete_channel_moderator()
        .channel_arn(&channel)
        .channel_moderator_arn(&world.users[1])
        .chime_bearer(&world.admin)
        .send()
        .await
        .unwrap();
    let gone = chime
        .describe_channel_moderator()
        .channel_arn(&channel)
        .channel_moderator_arn(&world.users[1])
        .chime_bearer(&world.admin)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&gone).0, "NotFoundException");
    world.stop().await;
}
