//! Tags on both services: on create, TagResource, UntagResource, ListTagsForResource; limits,
//! reserved keys, unknown resources, and tags leaving with their resource.

use aws_sdk_chimesdkidentity::types::Tag as IdentityTag;
use aws_sdk_chimesdkmessaging::types::{ChannelMode, ChannelPrivacy, Tag};

use crate::common::{World, code};

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build().expect("a tag")
}

#[tokio::test]
async fn tags_on_create_and_by_operation_in_both_services() {
    let world = World::new(0).await;
    let channel = world
        .chime
        .create_channel()
        .app_instance_arn(&world.instance)
        .name("tagged")
        .chime_bearer(&world.admin)
        .mode(ChannelMode::Restricted)
        .privacy(ChannelPrivacy::Private)
        .tags(tag("team", "support"))
        .tags(tag("tier", "gold"))
        .send()
        .await
        .expect("CreateChannel with Tags")
        .channel_arn
        .unwrap_or_default();
    let listed = |arn: String| {
        let chime = world.chime.clone();
        async move {
            let tags = chime
                .list_tags_for_resource()
                .resource_arn(arn)
                .send()
                .await?;
            let mut pairs: Vec<(String, String)> = tags
                .tags()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned()))
                .collect();
            pairs.sort();
            Ok::<_, aws_sdk_chimesdkmessaging::error::SdkError<_>>(pairs)
        }
    };
    let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    assert_eq!(
        listed(channel.clone()).await.expect("ListTagsForResource"),
        vec![pair("team", "support"), pair("tier", "gold")]
    );
    world
        .chime
        .tag_resource()
        .resource_arn(&channel)
        .tags(tag("tier", "platinum"))
        .tags(tag("region", "eu"))
        .send()
        .await
        .expect("TagResource");
    world
        .chime
        .untag_resource()
        .resource_arn(&channel)
        .tag_keys("team")
        .send()
        .await
        .expect("UntagResource");
    assert_eq!(
        listed(channel.clone()).await.expect("ListTagsForResource"),
        vec![pair("region", "eu"), pair("tier", "platinum")]
    );

    let reserved = world
        .chime
        .tag_resource()
        .resource_arn(&channel)
        .tags(tag("aws:owner", "me"))
        .send()
        .await
        .expect_err("reserved prefix");
    assert_eq!(
        code(&reserved).1,
        "Tags[0].Key: the aws: prefix is reserved"
    );
    let mut many = world.chime.tag_resource().resource_arn(&channel);
    for i in 0..49 {
        many = many.tags(tag(&format!("k{i}"), "v"));
    }
    let too_many = many.send().await.expect_err("51 tags");
    assert_eq!(code(&too_many).0, "ResourceLimitExceededException");
    assert_eq!(
        listed(channel.clone()).await.expect("unchanged").len(),
        2,
        "nothing half-written"
    );
    let unknown = world
        .chime
        .list_tags_for_resource()
        .resource_arn(format!("{}/channel/nope", world.instance))
        .send()
        .await
        .expect_err("no such resource");
    assert_eq!(code(&unknown).0, "ForbiddenException");

    // Identity: a user created with tags, read through the identity API.
    let user = world
        .ident
        .create_app_instance_user()
        .app_instance_arn(&world.instance)
        .app_instance_user_id("tagged-user")
        .name("tagged-user")
        .tags(
            IdentityTag::builder()
                .key("role")
                .value("agent")
                .build()
                .expect("a tag"),
        )
        .send()
        .await
        .expect("CreateAppInstanceUser with Tags")
        .app_instance_user_arn
        .unwrap_or_default();
    let user_tags = world
        .ident
        .list_tags_for_resource()
        .resource_arn(&user)
        .send()
        .await
        .expect("identity ListTagsForResource");
    assert_eq!(user_tags.tags().len(), 1);
    assert_eq!(user_tags.tags()[0].key(), "role");

    // Deleting the channel takes its tags along.
    world
        .chime
        .delete_channel()
        .channel_arn(&channel)
        .chime_bearer(&world.admin)
        .send()
        .await
        .expect("DeleteChannel");
    assert!(
        listed(channel).await.is_err(),
        "a deleted channel has no tags to list"
    );
    world.stop().await;
}
