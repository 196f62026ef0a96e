//! One validator for every operation: required members, types, lengths, ranges, patterns and enums as
//! the model states them. The first violation becomes a BadRequest naming the member by its path.

use serde_json::Value;

use crate::model::{Model, Service, Shape};
use crate::{ModelRefusal, arn_kind};

/// Checks `value` against the shape `name`; `path` names it in the error (`Processors[0].Name`).
pub fn validate(
    model: &Model,
    service: Service,
    name: &str,
    value: &Value,
    path: &str,
) -> Result<(), ModelRefusal> {
    let Some(shape) = model.shape(service, name) else {
        return Ok(());
    };
    let fail = |rule: String| Err(ModelRefusal::bad_request(format!("{path}: {rule}")));
    match (shape.kind.as_str(), value) {
        ("structure", Value::Object(fields)) => {
            for required in &shape.required {
                if fields.get(required).is_none_or(Value::is_null) {
                    return Err(ModelRefusal::bad_request(format!(
                        "{}: missing, it is required",
                        join(path, required)
                    )));
                }
            }
            for (member_name, member) in &shape.members {
                if let Some(v) = fields.get(member_name).filter(|v| !v.is_null()) {
                    let member_path = join(path, member_name);
                    validate(model, service, &member.shape, v, &member_path)?;
                    check_arn_kind(service, member_name, v, &member_path)?;
                }
            }
            Ok(())
        }
        ("list", Value::Array(items)) => {
            check_count(shape, items.len(), "items").or_else(fail)?;
            if let Some(member) = &shape.member {
                for (i, item) in items.iter().enumerate() {
                    validate(model, service, &member.shape, item, &format!("{path}[{i}]"))?;
                }
            }
            Ok(())
        }
        ("map", Value::Object(entries)) => {
            check_count(shape, entries.len(), "entries").or_else(fail)?;
            for (key, item) in entries {
                let entry = format!("{path}.{key}");
                if let Some(key_shape) = &shape.key {
                    validate(
                        model,
                        service,
                        &key_shape.shape,
                        &Value::from(key.as_str()),
                        &entry,
                    )?;
                }
                if let Some(value_shape) = &shape.value {
                    validate(model, service, &value_shape.shape, item, &entry)?;
                }
            }
            Ok(())
        }
        ("string", Value::String(text)) => {
            // Smithy lengths count characters (Unicode scalar values).
            check_count(shape, text.chars().count(), "characters").or_else(fail)?;
            if let Some(allowed) = &shape.allowed
                && !allowed.iter().any(|a| a == text)
            {
                return fail(format!("{text:?} is not one of {}", allowed.join(", ")));
            }
            if let Some(pattern) = &shape.pattern
                && model.pattern(pattern).is_some_and(|re| !re.is_match(text))
            {
                return fail(format!("does not match the pattern {pattern}"));
            }
            Ok(())
        }
        ("integer" | "long", Value::Number(n)) if n.is_i64() || n.is_u64() => {
            let n = n.as_i64().unwrap_or(i64::MAX);
            if shape.min.is_some_and(|min| n < min) || shape.max.is_some_and(|max| n > max) {
                return fail(format!("{n} is out of range {}", range(shape)));
            }
            Ok(())
        }
        ("boolean", Value::Bool(_)) | ("timestamp", Value::Number(_)) => Ok(()),
        ("double" | "float", Value::Number(_)) => Ok(()),
        (kind, _) => fail(format!("expected {}", article(kind))),
    }
}

/// A member that holds a Chime ARN holds the kind its name says (`arn_kind`), each item of a list
/// member too; the refusal names the member and what the ARN is instead.
fn check_arn_kind(
    service: Service,
    member: &str,
    value: &Value,
    path: &str,
) -> Result<(), ModelRefusal> {
    let Some(kinds) = arn_kind::expected(service, member) else {
        return Ok(());
    };
    let refuse =
        |at: String, problem: String| ModelRefusal::bad_request(format!("{at}: {problem}"));
    match value {
        Value::String(arn) => {
            arn_kind::check(arn, kinds).map_err(|problem| refuse(path.to_owned(), problem))
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if let Some(arn) = item.as_str() {
                    arn_kind::check(arn, kinds)
                        .map_err(|problem| refuse(format!("{path}[{i}]"), problem))?;
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn join(path: &str, member: &str) -> String {
    if path.is_empty() {
        member.to_owned()
    } else {
        format!("{path}.{member}")
    }
}

fn check_count(shape: &Shape, count: usize, unit: &str) -> Result<(), String> {
    let count = count as i64;
    if shape.min.is_some_and(|min| count < min) || shape.max.is_some_and(|max| count > max) {
        return Err(format!("{count} {unit}, must be {}", range(shape)));
    }
    Ok(())
}

fn range(shape: &Shape) -> String {
    match (shape.min, shape.max) {
        (Some(min), Some(max)) => format!("{min}–{max}"),
        (Some(min), None) => format!("at least {min}"),
        (None, Some(max)) => format!("at most {max}"),
        (None, None) => "any".to_owned(),
    }
}

fn article(kind: &str) -> &'static str {
    match kind {
        "structure" => "an object",
        "list" => "an array",
        "map" => "an object of entries",
        "string" => "a string",
        "integer" | "long" => "an integer",
        "boolean" => "true or false",
        "timestamp" => "epoch seconds",
        _ => "a number",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(shape: &str, value: Value) -> Result<(), String> {
        let model = Model::load().unwrap();
        validate(&model, Service::Messaging, shape, &value, "").map_err(|e| e.message)
    }

    #[test]
    fn names_the_member_and_the_rule() {
        let ok = json!({"AppInstanceArn": "arn:aws:chime:us-east-1:1:app-instance/a",
            "ClientRequestToken": "token", "Name": "general",
            "ChimeBearer": "arn:aws:chime:us-east-1:1:app-instance/a/user/u"});
        assert_eq!(check("CreateChannelRequest", ok.clone()), Ok(()));
        // The kind each ARN member holds: a channel is no app instance, a channel no member.
        let mut channel_as_instance = ok.clone();
        channel_as_instance["AppInstanceArn"] =
            json!("arn:aws:chime:us-east-1:1:app-instance/a/channel/c");
        assert_eq!(
            check("CreateChannelRequest", channel_as_instance),
            Err(
                "AppInstanceArn: arn:aws:chime:us-east-1:1:app-instance/a/channel/c is the ARN of \
                 a channel, not of an app instance"
                    .into()
            )
        );
        let mut channel_as_member = ok.clone();
        channel_as_member["MemberArns"] = json!([
            "arn:aws:chime:us-east-1:1:app-instance/a/user/u",
            "arn:aws:chime:us-east-1:1:app-instance/a/channel/c"
        ]);
        assert_eq!(
            check("CreateChannelRequest", channel_as_member),
            Err(
                "MemberArns[1]: arn:aws:chime:us-east-1:1:app-instance/a/channel/c is the ARN of \
                 a channel, not of an AppInstanceUser or an AppInstanceBot"
                    .into()
            )
        );
        let mut missing = ok.clone();
        missing.as_object_mut().unwrap().remove("Name");
        assert_eq!(
            check("CreateChannelRequest", missing),
            Err("Name: missing, it is required".into())
        );
        let mut mode = ok.clone();
        mode["Mode"] = json!("OPEN");
        assert_eq!(
            check("CreateChannelRequest", mode),
            Err("Mode: \"OPEN\" is not one of UNRESTRICTED, RESTRICTED".into())
        );
        let mut elastic = ok.clone();
        elastic["ElasticChannelConfiguration"] = json!({"MaximumSubChannels": 1,
            "TargetMembershipsPerSubChannel": 2, "MinimumMembershipPercentage": 10});
        assert_eq!(
            check("CreateChannelRequest", elastic),
            Err(
                "ElasticChannelConfiguration.MaximumSubChannels: 1 is out of range at least 2"
                    .into()
            )
        );
        let mut long = ok;
        long["Metadata"] = json!("x".repeat(1025));
        assert_eq!(
            check("CreateChannelRequest", long),
            Err("Metadata: 1025 characters, must be 0–1024".into())
        );
    }

    #[test]
    fn checks_lists_maps_and_patterns() {
        let flow = |arn: &str| {
            json!({"AppInstanceArn": "arn:aws:chime:us-east-1:1:app-instance/a",
                "ClientRequestToken": "token", "Name": "flow", "Processors": [{"Name": "p",
                "ExecutionOrder": 1, "FallbackAction": "ABORT",
                "Configuration": {"Lambda": {"ResourceArn": arn, "InvocationType": "ASYNC"}}}]})
        };
        assert_eq!(
            check(
                "CreateChannelFlowRequest",
                flow("arn:aws:lambda:us-east-1:000000000000:function:flow-pipeline")
            ),
            Ok(())
        );
        let err = check(
            "CreateChannelFlowRequest",
            flow("arn:aws:sns:topic/abcdefghij"),
        )
        .unwrap_err();
        assert!(
            err.starts_with("Processors[0].Configuration.Lambda.ResourceArn: does not match the pattern arn:aws:lambda:"),
            "{err}"
        );
        let attrs = json!({"ChannelArn": "arn:aws:chime:us-east-1:1:app-instance/a/channel/c",
            "ChimeBearer": "arn:aws:chime:us-east-1:1:app-instance/a/user/u",
            "ClientRequestToken": "tt", "Content": "hi", "Persistence": "PERSISTENT", "Type": "STANDARD",
            "MessageAttributes": {"": {"StringValues": ["a"]}}});
        assert_eq!(
            check("SendChannelMessageRequest", attrs),
            Err("MessageAttributes.: 0 characters, must be 1–64".into())
        );
        assert_eq!(
            check("CreateChannelFlowRequest", json!({"Name": 5})),
            Err("AppInstanceArn: missing, it is required".into())
        );
    }
}
