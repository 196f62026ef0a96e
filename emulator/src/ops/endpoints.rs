//! AppInstanceUser endpoints: the devices (APNS, GCM) a user's push notifications go to. chime-local
//! stores and reports them; it sends no push notifications.

use serde_json::{Value, json};

use super::page::page;
use super::{Input, Reply};
use crate::error::ApiError;
use crate::state::{Endpoint, Store, User, lock, now, random_uuid};

/// Endpoints one user may hold (chime-local's bound; one per device a person uses is a handful).
pub const MAX_ENDPOINTS_PER_USER: usize = 10;

fn with_user<T>(
    store: &Store,
    arn: &str,
    f: impl FnOnce(&mut User) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let instance = store.instance(arn)?;
    let mut instance = lock(&instance);
    let user = instance
        .users
        .get_mut(arn)
        .ok_or_else(|| ApiError::not_found(format!("app instance user {arn} not found")))?;
    f(user)
}

fn endpoint<'u>(user: &'u mut User, id: &str) -> Result<&'u mut Endpoint, ApiError> {
    let arn = user.arn.clone();
    user.endpoints
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found(format!("endpoint {id} of {arn} not found")))
}

/// `Active` as the service reports a registered device it can reach.
fn state() -> Value {
    json!({"Status": "ACTIVE"})
}

pub fn register(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let arn = input.req("AppInstanceUserArn")?;
    let attributes = input.get("EndpointAttributes").cloned().unwrap_or_default();
    let kind = input.req("Type")?.to_owned();
    let at = now();
    let endpoint = Endpoint {
        name: input.str("Name").map(str::to_owned),
        kind,
        resource_arn: input.req("ResourceArn")?.to_owned(),
        attributes,
        allow_messages: input.str("AllowMessages").unwrap_or("ALL").to_owned(),
        created: at,
        updated: at,
    };
    let id = with_user(store, arn, |user| {
        let token = endpoint.attributes.get("DeviceToken");
        if user
            .endpoints
            .values()
            .any(|e| e.kind == endpoint.kind && e.attributes.get("DeviceToken") == token)
        {
            return Err(ApiError::conflict(format!(
                "EndpointAttributes.DeviceToken: this {} device is already registered for {arn}",
                endpoint.kind
            )));
        }
        if user.endpoints.len() >= MAX_ENDPOINTS_PER_USER {
            return Err(ApiError::limit(format!(
                "{arn} already has {MAX_ENDPOINTS_PER_USER} endpoints; deregister one first"
            )));
        }
        let id = random_uuid();
        user.endpoints.insert(id.clone(), endpoint);
        Ok(id)
    })?;
    Ok(Reply::body(
        json!({"AppInstanceUserArn": arn, "EndpointId": id}),
    ))
}

pub fn describe(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let arn = input.req("AppInstanceUserArn")?;
    let id = input.req("EndpointId")?;
    let body = with_user(store, arn, |user| {
        let e = endpoint(user, id)?;
        Ok(json!({"AppInstanceUserEndpoint": {
            "AppInstanceUserArn": arn, "EndpointId": id, "Name": e.name, "Type": e.kind,
            "ResourceArn": e.resource_arn, "EndpointAttributes": e.attributes,
            "AllowMessages": e.allow_messages, "EndpointState": state(),
            "CreatedTimestamp": e.created, "LastUpdatedTimestamp": e.updated,
        }}))
    })?;
    Ok(Reply::body(body))
}

pub fn update(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let arn = input.req("AppInstanceUserArn")?;
    let id = input.req("EndpointId")?;
    with_user(store, arn, |user| {
        let e = endpoint(user, id)?;
        if let Some(name) = input.str("Name") {
            e.name = Some(name.to_owned());
        }
        if let Some(allow) = input.str("AllowMessages") {
            e.allow_messages = allow.to_owned();
        }
        e.updated = now();
        Ok(())
    })?;
    Ok(Reply::body(
        json!({"AppInstanceUserArn": arn, "EndpointId": id}),
    ))
}

pub fn deregister(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let arn = input.req("AppInstanceUserArn")?;
    let id = input.req("EndpointId")?;
    with_user(store, arn, |user| {
        endpoint(user, id)?;
        user.endpoints.remove(id);
        Ok(())
    })?;
    Ok(Reply::empty())
}

pub fn list(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let arn = input.req("AppInstanceUserArn")?;
    let items = with_user(store, arn, |user| {
        Ok(user
            .endpoints
            .iter()
            .map(|(id, e)| {
                let summary = json!({"AppInstanceUserArn": arn, "EndpointId": id,
                    "Name": e.name, "Type": e.kind, "AllowMessages": e.allow_messages,
                    "EndpointState": state()});
                (id.clone(), summary)
            })
            .collect())
    })?;
    let (items, token) = page(items, input)?;
    Ok(Reply::body(
        json!({"AppInstanceUserEndpoints": items, "NextToken": token}),
    ))
}
