//! The custom resource's properties, as the template passes them, checked before anything is called:
//! each ARN must name the right kind of resource in the right app instance, and the error names the
//! property and says what the ARN is instead.

use chime_flow::arn::ChimeArn;
use serde_json::Value;

/// What the stack asks for: `AdminArn` becomes an AppInstanceAdmin of `AppInstanceArn`, and
/// `ChannelFlowArn` is associated with every channel of `ChannelArns`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setup {
    pub app_instance: String,
    pub admin: String,
    pub flow: String,
    pub channels: Vec<String>,
}

/// A property that cannot be used, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{property}: {problem}")]
pub struct PropertyError {
    pub property: String,
    pub problem: String,
}

fn error(property: impl Into<String>, problem: impl Into<String>) -> PropertyError {
    PropertyError {
        property: property.into(),
        problem: problem.into(),
    }
}

fn text<'v>(properties: &'v Value, name: &str) -> Result<&'v str, PropertyError> {
    match properties.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim()),
        Some(Value::String(_)) | None | Some(Value::Null) => Err(error(name, "missing")),
        Some(other) => Err(error(name, format!("must be a string, got {other}"))),
    }
}

fn arn(
    properties: &Value,
    name: &str,
    kind: &str,
    instance: Option<&str>,
) -> Result<String, PropertyError> {
    let value = text(properties, name)?;
    ChimeArn::expect(value, kind, instance)
        .map(|a| a.as_str().to_owned())
        .map_err(|e| error(name, format!("{value} {e}")))
}

impl Setup {
    /// Reads `ResourceProperties` (CloudFormation passes every value as a string; `ChannelArns` is a
    /// list, or a comma-separated string, and empty entries — an empty list parameter — are dropped).
    pub fn from_properties(properties: &Value) -> Result<Self, PropertyError> {
        let app_instance = arn(properties, "AppInstanceArn", "app-instance", None)?;
        let admin = arn(properties, "AdminArn", "user", Some(&app_instance))?;
        let flow = arn(
            properties,
            "ChannelFlowArn",
            "channel-flow",
            Some(&app_instance),
        )?;
        let listed: Vec<String> = match properties.get("ChannelArns") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(s)) => s.split(',').map(str::to_owned).collect(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    item.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| error(format!("ChannelArns[{i}]"), "must be a string"))
                })
                .collect::<Result<_, _>>()?,
            Some(other) => {
                return Err(error(
                    "ChannelArns",
                    format!("must be a list of ARNs, got {other}"),
                ));
            }
        };
        let mut channels = Vec::new();
        for (i, value) in listed.iter().enumerate() {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            let channel = ChimeArn::expect(value, "channel", Some(&app_instance))
                .map_err(|e| error(format!("ChannelArns[{i}]"), format!("{value} {e}")))?;
            if !channels.iter().any(|c| c == channel.as_str()) {
                channels.push(channel.as_str().to_owned());
            }
        }
        Ok(Self {
            app_instance,
            admin,
            flow,
            channels,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const INSTANCE: &str = "arn:aws:chime:us-east-1:123456789012:app-instance/abc";

    fn props(channels: Value) -> Value {
        json!({
            "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:setup",
            "AppInstanceArn": INSTANCE,
            "AdminArn": format!("{INSTANCE}/user/service"),
            "ChannelFlowArn": format!("{INSTANCE}/channel-flow/f1"),
            "ChannelArns": channels,
        })
    }

    #[test]
    fn reads_lists_strings_and_empty_parameters() {
        let c1 = format!("{INSTANCE}/channel/c1");
        let c2 = format!("{INSTANCE}/channel/c2");
        let list = Setup::from_properties(&props(json!([c1, "", c2, c1]))).unwrap();
        assert_eq!(list.channels, vec![c1.clone(), c2.clone()]);
        let joined = Setup::from_properties(&props(json!(format!("{c1}, {c2}")))).unwrap();
        assert_eq!(joined.channels, list.channels);
        let empty = Setup::from_properties(&props(json!([""]))).unwrap();
        assert!(empty.channels.is_empty());
        assert_eq!(empty.admin, format!("{INSTANCE}/user/service"));
    }

    #[test]
    fn mixed_up_arns_are_named_with_what_they_are() {
        let user_as_channel = props(json!([format!("{INSTANCE}/user/bob")]));
        assert_eq!(
            Setup::from_properties(&user_as_channel)
                .unwrap_err()
                .to_string(),
            format!("ChannelArns[0]: {INSTANCE}/user/bob names a user, expected a channel")
        );
        let mut other_instance = props(json!([]));
        other_instance["AdminArn"] =
            json!("arn:aws:chime:us-east-1:123456789012:app-instance/xyz/user/service");
        let message = Setup::from_properties(&other_instance)
            .unwrap_err()
            .to_string();
        assert!(message.starts_with("AdminArn: "), "{message}");
        assert!(message.ends_with(&format!("not {INSTANCE}")), "{message}");
        let mut missing = props(json!([]));
        missing.as_object_mut().unwrap().remove("ChannelFlowArn");
        assert_eq!(
            Setup::from_properties(&missing).unwrap_err().to_string(),
            "ChannelFlowArn: missing"
        );
        let mut not_arn = props(json!([]));
        not_arn["AppInstanceArn"] = json!("app-instance/abc");
        assert_eq!(
            Setup::from_properties(&not_arn).unwrap_err().to_string(),
            "AppInstanceArn: app-instance/abc not an ARN (must start with 'arn:')"
        );
    }
}
