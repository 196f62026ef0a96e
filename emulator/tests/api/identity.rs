//! Chime SDK Identity: app instances, users and admins.

use crate::common::{World, all_pages, code};

#[tokio::test]
async fn app_instances_are_created_described_listed_by_page_updated_and_deleted() {
    let world = World::new(0).await;
    let ident = &world.ident;
    for i in 0..4 {
        ident
            .create_app_instance()
            .name(format!("extra-{i}"))
            .metadata("m")
            .send()
            .await
            .unwrap();
    }
    let first = ident
        .list_app_instances()
        .max_results(3)
        .send()
        .await
        .unwrap();
    assert_eq!(first.app_instances().len(), 3);
    let token = first.next_token().expect("a second page");
    let second = ident
        .list_app_instances()
        .max_results(3)
        .next_token(token)
        .send()
        .await
        .unwrap();
    assert_eq!(second.app_instances().len(), 2);
    assert_eq!(second.next_token(), None);
    // The SDK's own paginator walks the same pages.
    let all: Vec<_> = all_pages!(
        ident.list_app_instances().max_results(2).into_paginator(),
        app_instances
    );
    assert_eq!(all.len(), 5);

    let described = ident
        .describe_app_instance()
        .app_instance_arn(&world.instance)
        .send()
        .await
        .unwrap();
    let instance = described.app_instance().unwrap();
    assert_eq!(instance.name(), Some("tests"));
    assert!(instance.created_timestamp().is_some());
    ident
        .update_app_instance()
        .app_instance_arn(&world.instance)
        .name("renamed")
        .metadata("{}")
        .send()
        .await
        .unwrap();
    let extra = all
        .iter()
        .find(|s| s.name() == Some("extra-0"))
        .and_then(|s| s.app_instance_arn())
        .unwrap()
        .to_owned();
    ident
        .delete_app_instance()
        .app_instance_arn(&extra)
        .send()
        .await
        .unwrap();
    let gone = ident
        .describe_app_instance()
        .app_instance_arn(&extra)
        .send()
        .await
        .unwrap_err();
    // DescribeAppInstance does not model NotFound: the service answers Forbidden.
    assert_eq!(code(&gone).0, "ForbiddenException");
    world.stop().await;
}

#[tokio::test]
async fn users_and_admins_with_their_errors() {
    let world = World::new(3).await;
    let ident = &world.ident;
    let user = ident
        .describe_app_instance_user()
        .app_instance_user_arn(&world.users[0])
        .send()
        .await
        .unwrap();
    assert_eq!(user.app_instance_user().unwrap().name(), Some("user0"));
    let twice = ident
        .create_app_instance_user()
        .app_instance_arn(&world.instance)
        .app_instance_user_id("user0")
        .name("again")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&twice).0, "ConflictException");
    let (error, message) = code(
        &ident
            .create_app_instance_user()
            .app_instance_arn(&world.instance)
            .app_instance_user_id("")
            .name("x")
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(error, "BadRequestException");
    assert_eq!(message, "AppInstanceUserId: 0 characters, must be 1–64");

    let users = all_pages!(
        ident
            .list_app_instance_users()
            .app_instance_arn(&world.instance)
            .max_results(2)
            .into_paginator(),
        app_instance_users
    );
    assert_eq!(users.len(), 4, "three users and the admin");
    ident
        .update_app_instance_user()
        .app_instance_user_arn(&world.users[1])
        .name("renamed")
        .metadata("m")
        .send()
        .await
        .unwrap();

    ident
        .create_app_instance_admin()
        .app_instance_arn(&world.instance)
        .app_instance_admin_arn(&world.users[2])
        .send()
        .await
        .unwrap();
    let admin = ident
        .describe_app_instance_admin()
        .app_instance_arn(&world.instance)
        .app_instance_admin_arn(&world.users[2])
        .send()
        .await
        .unwrap();
    let admin = admin.app_instance_admin().unwrap();
    assert_eq!(admin.admin().unwrap().name(), Some("user2"));
    let admins = ident
        .list_app_instance_admins()
        .app_instance_arn(&world.instance)
        .send()
        .await
        .unwrap();
    assert_eq!(admins.app_instance_admins().len(), 2);
    ident
        .delete_app_instance_admin()
        .app_instance_arn(&world.instance)
        .app_instance_admin_arn(&world.users[2])
        .send()
        .await
        .unwrap();
    let not_admin = ident
        .describe_app_instance_admin()
        .app_instance_arn(&world.instance)
        .app_instance_admin_arn(&world.users[2])
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&not_admin).0, "ForbiddenException");
    ident
        .delete_app_instance_user()
        .app_instance_user_arn(&world.users[0])
        .send()
        .await
        .unwrap();
    let gone = ident
        .delete_app_instance_user()
        .app_instance_user_arn(&world.users[0])
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&gone).0, "ForbiddenException");
    world.stop().await;
}

/// Deleting a user leaves nothing behind: not a membership, not a moderator role, not a ban.
#[tokio::test]
async fn a_deleted_user_leaves_every_channel() {
    use aws_sdk_chimesdkmessaging::types::{ChannelMode, ChannelPrivacy};
    let world = World::new(2).await;
    let (leaving, staying) = (world.users[0].clone(), world.users[1].clone());
    let both = vec![leaving.clone(), staying.clone()];
    let one = world.private_channel("one", &both).await;
    let two = world
        .channel("two", ChannelPrivacy::Private, ChannelMode::Restricted, &[])
        .await;
    world
        .chime
        .create_channel_moderator()
        .channel_arn(&one)
        .channel_moderator_arn(&leaving)
        .chime_bearer(&world.admin)
        .send()
        .await
        .expect("CreateChannelModerator");
    world
        .chime
        .create_channel_ban()
        .channel_arn(&two)
        .member_arn(&leaving)
        .chime_bearer(&world.admin)
        .send()
        .await
        .expect("CreateChannelBan");
    world
        .ident
        .delete_app_instance_user()
        .app_instance_user_arn(&leaving)
        .send()
        .await
        .expect("DeleteAppInstanceUser");
    let members = world
        .chime
        .list_channel_memberships()
        .channel_arn(&one)
        .chime_bearer(&world.admin)
        .send()
        .await
        .expect("ListChannelMemberships");
    let arns: Vec<&str> = members
        .channel_memberships()
        .iter()
        .filter_map(|m| m.member().and_then(|i| i.arn()))
        .collect();
    assert!(
        arns.contains(&staying.as_str()) && !arns.contains(&leaving.as_str()),
        "{arns:?}"
    );
    let moderators = world
        .chime
        .list_channel_moderators()
        .channel_arn(&one)
        .chime_bearer(&world.admin)
        .send()
        .await
        .expect("ListChannelModerators");
    assert!(
        !moderators
            .channel_moderators()
            .iter()
            .any(|m| m.moderator().and_then(|i| i.arn()) == Some(leaving.as_str())),
        "the deleted user moderates nothing"
    );
    let bans = world
        .chime
        .list_channel_bans()
        .channel_arn(&two)
        .chime_bearer(&world.admin)
        .send()
        .await
        .expect("ListChannelBans");
    assert!(bans.channel_bans().is_empty());
    world.stop().await;
}
