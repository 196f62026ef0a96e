//! From an HTTP request to an operation and its input, by the model alone: the router matches method,
//! path template and literal query; the binder gathers labels, query parameters, headers and the JSON
//! body into one input object named as the model names its members.

use http::HeaderMap;
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::ModelRefusal;
use crate::model::{Model, Operation, Segment};

/// Percent-decoding of one path segment or query component (`+` is a space in a query).
pub fn decode(text: &str, plus_is_space: bool) -> Result<String, ModelRefusal> {
    let text = if plus_is_space {
        text.replace('+', " ")
    } else {
        text.to_owned()
    };
    percent_decode_str(&text)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| ModelRefusal::bad_request(format!("{text:?} is not percent-encoded UTF-8")))
}

/// The query as decoded (name, value) pairs, in order.
pub fn query_pairs(query: &str) -> Result<Vec<(String, String)>, ModelRefusal> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((decode(k, true)?, decode(v, true)?))
        })
        .collect()
}

/// Decoded path labels: (label name, value).
pub type Labels = Vec<(String, String)>;

/// The operation a request is for, and its decoded path labels. A label is one path segment as
/// SDKs send it (an ARN percent-encoded, `/` included), or an ARN as an API Gateway HTTP API hands it
/// to a function, decoded: then it spans the segments its structure has (see [`label_spans`]).
pub fn route<'m>(
    model: &'m Model,
    method: &str,
    path: &str,
    query: &[(String, String)],
) -> Result<(&'m Operation, Labels), ModelRefusal> {
    let raw: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let mut best: Option<(&Operation, Labels)> = None;
    for op in model.operations.iter().filter(|op| op.method == method) {
        if op.segments.len() > raw.len()
            || !op
                .literal_query
                .iter()
                .all(|(k, v)| query.iter().any(|(qk, qv)| qk == k && qv == v))
        {
            continue;
        }
        let mut labels = Vec::new();
        // The most specific match wins: `GET /channels?scope=…` over `GET /channels`.
        if match_segments(&op.segments, &raw, &mut labels)
            && best
                .as_ref()
                .is_none_or(|(b, _)| b.literal_query.len() < op.literal_query.len())
        {
            best = Some((op, labels));
        }
    }
    let (op, labels) = best.ok_or_else(|| {
        ModelRefusal::no_route(format!(
            "no Chime SDK Messaging or Identity operation matches {method} {path}"
        ))
    })?;
    let labels = labels
        .into_iter()
        .map(|(name, text)| Ok((name, decode(&text, false)?)))
        .collect::<Result<_, ModelRefusal>>()?;
    Ok((op, labels))
}

/// Whether `raw` (the path's segments) fits the template `segments`, gathering the labels; a label
/// tries the longest span its text allows first, then shorter ones.
fn match_segments(segments: &[Segment], raw: &[&str], labels: &mut Labels) -> bool {
    match segments.split_first() {
        None => raw.is_empty(),
        Some((Segment::Literal(literal), rest)) => {
            raw.first() == Some(&literal.as_str()) && match_segments(rest, &raw[1..], labels)
        }
        Some((Segment::Label(name), rest)) => {
            for span in label_spans(raw) {
                labels.push((name.clone(), raw[..span].join("/")));
                if match_segments(rest, &raw[span..], labels) {
                    return true;
                }
                labels.pop();
            }
            false
        }
    }
}

/// What comes after an app instance's id in the ARN of a resource inside it.
const RESOURCE_KINDS: [&str; 4] = ["user", "bot", "channel", "channel-flow"];

/// How many of `raw`'s segments a label starting there may span, longest first: one, or for a
/// decoded app-instance ARN, `…:app-instance/ID` (two) and `…:app-instance/ID/KIND/ID` (four)
/// where KIND is a resource of an app instance. Recognised by structure, so an ARN arrives whole
/// whether or not its `/` were encoded.
fn label_spans(raw: &[&str]) -> Vec<usize> {
    let Some(first) = raw.first() else {
        return Vec::new();
    };
    let mut spans = vec![1];
    if first.starts_with("arn:") && first.ends_with(":app-instance") {
        if raw.len() >= 2 {
            spans.push(2);
        }
        if raw.len() >= 4 && RESOURCE_KINDS.contains(&raw[2]) {
            spans.push(4);
        }
    }
    spans.reverse();
    spans
}

/// The operation's input as one JSON object keyed by member name.
pub fn bind(
    model: &Model,
    op: &Operation,
    labels: &[(String, String)],
    query: &[(String, String)],
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Map<String, Value>, ModelRefusal> {
    let Some(input) = op.input.as_deref() else {
        return Ok(Map::new());
    };
    let shape = model
        .shape(op.service, input)
        .ok_or_else(|| ModelRefusal::bad_request(format!("unknown input shape {input}")))?;
    let mut body_fields = if body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => map,
            Ok(_) => {
                return Err(ModelRefusal::bad_request(
                    "the request body must be a JSON object",
                ));
            }
            Err(e) => {
                return Err(ModelRefusal::bad_request(format!(
                    "the request body is not JSON: {e}"
                )));
            }
        }
    };
    let mut out = Map::new();
    for (name, member) in &shape.members {
        let wire_name = member.location_name.as_deref().unwrap_or(name);
        let kind = model
            .shape(op.service, &member.shape)
            .map(|s| s.kind.as_str())
            .unwrap_or("string");
        let value = match member.location.as_deref() {
            Some("uri") => labels
                .iter()
                .find(|(label, _)| label == wire_name)
                .map(|(_, v)| Value::String(v.clone())),
            Some("header") => match headers.get(wire_name) {
                Some(v) => Some(Value::String(
                    v.to_str()
                        .map_err(|_| {
                            ModelRefusal::bad_request(format!("header {wire_name} is not text"))
                        })?
                        .to_owned(),
                )),
                None => None,
            },
            Some("querystring") => {
                let values: Vec<&str> = query
                    .iter()
                    .filter(|(k, _)| k == wire_name)
                    .map(|(_, v)| v.as_str())
                    .collect();
                query_value(wire_name, kind, &values)?
            }
            _ => body_fields.remove(name),
        };
        if let Some(value) = value.filter(|v| !v.is_null()) {
            out.insert(name.clone(), value);
        }
    }
    Ok(out)
}

fn query_value(name: &str, kind: &str, values: &[&str]) -> Result<Option<Value>, ModelRefusal> {
    let Some(first) = values.first() else {
        return Ok(None);
    };
    let value = match kind {
        "integer" | "long" => Value::from(first.parse::<i64>().map_err(|_| {
            ModelRefusal::bad_request(format!("query {name}: {first:?} is not an integer"))
        })?),
        "timestamp" => Value::from(parse_timestamp(first).ok_or_else(|| {
            ModelRefusal::bad_request(format!(
                "query {name}: {first:?} is not an ISO-8601 timestamp nor epoch seconds"
            ))
        })?),
        "boolean" => Value::Bool(*first == "true"),
        "list" => Value::Array(values.iter().map(|v| Value::from(*v)).collect()),
        _ => Value::from(*first),
    };
    Ok(Some(value))
}

/// A query timestamp as epoch nanoseconds, exactly: ISO-8601 (RFC 3339, what the SDKs send, with any
/// number of fractional digits) or decimal epoch seconds (`1732612345.678`), read as text so that no
/// float ever stands between the client's digits and the comparison. Handlers take it to the
/// millisecond (chime-local's `store::Millis::from_nanos`).
pub fn parse_timestamp(text: &str) -> Option<i64> {
    if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
        return i64::try_from(at.unix_timestamp_nanos()).ok();
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !(fraction.is_empty() || digits(fraction)) || fraction.len() > 9 {
        return None;
    }
    let seconds: i64 = whole.parse().ok()?;
    let nanos: i64 = format!("{fraction:0<9}").parse().ok()?;
    seconds.checked_mul(1_000_000_000)?.checked_add(nanos)
}

/// A request as the service's REST binding lays it out: what a client sends for an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// With its labels percent-encoded.
    pub path: String,
    /// `k=v&…`, percent-encoded, literal discriminators first.
    pub query: String,
    pub headers: Vec<(String, String)>,
    /// The JSON body's members (empty when everything is bound elsewhere).
    pub body: Map<String, Value>,
}

/// The binder's inverse: lays `input` (members named as the model names them) out as the
/// operation's request — labels into the path, query and header members where the model puts them,
/// the rest into the body. `bind(route(request))` gives `input` back.
pub fn request(model: &Model, op: &Operation, input: &Map<String, Value>) -> Request {
    const COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    let encode = |text: &str| percent_encoding::utf8_percent_encode(text, COMPONENT).to_string();
    let as_text = |value: &Value| match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    let shape = op
        .input
        .as_deref()
        .and_then(|name| model.shape(op.service, name));
    let member = |wire: &str| {
        shape.and_then(|shape| {
            shape.members.iter().find(|(name, m)| {
                m.location.as_deref() == Some("uri")
                    && m.location_name.as_deref().unwrap_or(name) == wire
            })
        })
    };
    let path = op
        .segments
        .iter()
        .map(|segment| match segment {
            Segment::Literal(text) => text.clone(),
            Segment::Label(label) => member(label)
                .and_then(|(name, _)| input.get(name))
                .map(|v| encode(&as_text(v)))
                .unwrap_or_default(),
        })
        .collect::<Vec<_>>()
        .join("/");
    let mut query: Vec<String> = op
        .literal_query
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    let mut headers = Vec::new();
    let mut body = Map::new();
    for (name, m) in shape.map(|s| s.members.iter()).into_iter().flatten() {
        let Some(value) = input.get(name).filter(|v| !v.is_null()) else {
            continue;
        };
        let wire = m.location_name.as_deref().unwrap_or(name);
        match m.location.as_deref() {
            Some("uri") => {}
            Some("header") => headers.push((wire.to_ascii_lowercase(), as_text(value))),
            Some("querystring") => match value {
                Value::Array(items) => query.extend(
                    items
                        .iter()
                        .map(|item| format!("{}={}", encode(wire), encode(&as_text(item)))),
                ),
                other => query.push(format!("{}={}", encode(wire), encode(&as_text(other)))),
            },
            _ => {
                body.insert(name.clone(), value.clone());
            }
        }
    }
    Request {
        method: op.method.clone(),
        path: format!("/{path}"),
        query: query.join("&"),
        headers,
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_by_method_path_and_literal_query() {
        let model = Model::load().unwrap();
        let q = |s: &str| query_pairs(s).unwrap();
        let arn = "arn%3Aaws%3Achime%3Aus-east-1%3A1%3Aapp-instance%2Fa%2Fchannel%2Fc";
        let path = format!("/channels/{arn}/messages/m1");
        let (op, labels) = route(&model, "POST", &path, &q("operation=redact")).unwrap();
        assert_eq!(op.name, "RedactChannelMessage");
        assert_eq!(
            labels[0],
            (
                "channelArn".into(),
                "arn:aws:chime:us-east-1:1:app-instance/a/channel/c".into()
            )
        );
        // The same ARN as an API Gateway HTTP API delivers it: decoded, its `/` part of the path.
        let decoded = "/channels/arn:aws:chime:us-east-1:1:app-instance/a/channel/c/messages/m1";
        let (op, decoded_labels) = route(&model, "POST", decoded, &q("operation=redact")).unwrap();
        assert_eq!(op.name, "RedactChannelMessage");
        assert_eq!(decoded_labels, labels);
        let (op, _) = route(&model, "GET", "/channels", &q("max-results=3")).unwrap();
        assert_eq!(op.name, "ListChannels");
        let scope = q("scope=channel-flow-associations&channel-flow-arn=x");
        let (op, _) = route(&model, "GET", "/channels", &scope).unwrap();
        assert_eq!(op.name, "ListChannelsAssociatedWithChannelFlow");
        let (op, _) = route(&model, "GET", "/app-instances", &[]).unwrap();
        assert_eq!(op.name, "ListAppInstances");
        let err = route(&model, "GET", "/nothing/here", &[]).unwrap_err();
        assert_eq!(
            err.message,
            "no Chime SDK Messaging or Identity operation matches GET /nothing/here"
        );
    }

    #[test]
    fn binds_labels_query_headers_and_body() {
        let model = Model::load().unwrap();
        let query = query_pairs("max-results=5&not-before=2024-01-02T03%3A04%3A05Z").unwrap();
        let (op, labels) = route(&model, "GET", "/channels/abcde/messages", &query).unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-amz-chime-bearer", "arn:bearer".parse().unwrap());
        let input = bind(&model, op, &labels, &query, &headers, b"").unwrap();
        assert_eq!(input["ChannelArn"], "abcde");
        assert_eq!(input["MaxResults"], 5);
        assert_eq!(input["NotBefore"], 1_704_164_645_000_000_000_i64);
        assert_eq!(input["ChimeBearer"], "arn:bearer");
        let bad = query_pairs("max-results=five").unwrap();
        let err = bind(&model, op, &labels, &bad, &headers, b"").unwrap_err();
        assert_eq!(err.message, "query max-results: \"five\" is not an integer");
        let (op, labels) = route(&model, "POST", "/channels", &[]).unwrap();
        let err = bind(&model, op, &labels, &[], &headers, b"[1]").unwrap_err();
        assert_eq!(err.message, "the request body must be a JSON object");
    }

    /// Every operation's input laid out as a request and bound again is the same input.
    #[test]
    fn requests_bind_back_to_their_input() {
        let model = Model::load().unwrap();
        let input = serde_json::json!({
            "ChannelArn": "arn:aws:chime:us-east-1:1:app-instance/a/channel/c 1",
            "MessageId": "m/1", "ChimeBearer": "arn:aws:chime:us-east-1:1:app-instance/a/user/u",
            "SubChannelId": "7", "MaxResults": 5, "NotBefore": 1704164645, "Content": "hi",
            "Type": "STANDARD", "Persistence": "PERSISTENT", "MemberArns": ["x", "y"],
        });
        let Value::Object(input) = input else {
            unreachable!()
        };
        for op in &model.operations {
            let Some(shape) = op.input.as_deref().and_then(|s| model.shape(op.service, s)) else {
                continue;
            };
            let mut given: Map<String, Value> = input
                .iter()
                .filter(|(k, _)| shape.members.contains_key(*k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            // Every label gets a value that needs encoding.
            for (name, member) in &shape.members {
                if member.location.as_deref() == Some("uri") {
                    given
                        .entry(name.clone())
                        .or_insert_with(|| Value::from(format!("{name}/a b:c")));
                }
            }
            let request = request(&model, op, &given);
            let query = query_pairs(&request.query).unwrap();
            let (routed, labels) = route(&model, &request.method, &request.path, &query)
                .unwrap_or_else(|e| panic!("{}: {e}", op.name));
            assert_eq!(routed.name, op.name);
            let mut headers = HeaderMap::new();
            for (k, v) in &request.headers {
                headers.insert(
                    http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    v.parse().unwrap(),
                );
            }
            let body = serde_json::to_vec(&request.body).unwrap();
            let mut bound = bind(&model, op, &labels, &query, &headers, &body).unwrap();
            // A query time comes back as the binder keeps times: epoch nanoseconds.
            if let Some(nanos) = bound.get("NotBefore").and_then(Value::as_i64) {
                bound.insert("NotBefore".into(), Value::from(nanos / 1_000_000_000));
            }
            assert_eq!(bound, given, "{}", op.name);
        }
    }
}
