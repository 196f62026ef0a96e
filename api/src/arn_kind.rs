//! Which kind of ARN a member holds. The model types every Chime ARN as the same `ChimeArn` string,
//! so its pattern lets a channel ARN through where an app instance belongs; the member's name (and
//! its documentation, "The ARN of the AppInstanceUser or AppInstanceBot…") says which kind it is.
//! The validator checks every member of this table, in chime-local and in the admin functions alike.

use std::fmt;

use crate::model::Service;

/// What an ARN names inside an app instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArnKind {
    AppInstance,
    User,
    Bot,
    Channel,
    ChannelFlow,
}

impl ArnKind {
    /// The kind's name in prose: "an app instance", "a channel flow".
    pub fn described(self) -> &'static str {
        match self {
            ArnKind::AppInstance => "an app instance",
            ArnKind::User => "an AppInstanceUser",
            ArnKind::Bot => "an AppInstanceBot",
            ArnKind::Channel => "a channel",
            ArnKind::ChannelFlow => "a channel flow",
        }
    }
}

impl fmt::Display for ArnKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.described())
    }
}

const USER_OR_BOT: &[ArnKind] = &[ArnKind::User, ArnKind::Bot];
const TAGGABLE: &[ArnKind] = &[
    ArnKind::AppInstance,
    ArnKind::User,
    ArnKind::Bot,
    ArnKind::Channel,
    ArnKind::ChannelFlow,
];

/// The kinds of ARN a member (or each item of a list member) may hold, by the member's name in the
/// model; `None` for members that hold no Chime ARN or an ARN of another service's resource
/// (`ResourceArn` is a Kinesis stream, a Pinpoint app or a Lambda function).
pub fn expected(service: Service, member: &str) -> Option<&'static [ArnKind]> {
    Some(match member {
        "AppInstanceArn" => &[ArnKind::AppInstance],
        "ChannelArn" => &[ArnKind::Channel],
        "ChannelFlowArn" => &[ArnKind::ChannelFlow],
        "AppInstanceBotArn" => &[ArnKind::Bot],
        // Messaging's documentation: "The ARN of the user or bot"; Identity's: "The ARN of the
        // AppInstanceUser" (endpoints and expiration belong to users only).
        "AppInstanceUserArn" if service == Service::Identity => &[ArnKind::User],
        "AppInstanceUserArn"
        | "ChimeBearer"
        | "MemberArn"
        | "MemberArns"
        | "ChannelModeratorArn"
        | "ModeratorArns"
        | "AppInstanceAdminArn" => USER_OR_BOT,
        "ResourceARN" => TAGGABLE,
        _ => return None,
    })
}

/// What an ARN names: a kind, or why it is none of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named {
    Kind(ArnKind),
    /// Not a resource of an app instance (another service's ARN, or another layout).
    Other,
}

/// Reads the kind from the ARN's structure: `…:app-instance/ID`, `…:app-instance/ID/KIND/ID`.
pub fn kind_of(arn: &str) -> Named {
    let Some(at) = arn.find(":app-instance/") else {
        return Named::Other;
    };
    if !arn.starts_with("arn:") || arn[..at].split(':').nth(2) != Some("chime") {
        return Named::Other;
    }
    let parts: Vec<&str> = arn[at + ":app-instance/".len()..].split('/').collect();
    let kind = match parts.as_slice() {
        [id] if !id.is_empty() => ArnKind::AppInstance,
        [id, kind, inner] if !id.is_empty() && !inner.is_empty() => match *kind {
            "user" => ArnKind::User,
            "bot" => ArnKind::Bot,
            "channel" => ArnKind::Channel,
            "channel-flow" => ArnKind::ChannelFlow,
            _ => return Named::Other,
        },
        _ => return Named::Other,
    };
    Named::Kind(kind)
}

/// Checks that `arn` is of one of `kinds`; the refusal says what it names instead.
pub fn check(arn: &str, kinds: &[ArnKind]) -> Result<(), String> {
    let wanted = kinds
        .iter()
        .map(|k| k.described())
        .collect::<Vec<_>>()
        .join(" or ");
    match kind_of(arn) {
        Named::Kind(kind) if kinds.contains(&kind) => Ok(()),
        Named::Kind(kind) => Err(format!(
            "{arn} is the ARN of {}, not of {wanted}",
            kind.described()
        )),
        Named::Other => Err(format!(
            "{arn} is not the ARN of {wanted} (it names no resource of an app instance)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INSTANCE: &str = "arn:aws:chime:us-east-1:123456789012:app-instance/i-1";

    #[test]
    fn reads_the_kind_from_the_structure() {
        let cases = [
            (INSTANCE.to_owned(), Named::Kind(ArnKind::AppInstance)),
            (format!("{INSTANCE}/user/u"), Named::Kind(ArnKind::User)),
            (format!("{INSTANCE}/bot/b"), Named::Kind(ArnKind::Bot)),
            (
                format!("{INSTANCE}/channel/c"),
                Named::Kind(ArnKind::Channel),
            ),
            (
                format!("{INSTANCE}/channel-flow/f"),
                Named::Kind(ArnKind::ChannelFlow),
            ),
            // What CreateChannel minted from a channel ARN given as its AppInstanceArn.
            (format!("{INSTANCE}/channel/c/channel/d"), Named::Other),
            (format!("{INSTANCE}/user/"), Named::Other),
            (format!("{INSTANCE}/widget/w"), Named::Other),
            (
                "arn:aws:lambda:us-east-1:1:function:f".to_owned(),
                Named::Other,
            ),
            (
                "arn:aws:kinesis:us-east-1:1:app-instance/x".to_owned(),
                Named::Other,
            ),
        ];
        for (arn, named) in cases {
            assert_eq!(kind_of(&arn), named, "{arn}");
        }
    }

    #[test]
    fn refusals_say_what_the_arn_is_instead() {
        let channel = format!("{INSTANCE}/channel/c");
        assert_eq!(
            check(&channel, &[ArnKind::AppInstance]),
            Err(format!(
                "{channel} is the ARN of a channel, not of an app instance"
            ))
        );
        assert_eq!(
            check("arn:aws:lambda:us-east-1:1:function:f", USER_OR_BOT),
            Err(
                "arn:aws:lambda:us-east-1:1:function:f is not the ARN of an AppInstanceUser or \
                 an AppInstanceBot (it names no resource of an app instance)"
                    .to_owned()
            )
        );
        assert!(check(&format!("{INSTANCE}/bot/b"), USER_OR_BOT).is_ok());
    }

    /// Members that hold another service's ARN (a Kinesis stream, a Pinpoint app): no Chime kind.
    const EXTERNAL: &[&str] = &["ResourceArn"];

    /// Every member of every operation's input (nested structures and lists included) that the
    /// model types as a Chime ARN has a kind in the table, or is named as another service's ARN.
    #[test]
    fn every_arn_member_of_both_models_has_a_kind() {
        let model = crate::Model::load().expect("the models load");
        let arn_shapes = ["ChimeArn", "SensitiveChimeArn"];
        let mut unclassified = Vec::new();
        let mut rows = 0;
        for op in &model.operations {
            let mut pending: Vec<String> = op.input.iter().cloned().collect();
            let mut seen = std::collections::BTreeSet::new();
            while let Some(name) = pending.pop() {
                let Some(shape) = model.shape(op.service, &name) else {
                    continue;
                };
                if !seen.insert(name) {
                    continue;
                }
                for (member, target) in &shape.members {
                    let Some(target_shape) = model.shape(op.service, &target.shape) else {
                        continue;
                    };
                    let item = target_shape.member.as_ref().map(|m| m.shape.as_str());
                    let holds_arn = arn_shapes.contains(&target.shape.as_str())
                        || item.is_some_and(|item| arn_shapes.contains(&item));
                    if holds_arn {
                        match expected(op.service, member) {
                            Some(_) => rows += 1,
                            None if EXTERNAL.contains(&member.as_str()) => {}
                            None => unclassified.push(format!("{} {member}", op.name)),
                        }
                    }
                    pending.push(target.shape.clone());
                    pending.extend(item.map(str::to_owned));
                }
            }
        }
        assert!(unclassified.is_empty(), "no kind for: {unclassified:?}");
        assert!(rows > 100, "only {rows} ARN members found");
    }
}
