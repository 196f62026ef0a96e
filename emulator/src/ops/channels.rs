//! Channels and their moderators.

use serde_json::{Value, json};

use super::access::{self, Role};
use super::page::{page, page_map};
use super::{Input, Reply, identity, tags};
use crate::error::ApiError;
use crate::state::changes;
use crate::state::{Channel, Elastic, Grant, Instance, Membership, Store, lock, now, random_uuid};

/// CreateChannel takes at most this many MemberArns and ModeratorArns.
const MAX_INITIAL_ARNS: usize = 10;

pub fn summary(channel: &Channel) -> Value {
    json!({"ChannelArn": channel.arn, "Name": channel.name, "Mode": channel.mode,
        "Privacy": channel.privacy, "Metadata": channel.metadata,
        "LastMessageTimestamp": channel.last_message})
}

fn string_list(input: &Input, name: &str) -> Vec<String> {
    input
        .get(name)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn elastic_config(input: &Input) -> Option<Elastic> {
    let config = input.get("ElasticChannelConfiguration")?;
    let int = |name: &str| config.get(name).and_then(Value::as_i64).unwrap_or(0);
    Some(Elastic {
        maximum_sub_channels: int("MaximumSubChannels"),
        target_per_sub_channel: int("TargetMembershipsPerSubChannel"),
        minimum_percentage: int("MinimumMembershipPercentage"),
    })
}

pub fn create_channel(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let instance_arn = input.req("AppInstanceArn")?;
    let instance = store.instance(instance_arn)?;
    let mut instance = lock(&instance);
    let creator = access::bearer(&instance, input)?.to_owned();
    let mode = input.str("Mode").unwrap_or("RESTRICTED").to_owned();
    let privacy = input.str("Privacy").unwrap_or("PRIVATE").to_owned();
    let members = string_list(input, "MemberArns");
    let moderators = string_list(input, "ModeratorArns");
    let elastic = elastic_config(input);
    if members.len() > MAX_INITIAL_ARNS || moderators.len() > MAX_INITIAL_ARNS {
        return Err(ApiError::bad_request(format!(
            "MemberArns and ModeratorArns: at most {MAX_INITIAL_ARNS} each"
        )));
    }
    if elastic.is_some() {
        if mode != "RESTRICTED" {
            return Err(ApiError::bad_request(
                "ElasticChannelConfiguration: elastic channels must be RESTRICTED",
            ));
        }
        if !members.is_empty() {
            return Err(ApiError::bad_request(
                "MemberArns: an elastic channel is created without members; add them afterwards",
            ));
        }
    }
    for arn in members.iter().chain(&moderators) {
        if !instance.is_identity(arn) {
            return Err(ApiError::not_found(format!(
                "app instance user or bot {arn} not found"
            )));
        }
    }
    let id = input
        .str("ChannelId")
        .map_or_else(random_uuid, str::to_owned);
    let arn = format!("{instance_arn}/channel/{id}");
    if instance.channels.contains_key(&arn) {
        return Err(ApiError::conflict(format!("channel {id} already exists")));
    }
    let at = now();
    let moderator = || Grant {
        created_by: creator.clone(),
        created: at,
    };
    let mut channel = Channel::new(&arn, input.req("Name")?, &creator, at);
    channel.mode = mode;
    channel.privacy = privacy;
    channel.metadata = input.str("Metadata").map(str::to_owned);
    channel.expiration = input.get("ExpirationSettings").cloned();
    channel.elastic = elastic;
    // The creator moderates; on a regular channel moderators are members too, while an elastic
    // channel keeps moderators out of its sub-channels.
    for arn in std::iter::once(&creator).chain(&moderators) {
        channel.moderators.insert(arn.clone(), moderator());
        if elastic.is_none() {
            channel.insert_member(arn, Membership::new("DEFAULT", &creator, None, at));
        }
    }
    for arn in &members {
        channel.insert_member(arn, Membership::new("DEFAULT", &creator, None, at));
    }
    instance.channels.insert(arn.clone(), channel);
    if let Err(error) = tags::apply(&mut instance, &arn, input.get("Tags")) {
        instance.channels.remove(&arn);
        return Err(error);
    }
    Ok(Reply::body(json!({ "ChannelArn": arn })))
}

/// What the bearer must be for an operation on a channel.
pub enum Need {
    /// Anyone for a PUBLIC channel, a member or more for a PRIVATE one; the action names a refusal.
    Reader(&'static str),
    /// At least this role.
    AtLeast(Role, &'static str),
    /// The handler decides: its rule depends on what it acts on (its own message, itself).
    Own,
}

/// Locks the channel's instance, checks the bearer is a user of it and meets `need`; `f` gets the
/// instance, the channel ARN, the bearer and the bearer's role on the channel.
pub fn with_channel<T>(
    store: &Store,
    input: &Input,
    need: Need,
    f: impl FnOnce(&mut Instance, &str, &str, Role) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let channel_arn = input.req("ChannelArn")?;
    let instance = store.instance(channel_arn)?;
    let mut instance = lock(&instance);
    let bearer = access::bearer(&instance, input)?.to_owned();
    let channel = instance.channel(channel_arn)?;
    let role = match need {
        Need::Reader(action) => access::require_reader(&instance, channel, &bearer, action)?,
        Need::AtLeast(least, action) => {
            access::require(&instance, channel, &bearer, least, action)?
        }
        Need::Own => access::role(&instance, channel, &bearer),
    };
    f(&mut instance, channel_arn, &bearer, role)
}

pub fn describe_channel(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    with_channel(
        store,
        input,
        Need::Reader("describe this channel"),
        |instance, arn, _, _| {
            let channel = instance.channel(arn)?;
            let elastic = channel.elastic.map(|e| {
                json!({"MaximumSubChannels": e.maximum_sub_channels,
                "TargetMembershipsPerSubChannel": e.target_per_sub_channel,
                "MinimumMembershipPercentage": e.minimum_percentage})
            });
            Ok(Reply::body(json!({"Channel": {
                "ChannelArn": channel.arn, "Name": channel.name, "Mode": channel.mode,
                "Privacy": channel.privacy, "Metadata": channel.metadata,
                "CreatedBy": identity(&channel.created_by, &instance.display_name(&channel.created_by)),
                "CreatedTimestamp": channel.created, "LastUpdatedTimestamp": channel.updated,
                "LastMessageTimestamp": channel.last_message, "ChannelFlowArn": channel.flow,
                "ElasticChannelConfiguration": elastic, "ExpirationSettings": channel.expiration,
            }})))
        },
    )
}

pub fn update_channel(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    with_channel(
        store,
        input,
        Need::AtLeast(Role::Moderator, "update this channel"),
        |instance, arn, _, _| {
            let channel = instance.channel(arn)?;
            if channel.elastic.is_some() && input.str("Mode").is_some_and(|m| m != "RESTRICTED") {
                return Err(ApiError::bad_request(
                    "Mode: an elastic channel stays RESTRICTED",
                ));
            }
            let channel = instance.channel_mut(arn)?;
            if let Some(name) = input.str("Name") {
                channel.name = name.to_owned();
            }
            if let Some(mode) = input.str("Mode") {
                channel.mode = mode.to_owned();
            }
            if let Some(metadata) = input.str("Metadata") {
                channel.metadata = Some(metadata.to_owned());
            }
            channel.updated = now();
            changes::channel(store, instance, arn, "UPDATE_CHANNEL");
            Ok(Reply::body(json!({ "ChannelArn": arn })))
        },
    )
}

pub fn delete_channel(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    with_channel(
        store,
        input,
        Need::AtLeast(Role::Moderator, "delete this channel"),
        |instance, arn, _, _| {
            changes::channel(store, instance, arn, "DELETE_CHANNEL");
            instance.remove_channel(arn);
            Ok(Reply::empty())
        },
    )
}

pub fn list_channels(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let instance_arn = input.req("AppInstanceArn")?;
    let instance = store.instance(instance_arn)?;
    let instance = lock(&instance);
    let bearer = access::bearer(&instance, input)?;
    let admin = instance.admins.contains_key(bearer);
    let privacy = input.str("Privacy");
    // Only an AppInstanceAdmin sees PRIVATE channels here; members find theirs through
    // ListChannelMembershipsForAppInstanceUser.
    if privacy == Some("PRIVATE") && !admin {
        return Err(ApiError::forbidden(
            "only an AppInstanceAdmin may list PRIVATE channels",
        ));
    }
    let wanted = privacy.unwrap_or(if admin { "" } else { "PUBLIC" });
    let (items, token) = page_map(&instance.channels, input, |_, c| {
        (wanted.is_empty() || c.privacy == wanted).then(|| summary(c))
    })?;
    Ok(Reply::body(json!({"Channels": items, "NextToken": token})))
}

pub fn create_moderator(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    with_channel(
        store,
        input,
        Need::AtLeast(Role::Moderator, "add moderators"),
        |instance, arn, bearer, _| {
            let moderator = input.req("ChannelModeratorArn")?;
            let channel = instance.channel(arn)?;
            if !instance.is_identity(moderator) {
                return Err(ApiError::not_found(format!(
                    "app instance user or bot {moderator} not found"
                )));
            }
            if channel.moderators.contains_key(moderator) {
                return Err(ApiError::conflict(format!(
                    "{moderator} already moderates this channel"
                )));
            }
            let name = instance.display_name(moderator);
            let channel = instance.channel_mut(arn)?;
            channel.moderators.insert(
                moderator.to_owned(),
                Grant {
                    created_by: bearer.to_owned(),
                    created: now(),
                },
            );
            Ok(Reply::body(json!({"ChannelArn": arn,
            "ChannelModerator": identity(moderator, &name)})))
        },
    )
}

pub fn describe_moderator(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    with_channel(
        store,
        input,
        Need::Reader("describe moderators"),
        |instance, arn, _, _| {
            let moderator = input.req("ChannelModeratorArn")?;
            let channel = instance.channel(arn)?;
            let entry = channel.moderators.get(moderator).ok_or_else(|| {
                ApiError::not_found(format!("{moderator} does not moderate this channel"))
            })?;
            Ok(Reply::body(json!({"ChannelModerator": {
                "ChannelArn": arn,
                "Moderator": identity(moderator, &instance.display_name(moderator)),
                "CreatedBy": identity(&entry.created_by, &instance.display_name(&entry.created_by)),
                "CreatedTimestamp": entry.created,
            }})))
        },
    )
}

pub fn delete_moderator(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    with_channel(
        store,
        input,
        Need::AtLeast(Role::Moderator, "remove moderators"),
        |instance, arn, _, _| {
            let moderator = input.req("ChannelModeratorArn")?;
            let channel = instance.channel_mut(arn)?;
            if channel.moderators.remove(moderator).is_none() {
                return Err(ApiError::not_found(format!(
                    "{moderator} does not moderate this channel"
                )));
            }
            Ok(Reply::empty())
        },
    )
}

pub fn list_moderators(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    with_channel(
        store,
        input,
        Need::Reader("list moderators"),
        |instance, arn, _, _| {
            let channel = instance.channel(arn)?;
            let (items, token) = page_map(&channel.moderators, input, |m, _| {
                Some(json!({"Moderator": identity(m, &instance.display_name(m))}))
            })?;
            Ok(Reply::body(
                json!({"ChannelArn": arn, "ChannelModerators": items,
            "NextToken": token}),
            ))
        },
    )
}

pub fn list_sub_channels(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    with_channel(
        store,
        input,
        Need::AtLeast(Role::Moderator, "list sub-channels"),
        |instance, arn, _, _| {
            let channel = instance.channel(arn)?;
            if channel.elastic.is_none() {
                return Err(ApiError::bad_request(format!(
                    "channel {arn} is not elastic: it has no sub-channels"
                )));
            }
            // Keys padded so that sub-channel 10 sorts after 9.
            let items = channel
                .sub_channel_counts()
                .iter()
                .map(|(id, count)| {
                    let key = format!("{:0>20}", id);
                    (key, json!({"SubChannelId": id, "MembershipCount": count}))
                })
                .collect();
            let (items, token) = page(items, input)?;
            Ok(Reply::body(json!({"ChannelArn": arn, "SubChannels": items,
            "NextToken": token})))
        },
    )
}
