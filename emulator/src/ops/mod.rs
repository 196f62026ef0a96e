//! Operation semantics. Input has been routed, bound and validated against the model before it gets
//! here, so each handler only reads what it needs and applies the service's rules.

mod access;
mod bans;
mod bots;
mod channel_flows;
mod channels;
mod elastic;
mod endpoints;
mod identity;
mod memberships;
mod messages;
mod page;
pub mod processing;
mod search;
mod settings;
mod tags;

use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::model::{Model, Service};
use crate::state::{Millis, Store};

pub(crate) use crate::json::{identity, without_nulls};
pub use processing::apply_invocation_failure;

/// One processor invocation: the event, and what to do if it cannot be delivered.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub channel_arn: String,
    pub message_id: String,
    pub callback_id: String,
    pub processor_name: String,
    pub function_arn: String,
    /// `CONTINUE` or `ABORT`.
    pub fallback: String,
    pub payload: Value,
}

/// A validated input object with typed accessors.
pub struct Input(pub Map<String, Value>);

impl Input {
    pub fn str(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Value::as_str)
    }
    /// A member the model marks required (validation has already ensured it is present).
    pub fn req(&self, name: &str) -> Result<&str, ApiError> {
        self.str(name)
            .ok_or_else(|| ApiError::bad_request(format!("{name}: missing, it is required")))
    }
    pub fn int(&self, name: &str) -> Option<i64> {
        self.0.get(name).and_then(Value::as_i64)
    }
    /// A timestamp member (bound as epoch nanoseconds), to the millisecond.
    pub fn instant(&self, name: &str) -> Option<Millis> {
        self.0
            .get(name)
            .and_then(Value::as_i64)
            .map(|nanos| Millis::from_nanos(i128::from(nanos)))
    }
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }
    pub fn bearer(&self) -> Result<&str, ApiError> {
        self.req("ChimeBearer")
    }
}

/// The ARN that locates a per-user view's app instance: the user asked about, else the bearer.
pub fn viewed_arn(input: &Input) -> Result<&str, ApiError> {
    match input.str("AppInstanceUserArn") {
        Some(user) => Ok(user),
        None => input.bearer(),
    }
}

/// What a handler answers: the body, and the processor invocations to start once its lock is released.
#[derive(Debug, Default)]
pub struct Reply {
    pub body: Option<Value>,
    pub invocations: Vec<Invocation>,
}

impl Reply {
    pub fn body(body: Value) -> Self {
        Self {
            body: Some(body),
            invocations: Vec::new(),
        }
    }
    pub fn empty() -> Self {
        Self::default()
    }
}

type Handler = fn(&Store, &Input) -> Result<Reply, ApiError>;

/// Every operation chime-local implements, by its model name.
pub const OPERATIONS: &[(&str, Handler)] = &[
    ("CreateAppInstance", identity::create_app_instance),
    ("DescribeAppInstance", identity::describe_app_instance),
    ("UpdateAppInstance", identity::update_app_instance),
    ("DeleteAppInstance", identity::delete_app_instance),
    ("ListAppInstances", identity::list_app_instances),
    ("CreateAppInstanceUser", identity::create_user),
    ("DescribeAppInstanceUser", identity::describe_user),
    ("UpdateAppInstanceUser", identity::update_user),
    ("DeleteAppInstanceUser", identity::delete_user),
    ("ListAppInstanceUsers", identity::list_users),
    ("CreateAppInstanceAdmin", identity::create_admin),
    ("DescribeAppInstanceAdmin", identity::describe_admin),
    ("DeleteAppInstanceAdmin", identity::delete_admin),
    ("ListAppInstanceAdmins", identity::list_admins),
    ("CreateAppInstanceBot", bots::create_bot),
    ("DescribeAppInstanceBot", bots::describe_bot),
    ("UpdateAppInstanceBot", bots::update_bot),
    ("DeleteAppInstanceBot", bots::delete_bot),
    ("ListAppInstanceBots", bots::list_bots),
    ("RegisterAppInstanceUserEndpoint", endpoints::register),
    ("DescribeAppInstanceUserEndpoint", endpoints::describe),
    ("UpdateAppInstanceUserEndpoint", endpoints::update),
    ("DeregisterAppInstanceUserEndpoint", endpoints::deregister),
    ("ListAppInstanceUserEndpoints", endpoints::list),
    ("GetAppInstanceRetentionSettings", settings::get_retention),
    ("PutAppInstanceRetentionSettings", settings::put_retention),
    (
        "PutAppInstanceUserExpirationSettings",
        settings::put_user_expiration,
    ),
    ("CreateChannel", channels::create_channel),
    ("DescribeChannel", channels::describe_channel),
    ("UpdateChannel", channels::update_channel),
    ("DeleteChannel", channels::delete_channel),
    ("ListChannels", channels::list_channels),
    ("SearchChannels", search::search_channels),
    (
        "PutChannelExpirationSettings",
        settings::put_channel_expiration,
    ),
    ("CreateChannelModerator", channels::create_moderator),
    ("DescribeChannelModerator", channels::describe_moderator),
    ("DeleteChannelModerator", channels::delete_moderator),
    ("ListChannelModerators", channels::list_moderators),
    ("ListSubChannels", channels::list_sub_channels),
    ("CreateChannelBan", bans::create_ban),
    ("DescribeChannelBan", bans::describe_ban),
    ("DeleteChannelBan", bans::delete_ban),
    ("ListChannelBans", bans::list_bans),
    (
        "ListChannelsModeratedByAppInstanceUser",
        bans::list_moderated,
    ),
    (
        "DescribeChannelModeratedByAppInstanceUser",
        bans::describe_moderated,
    ),
    ("CreateChannelMembership", memberships::create_membership),
    (
        "BatchCreateChannelMembership",
        memberships::batch_create_membership,
    ),
    (
        "DescribeChannelMembership",
        memberships::describe_membership,
    ),
    ("DeleteChannelMembership", memberships::delete_membership),
    ("ListChannelMemberships", memberships::list_memberships),
    (
        "DescribeChannelMembershipForAppInstanceUser",
        memberships::describe_for_user,
    ),
    (
        "ListChannelMembershipsForAppInstanceUser",
        memberships::list_for_user,
    ),
    ("UpdateChannelReadMarker", memberships::update_read_marker),
    (
        "GetChannelMembershipPreferences",
        settings::get_membership_preferences,
    ),
    (
        "PutChannelMembershipPreferences",
        settings::put_membership_preferences,
    ),
    (
        "PutMessagingStreamingConfigurations",
        settings::put_streaming,
    ),
    (
        "GetMessagingStreamingConfigurations",
        settings::get_streaming,
    ),
    (
        "DeleteMessagingStreamingConfigurations",
        settings::delete_streaming,
    ),
    ("GetMessagingSessionEndpoint", settings::session_endpoint),
    ("SendChannelMessage", messages::send),
    ("GetChannelMessage", messages::get),
    ("GetChannelMessageStatus", messages::status),
    ("ListChannelMessages", messages::list),
    ("UpdateChannelMessage", messages::update),
    ("RedactChannelMessage", messages::redact),
    ("DeleteChannelMessage", messages::delete),
    ("CreateChannelFlow", channel_flows::create_flow),
    ("DescribeChannelFlow", channel_flows::describe_flow),
    ("UpdateChannelFlow", channel_flows::update_flow),
    ("DeleteChannelFlow", channel_flows::delete_flow),
    ("ListChannelFlows", channel_flows::list_flows),
    ("AssociateChannelFlow", channel_flows::associate),
    ("DisassociateChannelFlow", channel_flows::disassociate),
    (
        "ListChannelsAssociatedWithChannelFlow",
        channel_flows::list_associated,
    ),
    ("ChannelFlowCallback", processing::callback),
    // The same three operations in both services.
    ("TagResource", tags::tag_resource),
    ("UntagResource", tags::untag_resource),
    ("ListTagsForResource", tags::list_tags),
];

/// chime-local's README's operations block, from the models and [`OPERATIONS`]: per service, what is served and
/// what still answers 501. `chime-local operations` prints it; a test holds the README to it.
pub fn coverage(model: &Model) -> String {
    let mut out = String::from(OPERATIONS_BEGIN);
    out.push('\n');
    for (service, title) in [
        (Service::Messaging, "Messaging"),
        (Service::Identity, "Identity"),
    ] {
        let mut names: Vec<&str> = model
            .operations
            .iter()
            .filter(|op| op.service == service)
            .map(|op| op.name.as_str())
            .collect();
        names.sort_unstable();
        let (served, missing): (Vec<&str>, Vec<&str>) =
            names.iter().partition(|name| handler(name).is_some());
        out.push_str(&format!(
            "\n**{title}** — {} of {} served: {}.\n",
            served.len(),
            names.len(),
            served.join(", ")
        ));
        if !missing.is_empty() {
            out.push_str(&format!("Not yet (501): {}.\n", missing.join(", ")));
        }
    }
    out.push('\n');
    out.push_str(OPERATIONS_END);
    out.push('\n');
    out
}

pub const OPERATIONS_BEGIN: &str = "<!-- operations: generated by `cargo run -q -p chime-local -- operations`; a test keeps it true -->";
pub const OPERATIONS_END: &str = "<!-- /operations -->";

/// The handler of an operation, or `None` when chime-local does not implement it.
pub fn handler(operation: &str) -> Option<Handler> {
    OPERATIONS
        .iter()
        .find(|(name, _)| *name == operation)
        .map(|(_, handler)| *handler)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// chime-local's README's operations block is exactly what `chime-local operations` prints, so the list
    /// a reader trusts is the table the router dispatches with.
    #[test]
    fn the_readme_lists_the_operations_this_table_serves() {
        let model = Model::load().expect("the models load");
        let readme_path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
        let readme = std::fs::read_to_string(readme_path).expect("emulator/README.md");
        let start = readme
            .find(OPERATIONS_BEGIN)
            .expect("the README has the block");
        let end = readme[start..].find(OPERATIONS_END).expect("and its end") + start;
        let in_readme = &readme[start..end + OPERATIONS_END.len()];
        let generated = coverage(&model);
        assert_eq!(
            in_readme,
            generated.trim_end(),
            "emulator/README.md is stale: replace its block with `cargo run -q -p chime-local -- operations`"
        );
        // Every operation of both models routes to a handler: nothing answers 501.
        let missing: Vec<&str> = model
            .operations
            .iter()
            .filter(|op| handler(&op.name).is_none())
            .map(|op| op.name.as_str())
            .collect();
        assert!(missing.is_empty(), "no handler for {missing:?}");
        assert_eq!(
            model.operations.len(),
            51 + 30,
            "both models, each with its own tag trio"
        );
        // Every handler answers an operation the models have (no typo serves nothing).
        for (name, _) in OPERATIONS {
            assert!(
                model.operations.iter().any(|op| op.name == *name),
                "{name} is not in the models"
            );
        }
    }
}
