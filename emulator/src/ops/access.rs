//! Who may do what: the bearer must be a user of the channel's app instance; AppInstanceAdmins may do
//! everything, channel moderators manage their channel, members talk in it, and others see only what a
//! PUBLIC channel shows.

use super::Input;
use crate::error::ApiError;
use crate::state::{Channel, Instance};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Other,
    Member,
    Moderator,
    Admin,
}

/// The bearer, checked to be a user of this app instance.
pub fn bearer<'a>(instance: &Instance, input: &'a Input) -> Result<&'a str, ApiError> {
    let bearer = input.bearer()?;
    if !instance.is_identity(bearer) {
        return Err(ApiError::forbidden(format!(
            "the bearer {bearer} is not a user of the app instance {}",
            instance.arn
        )));
    }
    Ok(bearer)
}

pub fn role(instance: &Instance, channel: &Channel, who: &str) -> Role {
    if instance.admins.contains_key(who) {
        Role::Admin
    } else if channel.moderators.contains_key(who) {
        Role::Moderator
    } else if channel.members().contains_key(who) {
        Role::Member
    } else {
        Role::Other
    }
}

/// The bearer's role, which must be at least `least`; what the operation is for names the refusal.
pub fn require(
    instance: &Instance,
    channel: &Channel,
    who: &str,
    least: Role,
    action: &str,
) -> Result<Role, ApiError> {
    let role = role(instance, channel, who);
    if role < least {
        let needed = match least {
            Role::Admin => "an AppInstanceAdmin",
            Role::Moderator => "a moderator of the channel or an AppInstanceAdmin",
            Role::Member | Role::Other => "a member of the channel",
        };
        return Err(ApiError::forbidden(format!(
            "{who} may not {action}: only {needed} may"
        )));
    }
    Ok(role)
}

/// Reading a channel's content: members and up, or anyone for a PUBLIC channel.
pub fn require_reader(
    instance: &Instance,
    channel: &Channel,
    who: &str,
    action: &str,
) -> Result<Role, ApiError> {
    if channel.privacy == "PUBLIC" {
        return Ok(role(instance, channel, who));
    }
    require(instance, channel, who, Role::Member, action)
}

/// The user a per-user view is about: `AppInstanceUserArn`, or the bearer when it is absent. The
/// bearer must be a user of the instance and may look at another user's `what` only as an
/// AppInstanceAdmin.
pub fn viewed_user<'a>(
    instance: &Instance,
    input: &'a Input,
    what: &str,
) -> Result<&'a str, ApiError> {
    let bearer = bearer(instance, input)?;
    let user = input.str("AppInstanceUserArn").unwrap_or(bearer);
    if user != bearer && !instance.admins.contains_key(bearer) {
        return Err(ApiError::forbidden(format!(
            "{bearer} may not read the {what} of {user}"
        )));
    }
    Ok(user)
}
