//! The admin-api function's two entry points, as Lambda delivers them: an API Gateway HTTP API event
//! (payload format 2.0: routed and bound by the service model, answered with the operation's status
//! and JSON) or a direct invocation `{"Operation", "Input", "MaxItems"?, "AllSubChannels"?,
//! "IdempotencyKey"?}` (answered with the output, or failed with the error's name as its type).

use base64::Engine as _;
use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Map, Value, json};

use crate::api::{AdminApi, Extras, Failure};

/// Headers that ask for more than the bare operation.
pub const MAX_ITEMS_HEADER: &str = "x-chime-admin-max-items";
pub const ALL_SUB_CHANNELS_HEADER: &str = "x-chime-admin-all-sub-channels";
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// One Lambda event, either kind.
pub async fn handle(api: &AdminApi, event: &Value) -> Result<Value, Failure> {
    if event.get("requestContext").is_some() && event.get("rawPath").is_some() {
        Ok(http_answer(handle_http(api, event).await))
    } else {
        handle_direct(api, event).await
    }
}

/// `{"Operation": "ListSubChannels", "Input": {...}}`: the output, or the failure.
pub async fn handle_direct(api: &AdminApi, event: &Value) -> Result<Value, Failure> {
    let operation = event
        .get("Operation")
        .and_then(Value::as_str)
        .ok_or_else(|| field_failure("Operation", "missing: name the operation to run"))?;
    let input = match event.get("Input") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(input)) => input.clone(),
        Some(_) => return Err(field_failure("Input", "must be an object")),
    };
    let max_items = match event.get("MaxItems") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .filter(|n| *n > 0)
                .ok_or_else(|| field_failure("MaxItems", "must be a positive whole number"))?
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
    };
    api.run(operation, input, &extras)
        .await
        .map(|(_, output)| output)
}

fn field_failure(field: &str, message: &str) -> Failure {
    Failure {
        status: 400,
        error: "ValidationError".into(),
        message: message.into(),
        field: Some(field.into()),
    }
}

/// An HTTP API (payload 2.0) request: the model routes and binds it, the layer runs it.
pub async fn handle_http(api: &AdminApi, event: &Value) -> Result<(u16, Option<Value>), Failure> {
    let method = event
        .pointer("/requestContext/http/method")
        .and_then(Value::as_str)
        .unwrap_or("GET");
    let path = event.get("rawPath").and_then(Value::as_str).unwrap_or("/");
    let query = event
        .get("rawQueryString")
        .and_then(Value::as_str)
        .unwrap_or("");
    let mut headers = HeaderMap::new();
    for (name, value) in event
        .get("headers")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if let (Ok(name), Some(Ok(value))) = (
            HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()),
            value.as_str().map(HeaderValue::from_str),
        ) {
            headers.insert(name, value);
        }
    }
    let body = match event.get("body").and_then(Value::as_str) {
        None => Vec::new(),
        Some(text) if event.get("isBase64Encoded").and_then(Value::as_bool) == Some(true) => {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|_| field_failure("body", "is not valid base64"))?
        }
        Some(text) => text.as_bytes().to_vec(),
    };
    let query = chime_api::binding::query_pairs(query).map_err(invalid)?;
    // Bulk onboarding, beyond the model: POST /channels/{channelArn}/memberships/bulk.
    if let Some(channel) = path
        .strip_prefix("/channels/")
        .and_then(|rest| rest.strip_suffix("/memberships/bulk"))
        && method == "POST"
    {
        let mut input = match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(input)) => input,
            _ => {
                return Err(field_failure(
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
        let (status, output) = api
            .run(crate::api::BULK_OPERATION, input, &Extras::default())
            .await?;
        return Ok((status, Some(output)));
    }
    let (op, labels) =
        chime_api::binding::route(&api.model, method, path, &query).map_err(invalid)?;
    let input = chime_api::binding::bind(&api.model, op, &labels, &query, &headers, &body)
        .map_err(invalid)?;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let max_items = match header(MAX_ITEMS_HEADER) {
        None => None,
        Some(text) => Some(
            text.parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| {
                    field_failure(MAX_ITEMS_HEADER, "must be a positive whole number")
                })?,
        ),
    };
    let extras = Extras {
        max_items,
        all_sub_channels: header(ALL_SUB_CHANNELS_HEADER) == Some("true"),
        idempotency_key: header(IDEMPOTENCY_HEADER).map(str::to_owned),
        bearer: None,
    };
    let (status, output) = api.run(&op.name, input, &extras).await?;
    Ok((status, (status != 204).then_some(output)))
}

fn invalid(error: chime_api::Invalid) -> Failure {
    let (status, error_name) = match error.kind {
        chime_api::InvalidKind::NoRoute => (404, "UnknownRoute"),
        chime_api::InvalidKind::BadRequest => (400, "ValidationError"),
    };
    let (field, problem) = error.field_and_problem();
    let (field, message) = (field.map(str::to_owned), problem.to_owned());
    Failure {
        status,
        error: error_name.into(),
        message,
        field,
    }
}

/// The HTTP API response (payload 2.0) for an answer or a failure.
pub fn http_answer(answer: Result<(u16, Option<Value>), Failure>) -> Value {
    let (status, body) = match answer {
        Ok((status, body)) => (status, body),
        Err(failure) => (failure.status, Some(failure.body())),
    };
    json!({
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": body.map(|b| b.to_string()).unwrap_or_default(),
        "isBase64Encoded": false,
    })
}
