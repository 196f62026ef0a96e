//! Settings stored on an app instance, a user, a channel or a membership: retention, expiration,
//! streaming configurations and membership preferences. Retention and expiration are applied by
//! [`crate::state::expiry`] on the expiry clock.

use serde_json::{Value, json};

use super::access::Role;
use super::channels::{Need, with_channel};
use super::{Input, Reply, identity};
use crate::error::ApiError;
use crate::state::{Store, lock, now};

pub fn get_retention(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let arn = input.req("AppInstanceArn")?;
    let instance = store.instance(arn)?;
    let instance = lock(&instance);
    let (settings, initiated) = match &instance.retention {
        Some((settings, at)) => (Some(settings.clone()), Some(*at)),
        None => (None, None),
    };
    Ok(Reply::body(
        json!({"AppInstanceRetentionSettings": settings,
        "InitiateDeletionTimestamp": initiated}),
    ))
}

pub fn put_retention(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let arn = input.req("AppInstanceArn")?;
    let settings = input
        .get("AppInstanceRetentionSettings")
        .cloned()
        .unwrap_or_default();
    let instance = store.instance(arn)?;
    let mut instance = lock(&instance);
    let at = now();
    instance.retention = Some((settings.clone(), at));
    Ok(Reply::body(
        json!({"AppInstanceRetentionSettings": settings,
        "InitiateDeletionTimestamp": at}),
    ))
}

pub fn put_user_expiration(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let arn = input.req("AppInstanceUserArn")?;
    let settings = input.get("ExpirationSettings").cloned();
    let instance = store.instance(arn)?;
    let mut instance = lock(&instance);
    let user = instance
        .users
        .get_mut(arn)
        .ok_or_else(|| ApiError::not_found(format!("app instance user {arn} not found")))?;
    user.expiration = settings.clone();
    user.updated = now();
    Ok(Reply::body(
        json!({"AppInstanceUserArn": arn, "ExpirationSettings": settings}),
    ))
}

/// Sets or (without `ExpirationSettings`) removes a channel's expiration. With a bearer, it must
/// moderate the channel or be an AppInstanceAdmin; without one the caller is an IAM principal.
pub fn put_channel_expiration(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let settings = input.get("ExpirationSettings").cloned();
    let apply = |instance: &mut crate::state::Instance, arn: &str| -> Result<Reply, ApiError> {
        let channel = instance.channel_mut(arn)?;
        channel.expiration = settings.clone();
        channel.updated = now();
        Ok(Reply::body(
            json!({"ChannelArn": arn, "ExpirationSettings": settings}),
        ))
    };
    if input.str("ChimeBearer").is_some() {
        return with_channel(
            store,
            input,
            Need::AtLeast(Role::Moderator, "set this channel's expiration"),
            |instance, arn, _, _| apply(instance, arn),
        );
    }
    let arn = input.req("ChannelArn")?;
    let instance = store.instance(arn)?;
    let mut instance = lock(&instance);
    apply(&mut instance, arn)
}

pub fn put_streaming(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let arn = input.req("AppInstanceArn")?;
    let configurations = input
        .get("StreamingConfigurations")
        .cloned()
        .unwrap_or_default();
    let mut seen = Vec::new();
    for (index, configuration) in configurations.as_array().into_iter().flatten().enumerate() {
        let kind = configuration.get("DataType").and_then(Value::as_str);
        if seen.contains(&kind) {
            return Err(ApiError::bad_request(format!(
                "StreamingConfigurations[{index}].DataType: {} is configured twice",
                kind.unwrap_or("-")
            )));
        }
        seen.push(kind);
    }
    let instance = store.instance(arn)?;
    lock(&instance).streaming = Some(configurations.clone());
    Ok(Reply::body(
        json!({ "StreamingConfigurations": configurations }),
    ))
}

pub fn get_streaming(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let arn = input.req("AppInstanceArn")?;
    let instance = store.instance(arn)?;
    let configurations = lock(&instance).streaming.clone().ok_or_else(|| {
        ApiError::not_found(format!("{arn} has no messaging streaming configurations"))
    })?;
    Ok(Reply::body(
        json!({ "StreamingConfigurations": configurations }),
    ))
}

pub fn delete_streaming(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let arn = input.req("AppInstanceArn")?;
    let instance = store.instance(arn)?;
    lock(&instance).streaming = None;
    Ok(Reply::empty())
}

/// The member whose preferences these are, which must be the bearer itself: the service lets no
/// one — not a moderator, not an admin — read or set another member's preferences.
fn own_member<'a>(input: &'a Input, bearer: &str) -> Result<&'a str, ApiError> {
    let member = input.req("MemberArn")?;
    if member != bearer {
        return Err(ApiError::forbidden(format!(
            "{bearer} may not see or set the preferences of {member}: only the member may"
        )));
    }
    Ok(member)
}

pub fn get_membership_preferences(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    with_channel(store, input, Need::Own, |instance, arn, bearer, _| {
        let member = own_member(input, bearer)?;
        let channel = instance.channel(arn)?;
        let membership = channel.members().get(member).ok_or_else(|| {
            ApiError::not_found(format!("{member} is not a member of this channel"))
        })?;
        Ok(Reply::body(json!({"ChannelArn": arn,
            "Member": identity(member, &instance.display_name(member)),
            "Preferences": membership.preferences.clone().unwrap_or_else(|| json!({}))})))
    })
}

pub fn put_membership_preferences(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    with_channel(store, input, Need::Own, |instance, arn, bearer, _| {
        let member = own_member(input, bearer)?.to_owned();
        let preferences = input.get("Preferences").cloned().unwrap_or_default();
        check_push_preferences(&preferences)?;
        let channel = instance.channel(arn)?;
        if channel.bans.contains_key(&member) {
            return Err(ApiError::forbidden(format!(
                "{member} is banned from this channel"
            )));
        }
        let name = instance.display_name(&member);
        let channel = instance.channel_mut(arn)?;
        let membership = channel.membership_mut(&member).ok_or_else(|| {
            ApiError::not_found(format!("{member} is not a member of this channel"))
        })?;
        membership.preferences = Some(preferences.clone());
        membership.updated = now();
        Ok(Reply::body(json!({"ChannelArn": arn,
            "Member": identity(&member, &name), "Preferences": preferences})))
    })
}

/// `FILTERED` needs a FilterRule, and a FilterRule is a JSON object (the push notification filter
/// syntax is JSON matched against message attributes).
fn check_push_preferences(preferences: &Value) -> Result<(), ApiError> {
    let Some(push) = preferences.get("PushNotifications") else {
        return Ok(());
    };
    let allow = push.get("AllowNotifications").and_then(Value::as_str);
    let rule = push.get("FilterRule").and_then(Value::as_str);
    match (allow, rule) {
        (Some("FILTERED"), None) => Err(ApiError::bad_request(
            "Preferences.PushNotifications.FilterRule: required when AllowNotifications is FILTERED",
        )),
        (_, Some(rule)) if !serde_json::from_str::<Value>(rule).is_ok_and(|v| v.is_object()) => {
            Err(ApiError::bad_request(
                "Preferences.PushNotifications.FilterRule: not a JSON object",
            ))
        }
        _ => Ok(()),
    }
}

/// The messaging WebSocket's URL, as chime-local serves it.
pub fn session_endpoint(store: &Store, _input: &Input) -> Result<Reply, ApiError> {
    let url = store.session_endpoint.get().ok_or_else(|| {
        ApiError::new(
            crate::error::Code::ServiceUnavailable,
            "the messaging WebSocket is not listening yet",
        )
    })?;
    Ok(Reply::body(json!({"Endpoint": {"Url": url}})))
}
