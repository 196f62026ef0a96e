//! Channel memberships, batch creation with per-member errors, the per-user views and read markers.

use serde_json::{Value, json};

use super::access::{self, Role};
use super::channels::{Need, summary, with_channel};
use super::elastic;
use super::page::page_map;
use super::{Input, Reply, identity, viewed_arn};
use crate::error::{ApiError, Code};
use crate::state::changes;
use crate::state::{Channel, Instance, Membership, Store, lock, now};

/// Members of a regular channel (the default, adjustable quota) and of an elastic one.
const MAX_REGULAR_MEMBERS: usize = 10_000;
const MAX_ELASTIC_MEMBERS: usize = 1_000_000;

/// May `bearer` add members of this `kind` (and, on elastic channels, choose their sub-channel)?
fn check_adder(
    channel: &Channel,
    bearer: &str,
    role: Role,
    kind: &str,
    sub_channel: Option<&str>,
    members: &[String],
) -> Result<(), ApiError> {
    let joining_self = members.len() == 1 && members[0] == bearer;
    let allowed = match role {
        Role::Admin | Role::Moderator => true,
        Role::Member => channel.mode == "UNRESTRICTED",
        Role::Other => {
            joining_self && channel.mode == "UNRESTRICTED" && channel.privacy == "PUBLIC"
        }
    };
    if !allowed {
        return Err(ApiError::forbidden(format!(
            "{bearer} may not add members to this {} {} channel",
            channel.privacy, channel.mode
        )));
    }
    if kind == "HIDDEN" {
        if channel.elastic.is_some() {
            return Err(ApiError::bad_request(
                "Type: elastic channels have no HIDDEN memberships",
            ));
        }
        if role < Role::Moderator {
            return Err(ApiError::forbidden(
                "only a moderator or an AppInstanceAdmin may add HIDDEN members",
            ));
        }
    }
    match (channel.elastic, sub_channel) {
        (None, Some(_)) => Err(ApiError::bad_request(
            "SubChannelId: only elastic channels have sub-channels",
        )),
        (Some(_), Some(id)) if role < Role::Moderator => Err(ApiError::forbidden(format!(
            "only a moderator or an AppInstanceAdmin may place members in sub-channel {id}"
        ))),
        (Some(_), Some(id)) => elastic::check_explicit(channel, id),
        _ => Ok(()),
    }
}

/// Adds one member; the error is what a batch reports for that member.
fn add_member(
    instance: &mut Instance,
    channel_arn: &str,
    bearer: &str,
    member: &str,
    kind: &str,
    sub_channel: Option<&str>,
) -> Result<Option<String>, ApiError> {
    if !instance.is_identity(member) {
        return Err(ApiError::not_found(format!(
            "app instance user or bot {member} not found"
        )));
    }
    let channel = instance.channel_mut(channel_arn)?;
    if channel.bans.contains_key(member) {
        return Err(ApiError::forbidden(format!(
            "{member} is banned from this channel; DeleteChannelBan first"
        )));
    }
    if channel.members().contains_key(member) {
        return Err(ApiError::conflict(format!(
            "{member} is already a member of this channel"
        )));
    }
    let limit = if channel.elastic.is_some() {
        MAX_ELASTIC_MEMBERS
    } else {
        MAX_REGULAR_MEMBERS
    };
    if channel.members().len() >= limit {
        return Err(ApiError::limit(format!(
            "the channel has reached its {limit} members"
        )));
    }
    let sub = match (channel.elastic, sub_channel) {
        (Some(_), Some(id)) => Some(id.to_owned()),
        (Some(config), None) => Some(elastic::place(channel, config)),
        (None, _) => None,
    };
    let membership = Membership::new(kind, bearer, sub.clone(), now());
    channel.insert_member(member, membership);
    Ok(sub)
}

pub fn create_membership(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    with_channel(store, input, Need::Own, |instance, arn, bearer, role| {
        let member = input.req("MemberArn")?.to_owned();
        let kind = input.req("Type")?;
        let sub_channel = input.str("SubChannelId");
        let channel = instance.channel(arn)?;
        check_adder(
            channel,
            bearer,
            role,
            kind,
            sub_channel,
            std::slice::from_ref(&member),
        )?;
        let sub = add_member(instance, arn, bearer, &member, kind, sub_channel)?;
        changes::membership(store, instance, arn, &member, None);
        Ok(Reply::body(json!({"ChannelArn": arn, "SubChannelId": sub,
            "Member": identity(&member, &instance.display_name(&member))})))
    })
}

pub fn batch_create_membership(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    with_channel(store, input, Need::Own, |instance, arn, bearer, role| {
        let members: Vec<String> = input
            .get("MemberArns")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let kind = input.str("Type").unwrap_or("DEFAULT");
        let sub_channel = input.str("SubChannelId");
        let channel = instance.channel(arn)?;
        check_adder(channel, bearer, role, kind, sub_channel, &members)?;
        let mut added = Vec::new();
        let mut errors = Vec::new();
        for member in &members {
            match add_member(instance, arn, bearer, member, kind, sub_channel) {
                Ok(_) => added.push(member.clone()),
                Err(e) => errors.push(json!({"MemberArn": member,
                    "ErrorCode": batch_code(e.code), "ErrorMessage": e.message})),
            }
        }
        changes::batch_membership(store, instance, arn, &added);
        let added: Vec<Value> = added
            .iter()
            .map(|member| identity(member, &instance.display_name(member)))
            .collect();
        Ok(Reply::body(json!({
            "BatchChannelMemberships": {
                "ChannelArn": arn, "Type": kind, "SubChannelId": sub_channel,
                "InvitedBy": identity(bearer, &instance.display_name(bearer)),
                "Members": added,
            },
            "Errors": errors,
        })))
    })
}

/// The batch error codes are the ErrorCode enum, without the `Client` suffixes.
fn batch_code(code: Code) -> &'static str {
    match code {
        Code::ThrottledClient => "Throttled",
        Code::UnauthorizedClient => "Unauthorized",
        other => other.name(),
    }
}

/// Takes `member` out of the channel (returning its membership); on an elastic channel its
/// sub-channel may then merge away.
pub(super) fn remove_member(channel: &mut Channel, member: &str) -> Option<Membership> {
    let removed = channel.remove_member(member);
    let sub = removed.as_ref().and_then(|m| m.sub_channel.clone());
    if let (Some(config), Some(sub)) = (channel.elastic, sub) {
        elastic::merge_if_small(channel, config, &sub);
    }
    removed
}

fn membership_of<'c>(
    channel: &'c Channel,
    member: &str,
    sub_channel: Option<&str>,
) -> Result<&'c Membership, ApiError> {
    channel
        .members()
        .get(member)
        .filter(|m| sub_channel.is_none() || m.sub_channel.as_deref() == sub_channel)
        .ok_or_else(|| ApiError::not_found(format!("{member} is not a member of this channel")))
}

pub fn describe_membership(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    with_channel(
        store,
        input,
        Need::Reader("describe memberships"),
        |instance, arn, _, _| {
            let member = input.req("MemberArn")?;
            let channel = instance.channel(arn)?;
            let m = membership_of(channel, member, input.str("SubChannelId"))?;
            Ok(Reply::body(json!({"ChannelMembership": {
                "ChannelArn": arn, "Type": m.kind, "SubChannelId": m.sub_channel,
                "Member": identity(member, &instance.display_name(member)),
                "InvitedBy": identity(&m.invited_by, &instance.display_name(&m.invited_by)),
                "CreatedTimestamp": m.created, "LastUpdatedTimestamp": m.updated,
            }})))
        },
    )
}

pub fn delete_membership(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    with_channel(store, input, Need::Own, |instance, arn, bearer, _| {
        let member = input.req("MemberArn")?;
        let channel = instance.channel(arn)?;
        if member != bearer {
            access::require(
                instance,
                channel,
                bearer,
                Role::Moderator,
                "remove other members",
            )?;
        }
        membership_of(channel, member, input.str("SubChannelId"))?;
        let removed = remove_member(instance.channel_mut(arn)?, member);
        changes::membership(store, instance, arn, member, removed.as_ref());
        Ok(Reply::empty())
    })
}

pub fn list_memberships(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    with_channel(
        store,
        input,
        Need::Reader("list memberships"),
        |instance, arn, _, role| {
            let channel = instance.channel(arn)?;
            let kind = input.str("Type").unwrap_or("DEFAULT");
            if kind == "HIDDEN" && role < Role::Moderator {
                return Err(ApiError::forbidden(
                    "only a moderator or an AppInstanceAdmin may list HIDDEN members",
                ));
            }
            let sub_channel = input.str("SubChannelId");
            if let Some(id) = sub_channel {
                if channel.elastic.is_none() {
                    return Err(ApiError::bad_request(
                        "SubChannelId: only elastic channels have sub-channels",
                    ));
                }
                elastic::check_explicit(channel, id)?;
            }
            let (items, token) = page_map(channel.members(), input, |who, m| {
                let listed = m.kind == kind
                    && (sub_channel.is_none() || m.sub_channel.as_deref() == sub_channel);
                listed.then(|| json!({"Member": identity(who, &instance.display_name(who))}))
            })?;
            Ok(Reply::body(
                json!({"ChannelArn": arn, "ChannelMemberships": items,
            "NextToken": token}),
            ))
        },
    )
}

fn user_summary(channel: &Channel, m: &Membership) -> Value {
    json!({
        "ChannelSummary": summary(channel),
        "AppInstanceUserMembershipSummary": {"Type": m.kind, "SubChannelId": m.sub_channel,
            "ReadMarkerTimestamp": m.read_marker},
    })
}

pub fn describe_for_user(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    with_channel(store, input, Need::Own, |instance, arn, _, _| {
        let user = access::viewed_user(instance, input, "memberships")?;
        let channel = instance.channel(arn)?;
        let m = membership_of(channel, user, None)?;
        Ok(Reply::body(
            json!({"ChannelMembership": user_summary(channel, m)}),
        ))
    })
}

pub fn list_for_user(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let instance = store.instance(viewed_arn(input)?)?;
    let instance = lock(&instance);
    let user = access::viewed_user(&instance, input, "memberships")?;
    let (items, token) = page_map(&instance.channels, input, |_, c| {
        c.members().get(user).map(|m| user_summary(c, m))
    })?;
    Ok(Reply::body(
        json!({"ChannelMemberships": items, "NextToken": token}),
    ))
}

pub fn update_read_marker(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    with_channel(store, input, Need::Own, |instance, arn, bearer, _| {
        let channel = instance.channel_mut(arn)?;
        if channel.elastic.is_some() {
            return Err(ApiError::bad_request(
                "elastic channels keep no read markers",
            ));
        }
        let member = channel.membership_mut(bearer).ok_or_else(|| {
            ApiError::forbidden(format!("{bearer} is not a member of this channel"))
        })?;
        member.read_marker = Some(now());
        Ok(Reply::body(json!({ "ChannelArn": arn })))
    })
}
