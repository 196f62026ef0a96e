//! Channel bans (a banned user is removed and cannot be added back until the ban is deleted) and the
//! views of the channels a user moderates.

use serde_json::json;

use super::access::{self, Role};
use super::channels::{Need, summary, with_channel};
use super::memberships::remove_member;
use super::page::page_map;
use super::{Input, Reply, identity, viewed_arn};
use crate::error::ApiError;
use crate::state::changes;
use crate::state::{Grant, Store, lock, now};

pub fn create_ban(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let need = Need::AtLeast(Role::Moderator, "ban members");
    with_channel(store, input, need, |instance, arn, bearer, _| {
        let member = input.req("MemberArn")?;
        if !instance.is_identity(member) {
            return Err(ApiError::not_found(format!(
                "app instance user or bot {member} not found"
            )));
        }
        let name = instance.display_name(member);
        let channel = instance.channel_mut(arn)?;
        if channel.bans.contains_key(member) {
            return Err(ApiError::conflict(format!("{member} is already banned")));
        }
        let ban = Grant {
            created_by: bearer.to_owned(),
            created: now(),
        };
        channel.bans.insert(member.to_owned(), ban);
        // A member who is banned is removed at once.
        if let Some(removed) = remove_member(channel, member) {
            changes::membership(store, instance, arn, member, Some(&removed));
        }
        Ok(Reply::body(
            json!({"ChannelArn": arn, "Member": identity(member, &name)}),
        ))
    })
}

pub fn describe_ban(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let need = Need::AtLeast(Role::Moderator, "read bans");
    with_channel(store, input, need, |instance, arn, _, _| {
        let member = input.req("MemberArn")?;
        let ban = instance
            .channel(arn)?
            .bans
            .get(member)
            .ok_or_else(|| ApiError::not_found(format!("{member} is not banned")))?;
        Ok(Reply::body(json!({"ChannelBan": {
            "ChannelArn": arn,
            "Member": identity(member, &instance.display_name(member)),
            "CreatedBy": identity(&ban.created_by, &instance.display_name(&ban.created_by)),
            "CreatedTimestamp": ban.created,
        }})))
    })
}

pub fn delete_ban(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let need = Need::AtLeast(Role::Moderator, "lift bans");
    with_channel(store, input, need, |instance, arn, _, _| {
        let member = input.req("MemberArn")?;
        if instance.channel_mut(arn)?.bans.remove(member).is_none() {
            return Err(ApiError::not_found(format!("{member} is not banned")));
        }
        Ok(Reply::empty())
    })
}

pub fn list_bans(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let need = Need::AtLeast(Role::Moderator, "read bans");
    with_channel(store, input, need, |instance, arn, _, _| {
        let bans = &instance.channel(arn)?.bans;
        let (items, token) = page_map(bans, input, |m, _| {
            Some(json!({"Member": identity(m, &instance.display_name(m))}))
        })?;
        Ok(Reply::body(
            json!({"ChannelArn": arn, "ChannelBans": items, "NextToken": token}),
        ))
    })
}

pub fn list_moderated(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let instance = store.instance(viewed_arn(input)?)?;
    let instance = lock(&instance);
    let user = access::viewed_user(&instance, input, "moderated channels")?;
    let (items, token) = page_map(&instance.channels, input, |_, c| {
        c.moderators
            .contains_key(user)
            .then(|| json!({ "ChannelSummary": summary(c) }))
    })?;
    Ok(Reply::body(json!({"Channels": items, "NextToken": token})))
}

pub fn describe_moderated(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    with_channel(store, input, Need::Own, |instance, arn, _, _| {
        let user = access::viewed_user(instance, input, "moderated channels")?;
        let channel = instance.channel(arn)?;
        if !channel.moderators.contains_key(user) {
            return Err(ApiError::not_found(format!(
                "{user} does not moderate this channel"
            )));
        }
        Ok(Reply::body(
            json!({"Channel": {"ChannelSummary": summary(channel)}}),
        ))
    })
}
