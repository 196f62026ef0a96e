//! Chime SDK Identity, enough to set up messaging: app instances, their users and their admins.

use serde_json::{Value, json};

use super::page::{page, page_map};
use super::{Input, Reply, identity, tags};
use crate::error::ApiError;
use crate::state::{Instance, Store, User, lock, now, random_uuid};

pub fn create_app_instance(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let arn = format!(
        "arn:aws:chime:{}:{}:app-instance/{}",
        store.region,
        store.account,
        random_uuid()
    );
    let at = now();
    let mut instance = Instance::new(
        &arn,
        input.req("Name")?,
        input.str("Metadata").map(str::to_owned),
        at,
    );
    tags::apply(&mut instance, &arn, input.get("Tags"))?;
    store.insert(instance);
    Ok(Reply::body(json!({ "AppInstanceArn": arn })))
}

pub fn describe_app_instance(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let arn = input.req("AppInstanceArn")?;
    let instance = store.instance(arn)?;
    let instance = lock(&instance);
    if instance.arn != arn {
        return Err(ApiError::not_found(format!("app instance {arn} not found")));
    }
    Ok(Reply::body(json!({"AppInstance": {
        "AppInstanceArn": instance.arn, "Name": instance.name, "Metadata": instance.metadata,
        "CreatedTimestamp": instance.created, "LastUpdatedTimestamp": instance.updated,
    }})))
}

pub fn update_app_instance(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let arn = input.req("AppInstanceArn")?;
    let instance = store.instance(arn)?;
    let mut instance = lock(&instance);
    instance.name = input.req("Name")?.to_owned();
    instance.metadata = input.str("Metadata").map(str::to_owned);
    instance.updated = now();
    Ok(Reply::body(json!({ "AppInstanceArn": arn })))
}

pub fn delete_app_instance(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let arn = input.req("AppInstanceArn")?;
    if !store.remove(arn) {
        return Err(ApiError::not_found(format!("app instance {arn} not found")));
    }
    Ok(Reply::empty())
}

pub fn list_app_instances(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let items = store
        .all()
        .iter()
        .map(|instance| {
            let instance = lock(instance);
            let summary = json!({"AppInstanceArn": instance.arn, "Name": instance.name,
                "Metadata": instance.metadata});
            (instance.arn.clone(), summary)
        })
        .collect();
    let (items, token) = page(items, input)?;
    Ok(Reply::body(
        json!({"AppInstances": items, "NextToken": token}),
    ))
}

pub fn create_user(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let instance_arn = input.req("AppInstanceArn")?;
    let user_id = input.req("AppInstanceUserId")?;
    let instance = store.instance(instance_arn)?;
    let mut instance = lock(&instance);
    let arn = format!("{}/user/{user_id}", instance.arn);
    if instance.users.contains_key(&arn) {
        return Err(ApiError::conflict(format!(
            "app instance user {user_id} already exists"
        )));
    }
    let at = now();
    let user = User {
        metadata: input.str("Metadata").map(str::to_owned),
        expiration: input.get("ExpirationSettings").cloned(),
        ..User::new(&arn, input.req("Name")?, at)
    };
    instance.users.insert(arn.clone(), user);
    if let Err(error) = tags::apply(&mut instance, &arn, input.get("Tags")) {
        instance.users.remove(&arn);
        return Err(error);
    }
    Ok(Reply::body(json!({ "AppInstanceUserArn": arn })))
}

fn with_user<T>(store: &Store, arn: &str, f: impl FnOnce(&mut User) -> T) -> Result<T, ApiError> {
    let instance = store.instance(arn)?;
    let mut instance = lock(&instance);
    let user = instance
        .users
        .get_mut(arn)
        .ok_or_else(|| ApiError::not_found(format!("app instance user {arn} not found")))?;
    Ok(f(user))
}

pub fn describe_user(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let arn = input.req("AppInstanceUserArn")?;
    let user = with_user(store, arn, |u| u.clone())?;
    Ok(Reply::body(json!({"AppInstanceUser": {
        "AppInstanceUserArn": user.arn, "Name": user.name, "Metadata": user.metadata,
        "ExpirationSettings": user.expiration,
        "CreatedTimestamp": user.created, "LastUpdatedTimestamp": user.updated,
    }})))
}

pub fn update_user(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let arn = input.req("AppInstanceUserArn")?;
    let name = input.req("Name")?.to_owned();
    let metadata = input.str("Metadata").map(str::to_owned);
    with_user(store, arn, |u| {
        u.name = name;
        u.metadata = metadata;
        u.updated = now();
    })?;
    Ok(Reply::body(json!({ "AppInstanceUserArn": arn })))
}

pub fn delete_user(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let arn = input.req("AppInstanceUserArn")?;
    let instance = store.instance(arn)?;
    let mut instance = lock(&instance);
    if instance.users.remove(arn).is_none() {
        return Err(ApiError::not_found(format!(
            "app instance user {arn} not found"
        )));
    }
    instance.forget_identity(arn);
    Ok(Reply::empty())
}

pub fn list_users(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let instance_arn = input.req("AppInstanceArn")?;
    let instance = store.instance(instance_arn)?;
    let instance = lock(&instance);
    let (items, token) = page_map(&instance.users, input, |_, u| {
        Some(json!({"AppInstanceUserArn": u.arn, "Name": u.name, "Metadata": u.metadata}))
    })?;
    Ok(Reply::body(json!({"AppInstanceArn": instance_arn,
        "AppInstanceUsers": items, "NextToken": token})))
}

fn admin_identity(instance: &Instance, arn: &str) -> Value {
    identity(arn, &instance.display_name(arn))
}

pub fn create_admin(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let instance_arn = input.req("AppInstanceArn")?;
    let admin = input.req("AppInstanceAdminArn")?;
    let instance = store.instance(instance_arn)?;
    let mut instance = lock(&instance);
    if !instance.users.contains_key(admin) {
        return Err(ApiError::not_found(format!(
            "app instance user {admin} not found in {instance_arn}"
        )));
    }
    if instance.admins.contains_key(admin) {
        return Err(ApiError::conflict(format!("{admin} is already an admin")));
    }
    instance.admins.insert(admin.to_owned(), now());
    Ok(Reply::body(json!({"AppInstanceArn": instance_arn,
        "AppInstanceAdmin": admin_identity(&instance, admin)})))
}

pub fn describe_admin(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let instance_arn = input.req("AppInstanceArn")?;
    let admin = input.req("AppInstanceAdminArn")?;
    let instance = store.instance(instance_arn)?;
    let instance = lock(&instance);
    let created = instance
        .admins
        .get(admin)
        .ok_or_else(|| ApiError::not_found(format!("{admin} is not an admin of {instance_arn}")))?;
    Ok(Reply::body(json!({"AppInstanceAdmin": {
        "Admin": admin_identity(&instance, admin), "AppInstanceArn": instance_arn,
        "CreatedTimestamp": created,
    }})))
}

pub fn delete_admin(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let instance_arn = input.req("AppInstanceArn")?;
    let admin = input.req("AppInstanceAdminArn")?;
    let instance = store.instance(instance_arn)?;
    if lock(&instance).admins.remove(admin).is_none() {
        return Err(ApiError::not_found(format!(
            "{admin} is not an admin of {instance_arn}"
        )));
    }
    Ok(Reply::empty())
}

pub fn list_admins(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let instance_arn = input.req("AppInstanceArn")?;
    let instance = store.instance(instance_arn)?;
    let instance = lock(&instance);
    let items = instance
        .admins
        .keys()
        .map(|arn| {
            (
                arn.clone(),
                json!({"Admin": admin_identity(&instance, arn)}),
            )
        })
        .collect();
    let (items, token) = page(items, input)?;
    Ok(Reply::body(json!({"AppInstanceArn": instance_arn,
        "AppInstanceAdmins": items, "NextToken": token})))
}
