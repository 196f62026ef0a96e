//! AppInstanceBots: identities backed by an Amazon Lex bot. A bot acts like a user wherever the
//! service lets it (a bearer, a channel member or moderator); its Lex configuration is stored and
//! described back, not run (chime-local has no Lex).

use serde_json::json;

use super::page::page;
use super::{Input, Reply, tags};
use crate::error::ApiError;
use crate::state::{Bot, Store, lock, now, random_uuid};

pub fn create_bot(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let instance_arn = input.req("AppInstanceArn")?;
    let instance = store.instance(instance_arn)?;
    let mut instance = lock(&instance);
    if instance.arn != instance_arn {
        return Err(ApiError::not_found(format!(
            "app instance {instance_arn} not found"
        )));
    }
    let arn = format!("{instance_arn}/bot/{}", random_uuid());
    let at = now();
    let bot = Bot {
        arn: arn.clone(),
        name: input.str("Name").unwrap_or_default().to_owned(),
        metadata: input.str("Metadata").map(str::to_owned),
        configuration: input.get("Configuration").cloned().unwrap_or_default(),
        created: at,
        updated: at,
    };
    instance.bots.insert(arn.clone(), bot);
    if let Err(error) = tags::apply(&mut instance, &arn, input.get("Tags")) {
        instance.bots.remove(&arn);
        return Err(error);
    }
    Ok(Reply::body(json!({ "AppInstanceBotArn": arn })))
}

fn with_bot<T>(store: &Store, arn: &str, f: impl FnOnce(&mut Bot) -> T) -> Result<T, ApiError> {
    let instance = store.instance(arn)?;
    let mut instance = lock(&instance);
    let bot = instance
        .bots
        .get_mut(arn)
        .ok_or_else(|| ApiError::not_found(format!("app instance bot {arn} not found")))?;
    Ok(f(bot))
}

pub fn describe_bot(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let arn = input.req("AppInstanceBotArn")?;
    let bot = with_bot(store, arn, |b| b.clone())?;
    Ok(Reply::body(json!({"AppInstanceBot": {
        "AppInstanceBotArn": bot.arn, "Name": bot.name, "Metadata": bot.metadata,
        "Configuration": bot.configuration,
        "CreatedTimestamp": bot.created, "LastUpdatedTimestamp": bot.updated,
    }})))
}

pub fn update_bot(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let arn = input.req("AppInstanceBotArn")?;
    let name = input.req("Name")?.to_owned();
    let metadata = input.req("Metadata")?.to_owned();
    let configuration = input.get("Configuration").cloned();
    with_bot(store, arn, |b| {
        b.name = name;
        b.metadata = Some(metadata);
        if let Some(configuration) = configuration {
            b.configuration = configuration;
        }
        b.updated = now();
    })?;
    Ok(Reply::body(json!({ "AppInstanceBotArn": arn })))
}

pub fn delete_bot(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let arn = input.req("AppInstanceBotArn")?;
    let instance = store.instance(arn)?;
    let mut instance = lock(&instance);
    if instance.bots.remove(arn).is_none() {
        return Err(ApiError::not_found(format!(
            "app instance bot {arn} not found"
        )));
    }
    instance.forget_identity(arn);
    Ok(Reply::empty())
}

pub fn list_bots(store: &Store, input: &Input) -> Result<Reply, ApiError> {
    let instance_arn = input.req("AppInstanceArn")?;
    let instance = store.instance(instance_arn)?;
    let items = lock(&instance)
        .bots
        .values()
        .map(|b| {
            let summary =
                json!({"AppInstanceBotArn": b.arn, "Name": b.name, "Metadata": b.metadata});
            (b.arn.clone(), summary)
        })
        .collect();
    let (items, token) = page(items, input)?;
    Ok(Reply::body(json!({"AppInstanceArn": instance_arn,
        "AppInstanceBots": items, "NextToken": token})))
}
