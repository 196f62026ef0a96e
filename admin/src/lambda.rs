//! The admin-api function's two entry points, as Lambda delivers them: an API Gateway HTTP API event
//! (payload format 2.0: routed and bound by the service model, answered with the operation's status
//! and JSON) or a direct invocation `{"Operation", "Input", "MaxItems"?, "AllSubChannels"?,
//! "IdempotencyKey"?}` (answered with the output, or failed with the error's name as its type).

use aws_lambda_events::encodings::Body;
use aws_lambda_events::event::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use base64::Engine as _;
use http::HeaderValue;
use serde_json::{Map, Value, json};

use crate::access::Caller;
use crate::api::{AdminApi, ErrorReply, Extras};

/// Headers that ask for more than the bare operation.
pub const MAX_ITEMS_HEADER: &str = "x-chime-admin-max-items";
pub const ALL_SUB_CHANNELS_HEADER: &str = "x-chime-admin-all-sub-channels";
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// One Lambda event, either kind: an object with a `requestContext` is an HTTP API event, any
/// other object a direct invocation; anything else is refused as such.
pub async fn handle(api: &AdminApi, event: &Value) -> Result<Value, ErrorReply> {
    handle_invocation(api, event, Invocation::default()).await
}

/// What Lambda says of one invocation beyond its event.
#[derive(Debug, Clone, Copy, Default)]
pub struct Invocation<'a> {
    /// The Lambda request id (a direct invocation's audit line carries it).
    pub request_id: Option<&'a str>,
    /// The function's deadline (a replay stops before it).
    pub deadline: Option<std::time::Instant>,
}

/// [`handle`], with what Lambda says of the invocation.
pub async fn handle_invocation(
    api: &AdminApi,
    event: &Value,
    invocation: Invocation<'_>,
) -> Result<Value, ErrorReply> {
    match event {
        Value::Object(fields) if fields.contains_key("requestContext") => {
            let request: ApiGatewayV2httpRequest =
                serde_json::from_value(event.clone()).map_err(|e| {
                    ErrorReply::new(
                        400,
                        "InvalidEvent",
                        format!("not an API Gateway HTTP API (payload format 2.0) event: {e}"),
                    )
                })?;
            Ok(http_answer(
                handle_http(api, &request, invocation.deadline).await,
            ))
        }
        Value::Object(_) => handle_direct(api, event, invocation).await,
        other => Err(ErrorReply::new(
            400,
            "InvalidEvent",
            format!(
                "the event must be a JSON object ({{\"Operation\": …, \"Input\": {{…}}}} or an API \
                 Gateway HTTP API event), not {}",
                json_kind(other)
            ),
        )),
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `{"Operation": "ListSubChannels", "Input": {...}}`: the output, or the failure. The caller is
/// whoever IAM let invoke the function (principal `direct` in the access policy).
pub async fn handle_direct(
    api: &AdminApi,
    event: &Value,
    invocation: Invocation<'_>,
) -> Result<Value, ErrorReply> {
    let operation = event
        .get("Operation")
        .and_then(Value::as_str)
        .ok_or_else(|| ErrorReply::invalid("Operation", "missing: name the operation to run"))?;
    let input = match event.get("Input") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(input)) => input.clone(),
        Some(_) => return Err(ErrorReply::invalid("Input", "must be an object")),
    };
    let max_items = match event.get("MaxItems") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .filter(|n| *n > 0)
                .ok_or_else(|| ErrorReply::invalid("MaxItems", "must be a positive whole number"))?
                as usize,
        ),
    };
    let extras = Extras {
        max_items,
        all_sub_channels: event.get("AllSubChannels").and_then(Value::as_bool) == Some(true),
        idempotency_key: event
            .get("IdempotencyKey")
            .and_then(Value::as_str)
            .map(str::to_owned),
        bearer: None,
        caller: Caller::Direct,
        request_id: invocation.request_id.map(str::to_owned),
        deadline: invocation.deadline,
    };
    api.run(operation, input, &extras)
        .await
        .map(|(_, output)| output)
}

/// The request's path as the routes know it: API Gateway HTTP APIs deliver `rawPath` with its
/// percent-encoding decoded (`/channels/arn:…:app-instance/ID/channel/ID`; the router recognises an
/// ARN by its structure) and, on a named stage reached through its execute-api URL, prefixed with
/// the stage (`/prod/channels/…`), which is not part of the route.
pub fn route_path(request: &ApiGatewayV2httpRequest) -> &str {
    let path = staged_path(request);
    // End users reach the same routes under /as-user/ (the template's JWT route).
    match path.strip_prefix(AS_USER_PREFIX) {
        Some(rest) if rest.starts_with('/') => rest,
        _ => path,
    }
}

/// The prefix of the routes the template's JWT authorizer guards (`ANY /as-user/{proxy+}`).
pub const AS_USER_PREFIX: &str = "/as-user";

fn staged_path(request: &ApiGatewayV2httpRequest) -> &str {
    let path = request
        .raw_path
        .as_deref()
        .or(request.request_context.http.path.as_deref())
        .unwrap_or("/");
    match request.request_context.stage.as_deref() {
        Some(stage) if stage != "$default" && !stage.is_empty() => path
            .strip_prefix('/')
            .and_then(|rest| rest.strip_prefix(stage))
            .filter(|rest| rest.is_empty() || rest.starts_with('/'))
            .map_or(path, |rest| if rest.is_empty() { "/" } else { rest }),
        _ => path,
    }
}

/// An HTTP API (payload 2.0) request: the model routes and binds it, the layer runs it.
pub async fn handle_http(
    api: &AdminApi,
    request: &ApiGatewayV2httpRequest,
    deadline: Option<std::time::Instant>,
) -> Result<(u16, Option<Value>), ErrorReply> {
    let method = request.request_context.http.method.as_str();
    let path = route_path(request);
    let query = request.raw_query_string.as_deref().unwrap_or("");
    let headers = &request.headers;
    let body = match request.body.as_deref() {
        None => Vec::new(),
        Some(text) if request.is_base64_encoded => base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|_| ErrorReply::invalid("body", "is not valid base64"))?,
        Some(text) => text.as_bytes().to_vec(),
    };
    let query = chime_api::binding::query_pairs(query).map_err(invalid)?;
    // Who is calling: the authorizer's context, as API Gateway wrote it.
    let who = Extras {
        caller: Caller::from_http(&request.request_context),
        request_id: request.request_context.request_id.clone(),
        deadline,
        ..Extras::default()
    };
    // Bulk onboarding, beyond the model: POST /channels/{channelArn}/memberships/bulk.
    if let Some(channel) = path
        .strip_prefix("/channels/")
        .and_then(|rest| rest.strip_suffix("/memberships/bulk"))
        && method == "POST"
    {
        let mut input = match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(input)) => input,
            _ => {
                return Err(ErrorReply::invalid(
                    "body",
                    "must be a JSON object with MemberArns",
                ));
            }
        };
        let channel = chime_api::binding::decode(channel, false).map_err(invalid)?;
        input.insert("ChannelArn".into(), json!(channel));
        if let Some(bearer) = headers
            .get("x-amz-chime-bearer")
            .and_then(|v| v.to_str().ok())
        {
            input.insert("ChimeBearer".into(), json!(bearer));
        }
        let (status, output) = api.run(crate::api::BULK_OPERATION, input, &who).await?;
        return Ok((status, Some(output)));
    }
    // Replaying the processors' failed events, beyond the model: POST /failed-events/redrive.
    if path == "/failed-events/redrive" && method == "POST" {
        let input = match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(input)) => input,
            _ if body.iter().all(u8::is_ascii_whitespace) => Map::new(),
            _ => {
                return Err(ErrorReply::invalid(
                    "body",
                    "must be a JSON object {\"Limit\"?, \"DryRun\"?}",
                ));
            }
        };
        let (status, output) = api.run(crate::api::REDRIVE_OPERATION, input, &who).await?;
        return Ok((status, Some(output)));
    }
    let (op, labels) =
        chime_api::binding::route(&api.model, method, path, &query).map_err(invalid)?;
    let input = chime_api::binding::bind(&api.model, op, &labels, &query, headers, &body)
        .map_err(invalid)?;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let max_items = match header(MAX_ITEMS_HEADER) {
        None => None,
        Some(text) => Some(
            text.parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| {
                    ErrorReply::invalid(MAX_ITEMS_HEADER, "must be a positive whole number")
                })?,
        ),
    };
    let extras = Extras {
        max_items,
        all_sub_channels: header(ALL_SUB_CHANNELS_HEADER) == Some("true"),
        idempotency_key: header(IDEMPOTENCY_HEADER).map(str::to_owned),
        ..who
    };
    let (status, output) = api.run(&op.name, input, &extras).await?;
    Ok((status, (status != 204).then_some(output)))
}

fn invalid(error: chime_api::ModelRefusal) -> ErrorReply {
    let (status, error_name) = match error.kind {
        chime_api::RefusalKind::NoRoute => (404, "UnknownRoute"),
        chime_api::RefusalKind::BadRequest => (400, "ValidationError"),
    };
    let (field, problem) = error.field_and_problem();
    let (field, message) = (field.map(str::to_owned), problem.to_owned());
    ErrorReply {
        status,
        error: error_name.into(),
        message,
        field,
    }
}

/// The HTTP API response (payload 2.0) for an answer or a failure.
pub fn http_answer(answer: Result<(u16, Option<Value>), ErrorReply>) -> Value {
    let (status, body) = match answer {
        Ok((status, body)) => (status, body),
        Err(failure) => (failure.status, Some(failure.body())),
    };
    let mut response = ApiGatewayV2httpResponse::default();
    response.status_code = i64::from(status);
    response.headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response.body = Some(Body::Text(body.map(|b| b.to_string()).unwrap_or_default()));
    response.is_base64_encoded = false;
    serde_json::to_value(&response).unwrap_or_else(
        |e| json!({"statusCode": 500, "body": format!("the response could not be written: {e}")}),
    )
}
