//! What a request means in Chime calls, decided without calling anything. Every action is safe to
//! repeat (the adapter treats "already so" as done), so a re-delivered request does no harm.

use crate::properties::Setup;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    MakeAdmin {
        app_instance: String,
        user: String,
    },
    RemoveAdmin {
        app_instance: String,
        user: String,
    },
    /// `bearer` is the admin the call acts as (channel operations need one).
    Associate {
        channel: String,
        flow: String,
        bearer: String,
    },
    Disassociate {
        channel: String,
        flow: String,
        bearer: String,
    },
}

impl Action {
    /// A short description for progress reports and logs (ARNs only, never user data).
    pub fn describe(&self) -> String {
        match self {
            Action::MakeAdmin { user, .. } => format!("make {user} an AppInstanceAdmin"),
            Action::RemoveAdmin { user, .. } => format!("remove AppInstanceAdmin {user}"),
            Action::Associate { channel, .. } => format!("associate the flow with {channel}"),
            Action::Disassociate { channel, .. } => {
                format!("disassociate the flow from {channel}")
            }
        }
    }
}

/// One channel action per channel of `setup` not `skipped`, made by `action(channel, flow, bearer)`.
fn for_channels(
    setup: &Setup,
    skipped: impl Fn(&str) -> bool,
    action: fn(String, String, String) -> Action,
) -> Vec<Action> {
    setup
        .channels
        .iter()
        .filter(|c| !skipped(c))
        .map(|channel| action(channel.clone(), setup.flow.clone(), setup.admin.clone()))
        .collect()
}

fn associate(channel: String, flow: String, bearer: String) -> Action {
    Action::Associate {
        channel,
        flow,
        bearer,
    }
}

fn disassociate(channel: String, flow: String, bearer: String) -> Action {
    Action::Disassociate {
        channel,
        flow,
        bearer,
    }
}

fn make_admin(setup: &Setup) -> Action {
    Action::MakeAdmin {
        app_instance: setup.app_instance.clone(),
        user: setup.admin.clone(),
    }
}

fn remove_admin(setup: &Setup) -> Action {
    Action::RemoveAdmin {
        app_instance: setup.app_instance.clone(),
        user: setup.admin.clone(),
    }
}

/// Create: the admin first (channel calls act as it), then each association.
pub fn create(setup: &Setup) -> Vec<Action> {
    let mut actions = vec![make_admin(setup)];
    actions.extend(for_channels(setup, |_| false, associate));
    actions
}

/// Update: the new admin, then undo what the old setup did and the new one no longer wants (as the
/// old admin, which can still act), then the new associations, and last the old admin's removal.
pub fn update(old: &Setup, new: &Setup) -> Vec<Action> {
    let same_admin = old.app_instance == new.app_instance && old.admin == new.admin;
    let same_flow = old.flow == new.flow;
    let mut actions = vec![make_admin(new)];
    let kept = |c: &str| same_flow && new.channels.iter().any(|n| n == c);
    actions.extend(for_channels(old, kept, disassociate));
    actions.extend(for_channels(new, |_| false, associate));
    if !same_admin {
        actions.push(remove_admin(old));
    }
    actions
}

/// Delete: every association (a flow still associated cannot be deleted), then the admin.
pub fn delete(setup: &Setup) -> Vec<Action> {
    let mut actions = for_channels(setup, |_| false, disassociate);
    actions.push(remove_admin(setup));
    actions
}

#[cfg(test)]
mod tests {
    use super::*;

    const INSTANCE: &str = "arn:aws:chime:us-east-1:1:app-instance/i";

    fn setup(admin: &str, flow: &str, channels: &[&str]) -> Setup {
        Setup {
            app_instance: INSTANCE.into(),
            admin: format!("{INSTANCE}/user/{admin}"),
            flow: format!("{INSTANCE}/channel-flow/{flow}"),
            channels: channels
                .iter()
                .map(|c| format!("{INSTANCE}/channel/{c}"))
                .collect(),
        }
    }

    fn names(actions: &[Action]) -> Vec<String> {
        actions
            .iter()
            .map(|a| match a {
                Action::MakeAdmin { user, .. } => format!("+admin {}", tail(user)),
                Action::RemoveAdmin { user, .. } => format!("-admin {}", tail(user)),
                Action::Associate {
                    channel,
                    flow,
                    bearer,
                } => format!("+{} {} as {}", tail(channel), tail(flow), tail(bearer)),
                Action::Disassociate {
                    channel,
                    flow,
                    bearer,
                } => format!("-{} {} as {}", tail(channel), tail(flow), tail(bearer)),
            })
            .collect()
    }

    fn tail(arn: &str) -> &str {
        arn.rsplit('/').next().unwrap_or(arn)
    }

    #[test]
    fn create_makes_the_admin_before_it_acts() {
        assert_eq!(
            names(&create(&setup("svc", "f", &["a", "b"]))),
            ["+admin svc", "+a f as svc", "+b f as svc"]
        );
    }

    #[test]
    fn update_moves_only_what_changed_and_the_old_admin_goes_last() {
        let old = setup("svc", "f", &["a", "b"]);
        let same = update(&old, &setup("svc", "f", &["b", "c"]));
        assert_eq!(
            names(&same),
            ["+admin svc", "-a f as svc", "+b f as svc", "+c f as svc"]
        );
        let new_admin_and_flow = update(&old, &setup("ops", "g", &["a"]));
        assert_eq!(
            names(&new_admin_and_flow),
            [
                "+admin ops",
                "-a f as svc",
                "-b f as svc",
                "+a g as ops",
                "-admin svc"
            ]
        );
    }

    #[test]
    fn delete_undoes_associations_then_the_admin() {
        assert_eq!(
            names(&delete(&setup("svc", "f", &["a"]))),
            ["-a f as svc", "-admin svc"]
        );
    }
}
