//! Memberships: who may add whom, hidden members, batches with per-member errors, the per-user views
//! and read markers.

use aws_sdk_chimesdkmessaging::types::{ChannelMembershipType, ChannelMode, ChannelPrivacy};

use crate::common::{World, all_pages, code};

#[tokio::test]
async fn who_may_add_members_depends_on_mode_and_privacy() {
    let world = World::new(4).await;
    let chime = &world.chime;
    let add = |channel: &str, bearer: &str, member: &str| {
        chime
            .create_channel_membership()
            .channel_arn(channel)
            .chime_bearer(bearer)
            .member_arn(member)
            .r#type(ChannelMembershipType::Default)
            .send()
    };
    let restricted = world.private_channel("r", &world.users[..1]).await;
    let added = add(&restricted, &world.admin, &world.users[1])
        .await
        .unwrap();
    assert_eq!(added.member().unwrap().arn(), Some(world.users[1].as_str()));
    assert_eq!(added.member().unwrap().name(), Some("user1"));
    let by_member = add(&restricted, &world.users[0], &world.users[2])
        .await
        .unwrap_err();
    let (error, message) = code(&by_member);
    assert_eq!(error, "ForbiddenException");
    assert!(message.contains("PRIVATE RESTRICTED"), "{message}");

    let open = world
        .channel(
            "u",
            ChannelPrivacy::Private,
            ChannelMode::Unrestricted,
            &world.users[..1],
        )
        .await;
    add(&open, &world.users[0], &world.users[1]).await.unwrap();
    let self_join_private = add(&open, &world.users[3], &world.users[3])
        .await
        .unwrap_err();
    assert_eq!(code(&self_join_private).0, "ForbiddenException");
    let public = world
        .channel("p", ChannelPrivacy::Public, ChannelMode::Unrestricted, &[])
        .await;
    add(&public, &world.users[3], &world.users[3])
        .await
        .unwrap();
    let twice = add(&public, &world.users[3], &world.users[3])
        .await
        .unwrap_err();
    assert_eq!(code(&twice).0, "ConflictException");
    let nobody = add(
        &public,
        &world.admin,
        &format!("{}/user/nobody", world.instance),
    )
    .await
    .unwrap_err();
    assert_eq!(code(&nobody).0, "NotFoundException");

    // Leaving is always allowed; removing someone else takes a moderator.
    let remove_other = chime
        .delete_channel_membership()
        .channel_arn(&open)
        .member_arn(&world.users[0])
        .chime_bearer(&world.users[1])
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&remove_other).0, "ForbiddenException");
    chime
        .delete_channel_membership()
        .channel_arn(&open)
        .member_arn(&world.users[1])
        .chime_bearer(&world.users[1])
        .send()
        .await
        .unwrap();
    let left = chime
        .describe_channel_membership()
        .channel_arn(&open)
        .member_arn(&world.users[1])
        .chime_bearer(&world.users[0])
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&left).0, "NotFoundException");
    world.stop().await;
}

#[tokio::test]
async fn hidden_members_are_listed_only_when_asked_by_a_moderator() {
    let world = World::new(3).await;
    let chime = &world.chime;
    let channel = world.private_channel("h", &world.users[..2]).await;
    chime
        .create_channel_membership()
        .channel_arn(&channel)
        .chime_bearer(&world.admin)
        .member_arn(&world.users[2])
        .r#type(ChannelMembershipType::Hidden)
        .send()
        .await
        .unwrap();
    let described = chime
        .describe_channel_membership()
        .channel_arn(&channel)
        .member_arn(&world.users[2])
        .chime_bearer(&world.users[0])
        .send()
        .await
        .unwrap();
    let membership = described.channel_membership().unwrap();
    assert_eq!(membership.r#type(), Some(&ChannelMembershipType::Hidden));
    assert_eq!(
        membership.invited_by().unwrap().arn(),
        Some(world.admin.as_str())
    );
    let visible = chime
        .list_channel_memberships()
        .channel_arn(&channel)
        .chime_bearer(&world.users[0])
        .send()
        .await
        .unwrap();
    assert_eq!(
        visible.channel_memberships().len(),
        3,
        "admin and two members"
    );
    let hidden = chime
        .list_channel_memberships()
        .channel_arn(&channel)
        .chime_bearer(&world.admin)
        .r#type(ChannelMembershipType::Hidden)
        .send()
        .await
        .unwrap();
    assert_eq!(hidden.channel_memberships().len(), 1);
    let by_member = chime
        .list_channel_memberships()
        .channel_arn(&channel)
        .chime_bearer(&world.users[0])
        .r#type(ChannelMembershipType::Hidden)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&by_member).0, "ForbiddenException");
    world.stop().await;
}

#[tokio::test]
async fn batches_report_errors_per_member_and_pages_list_them() {
    let world = World::new(0).await;
    let mut users = Vec::new();
    for i in 0..60 {
        users.push(world.user(&format!("m{i:02}")).await);
    }
    let chime = &world.chime;
    let channel = world.private_channel("big", &users[..1]).await;
    let mut batch = users.clone();
    batch.push(format!("{}/user/nobody", world.instance));
    let result = chime
        .batch_create_channel_membership()
        .channel_arn(&channel)
        .chime_bearer(&world.admin)
        .set_member_arns(Some(batch))
        .send()
        .await
        .unwrap();
    let added = result.batch_channel_memberships().unwrap();
    assert_eq!(added.members().len(), 59);
    assert_eq!(
        added.invited_by().unwrap().arn(),
        Some(world.admin.as_str())
    );
    let errors = result.errors();
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0].member_arn(), Some(users[0].as_str()));
    assert_eq!(errors[0].error_code().map(|c| c.as_str()), Some("Conflict"));
    assert_eq!(errors[1].error_code().map(|c| c.as_str()), Some("NotFound"));

    let too_many: Vec<String> = (0..101).map(|_| users[0].clone()).collect();
    let (error, message) = code(
        &chime
            .batch_create_channel_membership()
            .channel_arn(&channel)
            .chime_bearer(&world.admin)
            .set_member_arns(Some(too_many))
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(error, "BadRequestException");
    assert_eq!(message, "MemberArns: 101 items, must be 1–100");

    let first = chime
        .list_channel_memberships()
        .channel_arn(&channel)
        .chime_bearer(&world.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(first.channel_memberships().len(), 50, "the default page");
    let everyone = all_pages!(
        chime
            .list_channel_memberships()
            .channel_arn(&channel)
            .chime_bearer(&world.admin)
            .max_results(7)
            .into_paginator(),
        channel_memberships
    );
    let mut arns: Vec<&str> = everyone
        .iter()
        .filter_map(|m| m.member().and_then(|m| m.arn()))
        .collect();
    assert_eq!(arns.len(), 61, "60 users and the admin");
    arns.dedup();
    assert_eq!(arns.len(), 61, "no member on two pages");
    world.stop().await;
}

#[tokio::test]
async fn a_user_reads_their_own_memberships_and_read_markers() {
    let world = World::new(2).await;
    let chime = &world.chime;
    let mut channels = Vec::new();
    for name in ["a", "b", "c"] {
        channels.push(world.private_channel(name, &world.users[..1]).await);
    }
    chime
        .update_channel_read_marker()
        .channel_arn(&channels[1])
        .chime_bearer(&world.users[0])
        .send()
        .await
        .unwrap();
    let mine = all_pages!(
        chime
            .list_channel_memberships_for_app_instance_user()
            .chime_bearer(&world.users[0])
            .max_results(2)
            .into_paginator(),
        channel_memberships
    );
    assert_eq!(mine.len(), 3);
    let one = chime
        .describe_channel_membership_for_app_instance_user()
        .channel_arn(&channels[1])
        .app_instance_user_arn(&world.users[0])
        .chime_bearer(&world.users[0])
        .send()
        .await
        .unwrap();
    let membership = one.channel_membership().unwrap();
    assert_eq!(membership.channel_summary().unwrap().name(), Some("b"));
    assert!(
        membership
            .app_instance_user_membership_summary()
            .unwrap()
            .read_marker_timestamp()
            .is_some()
    );
    let someone_else = chime
        .list_channel_memberships_for_app_instance_user()
        .app_instance_user_arn(&world.users[0])
        .chime_bearer(&world.users[1])
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&someone_else).0, "ForbiddenException");
    let by_admin = chime
        .list_channel_memberships_for_app_instance_user()
        .app_instance_user_arn(&world.users[0])
        .chime_bearer(&world.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(by_admin.channel_memberships().len(), 3);
    let not_member = chime
        .update_channel_read_marker()
        .channel_arn(&channels[0])
        .chime_bearer(&world.users[1])
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&not_member).0, "ForbiddenException");
    world.stop().await;
}
