//! Lists beyond one service page: pages followed up to a caller's limit, and an elastic channel's
//! memberships or messages across every sub-channel.

use chime_api::{Operation, Service};
use serde_json::{Map, Value, json};

use super::{AdminApi, ErrorReply};
use crate::paging::{self, Cursor, Page, Walked};

impl AdminApi {
    /// Up to `limit` items of a list (the rest of one service page without a limit), from the
    /// caller's `NextToken`, with a `NextToken` exactly when items remain (see [`paging`]).
    pub(super) async fn pages(
        &self,
        op: &Operation,
        mut input: Map<String, Value>,
        limit: Option<usize>,
    ) -> Result<Value, ErrorReply> {
        let start = take_cursor(&mut input)?;
        let list = self.model.paged_list(op).unwrap_or_default().to_owned();
        let walked = paging::walk(start, limit, |token| {
            let mut page_input = input.clone();
            if let Some(token) = token {
                page_input.insert("NextToken".into(), json!(token));
            }
            let list = list.clone();
            async move { Ok::<_, ErrorReply>(page_of(self.once(op, &page_input).await?, &list)) }
        })
        .await?;
        Ok(answer(walked, &list))
    }

    /// An elastic channel's memberships or messages across every sub-channel (ListSubChannels,
    /// then the list in each, each item marked with its SubChannelId), up to `limit` items, with a
    /// `NextToken` that resumes across sub-channels.
    pub(super) async fn across_sub_channels(
        &self,
        op: &Operation,
        mut input: Map<String, Value>,
        limit: Option<usize>,
    ) -> Result<Value, ErrorReply> {
        let start = take_cursor(&mut input)?;
        if start.sub_channel.is_none() && start.token.is_some() {
            return Err(ErrorReply::invalid(
                "NextToken",
                "is not a token this API returned for a list across sub-channels",
            ));
        }
        let subs_op = self
            .model
            .operation(Service::Messaging, "ListSubChannels")
            .ok_or_else(|| {
                ErrorReply::new(500, "ModelError", "ListSubChannels is not in the model")
            })?;
        let mut subs_input = Map::new();
        for member in ["ChannelArn", "ChimeBearer"] {
            if let Some(value) = input.get(member) {
                subs_input.insert(member.into(), value.clone());
            }
        }
        let subs = self.pages(subs_op, subs_input, Some(usize::MAX)).await?;
        let sub_channels: Vec<String> = subs
            .get("SubChannels")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|sub| sub.get("SubChannelId").and_then(Value::as_str))
            .map(str::to_owned)
            .collect();
        let list = self.model.paged_list(op).unwrap_or_default().to_owned();
        let walked = paging::walk_across(&sub_channels, start, limit, |sub, token| {
            let mut page_input = input.clone();
            page_input.insert("SubChannelId".into(), json!(sub));
            if let Some(token) = token {
                page_input.insert("NextToken".into(), json!(token));
            }
            let list = list.clone();
            async move { Ok::<_, ErrorReply>(page_of(self.once(op, &page_input).await?, &list)) }
        })
        .await?
        .map_err(|problem| ErrorReply::invalid("NextToken", problem))?;
        let mut output =
            json!({"ChannelArn": input.get("ChannelArn"), list.as_str(): walked.items});
        if let Some(next) = walked.next {
            output["NextToken"] = json!(next.encode());
        }
        Ok(output)
    }
}

/// A service answer as a page of `list`.
fn page_of(whole: Value, list: &str) -> Page {
    Page {
        items: whole
            .get(list)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        next: whole
            .get("NextToken")
            .and_then(Value::as_str)
            .map(str::to_owned),
        whole,
    }
}

/// The answer of a walk: the first page's other members, the gathered `list`, and the token.
fn answer(walked: Walked, list: &str) -> Value {
    let mut output = walked.first.unwrap_or_else(|| json!({}));
    if let Some(object) = output.as_object_mut() {
        object.remove("NextToken");
        object.insert(list.to_owned(), Value::Array(walked.items));
        if let Some(next) = walked.next {
            object.insert("NextToken".into(), json!(next.encode()));
        }
    }
    output
}

/// Takes the caller's `NextToken` out of `input` as where to start.
fn take_cursor(input: &mut Map<String, Value>) -> Result<Cursor, ErrorReply> {
    match input.remove("NextToken") {
        None | Some(Value::Null) => Ok(Cursor::default()),
        Some(Value::String(text)) => {
            Cursor::decode(&text).map_err(|problem| ErrorReply::invalid("NextToken", problem))
        }
        Some(_) => Err(ErrorReply::invalid("NextToken", "must be a string")),
    }
}
