//! SearchChannels by members and GetMessagingSessionEndpoint.

use aws_sdk_chimesdkmessaging::types::{SearchField, SearchFieldKey, SearchFieldOperator};

use crate::common::World;

#[tokio::test]
async fn search_channels_by_members_and_the_session_endpoint() {
    let world = World::new(3).await;
    let (a, b, c) = (&world.users[0], &world.users[1], &world.users[2]);
    let ab = world.private_channel("ab", &[a.clone(), b.clone()]).await;
    let abc = world
        .private_channel("abc", &[a.clone(), b.clone(), c.clone()])
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
