//! Messages on a channel without a flow: send, read, list (order, time window, pages), edit, redact,
//! delete and status, with the limits and permissions that apply.

use std::collections::HashMap;

use aws_sdk_chimesdkmessaging::primitives::DateTime;
use aws_sdk_chimesdkmessaging::types::{
    ChannelMessagePersistenceType, ChannelMessageStatus, ChannelMessageType, ChannelMode,
    ChannelPrivacy, MessageAttributeValue, SortOrder,
};

use crate::common::{World, all_pages, code};

#[tokio::test]
async fn messages_round_trip_with_metadata_and_attributes() {
    let world = World::new(3).await;
    let chime = &world.chime;
    let channel = world.private_channel("m", &world.users[..2]).await;
    let attribute = MessageAttributeValue::builder()
        .string_values("blue")
        .build();
    let sent = chime
        .send_channel_message()
        .channel_arn(&channel)
        .chime_bearer(&world.users[0])
        .content("héllo 👋 שלום")
        .metadata("{\"k\":1}")
        .content_type("text/plain")
        .message_attributes("colour", attribute)
        .r#type(ChannelMessageType::Standard)
        .persistence(ChannelMessagePersistenceType::Persistent)
        .send()
        .await
        .unwrap();
    assert_eq!(
        sent.status().and_then(|s| s.value()),
        Some(&ChannelMessageStatus::Sent)
    );
    let id = sent.message_id().unwrap();
    let got = chime
        .get_channel_message()
        .channel_arn(&channel)
        .message_id(id)
        .chime_bearer(&world.users[1])
        .send()
        .await
        .unwrap();
    let message = got.channel_message().unwrap();
    assert_eq!(message.content(), Some("héllo 👋 שלום"));
    assert_eq!(message.metadata(), Some("{\"k\":1}"));
    assert_eq!(message.content_type(), Some("text/plain"));
    let attributes: &HashMap<String, MessageAttributeValue> = message.message_attributes().unwrap();
    assert_eq!(attributes["colour"].string_values(), ["blue"]);
    assert_eq!(message.sender().unwrap().name(), Some("user0"));
    assert!(!message.redacted());
    assert!(message.created_timestamp().is_some());

    let outsider = chime
        .send_channel_message()
        .channel_arn(&channel)
        .chime_bearer(&world.users[2])
        .content("let me in")
        .r#type(ChannelMessageType::Standard)
        .persistence(ChannelMessagePersistenceType::Persistent)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&outsider).0, "ForbiddenException");
    let status_by_other = chime
        .get_channel_message_status()
        .channel_arn(&channel)
        .message_id(id)
        .chime_bearer(&world.users[1])
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&status_by_other).0, "ForbiddenException");
    world.stop().await;
}

#[tokio::test]
async fn limits_are_enforced_with_the_field_named() {
    let world = World::new(1).await;
    let chime = &world.chime;
    let channel = world.private_channel("l", &world.users).await;
    let send = |content: String, kind: ChannelMessageType| {
        chime
            .send_channel_message()
            .channel_arn(&channel)
            .chime_bearer(&world.users[0])
            .content(content)
            .r#type(kind)
            .persistence(ChannelMessagePersistenceType::Persistent)
            .send()
    };
    let (error, message) = code(
        &send("x".repeat(4097), ChannelMessageType::Standard)
            .await
            .unwrap_err(),
    );
    assert_eq!(error, "BadRequestException");
    assert_eq!(
        message,
        "Content: 4097 bytes, a STANDARD message holds at most 4096"
    );
    send("x".repeat(4096), ChannelMessageType::Standard)
        .await
        .unwrap();
    let (_, message) = code(
        &send("y".repeat(31), ChannelMessageType::Control)
            .await
            .unwrap_err(),
    );
    assert_eq!(
        message,
        "Content: 31 bytes, a CONTROL message holds at most 30"
    );
    let (_, message) = code(
        &chime
            .send_channel_message()
            .channel_arn(&channel)
            .chime_bearer(&world.users[0])
            .content("m")
            .metadata("z".repeat(1025))
            .r#type(ChannelMessageType::Standard)
            .persistence(ChannelMessagePersistenceType::Persistent)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(message, "Metadata: 1025 characters, must be 0–1024");
    let (_, message) = code(
        &chime
            .send_channel_message()
            .channel_arn(&channel)
            .chime_bearer(&world.users[0])
            .content("")
            .r#type(ChannelMessageType::Standard)
            .persistence(ChannelMessagePersistenceType::Persistent)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(message, "Content: 0 characters, must be at least 1");
    world.stop().await;
}

#[tokio::test]
async fn lists_are_ordered_windowed_and_paged_and_skip_non_persistent_messages() {
    let world = World::new(1).await;
    let chime = &world.chime;
    let channel = world
        .channel(
            "l",
            ChannelPrivacy::Public,
            ChannelMode::Restricted,
            &world.users,
        )
        .await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let (id, _) = world
            .send(&channel, &world.users[0], &format!("message {i}"))
            .await;
        ids.push(id);
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    chime
        .send_channel_message()
        .channel_arn(&channel)
        .chime_bearer(&world.users[0])
        .content("ephemeral")
        .r#type(ChannelMessageType::Standard)
        .persistence(ChannelMessagePersistenceType::NonPersistent)
        .send()
        .await
        .unwrap();
    let contents = |messages: &[aws_sdk_chimesdkmessaging::types::ChannelMessageSummary]| {
        messages
            .iter()
            .map(|m| m.content().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
    };
    // Newest first by default, walked by the SDK's paginator two at a time.
    let all = all_pages!(
        chime
            .list_channel_messages()
            .channel_arn(&channel)
            .chime_bearer(&world.admin)
            .max_results(2)
            .into_paginator(),
        channel_messages
    );
    assert_eq!(
        contents(&all),
        [
            "message 4",
            "message 3",
            "message 2",
            "message 1",
            "message 0"
        ]
    );
    let ascending = chime
        .list_channel_messages()
        .channel_arn(&channel)
        .chime_bearer(&world.admin)
        .sort_order(SortOrder::Ascending)
        .max_results(3)
        .send()
        .await
        .unwrap();
    assert_eq!(
        contents(ascending.channel_messages()),
        ["message 0", "message 1", "message 2"]
    );
    assert!(ascending.next_token().is_some());
    // A time window in the query (ISO-8601 on the wire).
    let third = all[2].created_timestamp().unwrap().as_secs_f64();
    let window = chime
        .list_channel_messages()
        .channel_arn(&channel)
        .chime_bearer(&world.admin)
        .not_before(DateTime::from_secs_f64(third - 0.002))
        .not_after(DateTime::from_secs_f64(third + 0.002))
        .send()
        .await
        .unwrap();
    assert_eq!(contents(window.channel_messages()), ["message 2"]);
    // A PUBLIC channel can be read by a non-member.
    let outsider = world.user("outsider").await;
    let read = chime
        .list_channel_messages()
        .channel_arn(&channel)
        .chime_bearer(&outsider)
        .send()
        .await
        .unwrap();
    assert_eq!(read.channel_messages().len(), 5);
    let bad_token = chime
        .list_channel_messages()
        .channel_arn(&channel)
        .chime_bearer(&world.admin)
        .next_token("not-a-token")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(&bad_token).1,
        "NextToken: not a token this list returned"
    );
    world.stop().await;
}

#[tokio::test]
async fn edit_redact_and_delete_follow_their_rules() {
    let world = World::new(2).await;
    let chime = &world.chime;
    let channel = world.private_channel("e", &world.users).await;
    let (id, _) = world.send(&channel, &world.users[0], "first draft").await;
    let by_other = chime
        .update_channel_message()
        .channel_arn(&channel)
        .message_id(&id)
        .chime_bearer(&world.users[1])
        .content("hijacked")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&by_other).0, "ForbiddenException");
    let edited = chime
        .update_channel_message()
        .channel_arn(&channel)
        .message_id(&id)
        .chime_bearer(&world.users[0])
        .content("second draft")
        .metadata("v2")
        .send()
        .await
        .unwrap();
    assert_eq!(
        edited.status().and_then(|s| s.value()),
        Some(&ChannelMessageStatus::Sent)
    );
    let get = || {
        chime
            .get_channel_message()
            .channel_arn(&channel)
            .message_id(&id)
            .chime_bearer(&world.users[1])
            .send()
    };
    let message = get().await.unwrap().channel_message.unwrap();
    assert_eq!(message.content(), Some("second draft"));
    assert_eq!(message.metadata(), Some("v2"));
    assert!(message.last_edited_timestamp().is_some());

    chime
        .redact_channel_message()
        .channel_arn(&channel)
        .message_id(&id)
        .chime_bearer(&world.users[0])
        .send()
        .await
        .unwrap();
    let message = get().await.unwrap().channel_message.unwrap();
    assert!(message.redacted());
    assert_eq!(message.content(), None);
    assert_eq!(message.metadata(), None);
    let edit_redacted = chime
        .update_channel_message()
        .channel_arn(&channel)
        .message_id(&id)
        .chime_bearer(&world.users[0])
        .content("again")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&edit_redacted).0, "BadRequestException");

    let delete_by_member = chime
        .delete_channel_message()
        .channel_arn(&channel)
        .message_id(&id)
        .chime_bearer(&world.users[0])
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&delete_by_member).0, "ForbiddenException");
    chime
        .delete_channel_message()
        .channel_arn(&channel)
        .message_id(&id)
        .chime_bearer(&world.admin)
        .send()
        .await
        .unwrap();
    let gone = get().await.unwrap_err();
    assert_eq!(code(&gone).0, "NotFoundException");
    world.stop().await;
}

/// "Everything since the last message I saw" never drops a message: NotBefore and NotAfter set to a
/// message's own CreatedTimestamp (as the SDK read it, a float of epoch seconds, and sends it back as
/// ISO-8601) find exactly the messages of that millisecond, for every message of a long run.
#[tokio::test]
async fn a_message_is_found_by_its_own_created_timestamp() {
    let world = World::new(1).await;
    let channel = world.private_channel("t", &world.users).await;
    for i in 0..150 {
        world
            .send(&channel, &world.users[0], &format!("m{i}"))
            .await;
    }
    let all = all_pages!(
        world
            .chime
            .list_channel_messages()
            .channel_arn(&channel)
            .chime_bearer(&world.admin)
            .into_paginator(),
        channel_messages
    );
    assert_eq!(all.len(), 150);
    for message in &all {
        let at = *message.created_timestamp().expect("a CreatedTimestamp");
        // The SDK holds `.912` as `.911999…` (a float read), so the millisecond is the rounded one.
        let millis = |t: &DateTime| (t.as_secs_f64() * 1000.0).round() as i64;
        let same_millisecond: Vec<&str> = all
            .iter()
            .filter(|m| {
                m.created_timestamp()
                    .is_some_and(|t| millis(t) == millis(&at))
            })
            .filter_map(|m| m.message_id())
            .collect();
        for (before, after) in [(Some(at), Some(at)), (Some(at), None), (None, Some(at))] {
            let found = world
                .chime
                .list_channel_messages()
                .channel_arn(&channel)
                .chime_bearer(&world.admin)
                .set_not_before(before)
                .set_not_after(after)
                // The message is the window's first: oldest first when only NotBefore bounds it.
                .sort_order(if after.is_none() {
                    SortOrder::Ascending
                } else {
                    SortOrder::Descending
                })
                .max_results(50)
                .send()
                .await
                .expect("ListChannelMessages");
            let ids: Vec<&str> = found
                .channel_messages()
                .iter()
                .filter_map(|m| m.message_id())
                .collect();
            let id = message.message_id().unwrap_or_default();
            assert!(
                ids.contains(&id),
                "{id} at {at:?} missing with NotBefore {before:?} NotAfter {after:?}"
            );
            if before.is_some() && after.is_some() {
                let mut ids = ids.clone();
                ids.sort_unstable();
                let mut want = same_millisecond.clone();
                want.sort_unstable();
                assert_eq!(ids, want, "exactly the messages of {at:?}");
            }
        }
    }
    world.stop().await;
}

/// A targeted message is seen by its sender and its target only: not by other members, moderators
/// or admins, in GetChannelMessage or ListChannelMessages.
#[tokio::test]
async fn targeted_messages_reach_the_sender_and_target_only() {
    let world = World::new(3).await;
    let (sender, target, other) = (&world.users[0], &world.users[1], &world.users[2]);
    let channel = world.private_channel("t", &world.users).await;
    let sent = world
        .chime
        .send_channel_message()
        .channel_arn(&channel)
        .chime_bearer(sender)
        .content("just for you")
        .r#type(ChannelMessageType::Standard)
        .persistence(ChannelMessagePersistenceType::Persistent)
        .target(
            aws_sdk_chimesdkmessaging::types::Target::builder()
                .member_arn(target)
                .build(),
        )
        .send()
        .await
        .expect("SendChannelMessage with a Target");
    let id = sent.message_id().unwrap_or_default().to_owned();
    world.send(&channel, sender, "for everyone").await;
    for (reader, sees) in [
        (sender, true),
        (target, true),
        (other, false),
        (&world.admin, false),
    ] {
        let got = world
            .chime
            .get_channel_message()
            .channel_arn(&channel)
            .message_id(&id)
            .chime_bearer(reader)
            .send()
            .await;
        assert_eq!(got.is_ok(), sees, "{reader} GetChannelMessage");
        if !sees {
            assert_eq!(code(&got.unwrap_err()).0, "NotFoundException");
        }
        let listed = world
            .chime
            .list_channel_messages()
            .channel_arn(&channel)
            .chime_bearer(reader)
            .send()
            .await
            .expect("ListChannelMessages");
        let contents: Vec<&str> = listed
            .channel_messages()
            .iter()
            .filter_map(|m| m.content())
            .collect();
        assert_eq!(contents.contains(&"just for you"), sees, "{reader} list");
        assert!(contents.contains(&"for everyone"), "{reader} list");
    }
    world.stop().await;
}
