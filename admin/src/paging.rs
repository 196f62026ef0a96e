//! Pages beyond the service's own: a caller's `MaxItems` (as the AWS CLI's `--max-items`) and lists
//! across an elastic channel's sub-channels. The contract: an answer carries a `NextToken` exactly
//! when items remain, and resuming with it continues where the answer stopped — also when `MaxItems`
//! cuts a service page in two, and across sub-channels.
//!
//! A token that only the service's own page boundary needs is the service's token, unchanged. Any
//! other position is our cursor: the service token of the page the answer stopped in, how many of
//! that page's items were already returned, and the sub-channel — written as
//! `chime-admin-1.` + base64url(JSON), so it passes through clients as the opaque string it is.

use std::future::Future;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

const PREFIX: &str = "chime-admin-1.";

/// Where a walk starts or stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// The sub-channel being walked (lists across sub-channels only).
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    pub sub_channel: Option<String>,
    /// The service's token of the page to fetch (`None`: the first page).
    #[serde(rename = "t", default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Items of that page already returned.
    #[serde(rename = "k", default)]
    pub skip: usize,
}

impl Cursor {
    /// The token a caller gets: the service's own when nothing else is needed.
    pub fn encode(&self) -> String {
        match (&self.sub_channel, &self.token, self.skip) {
            (None, Some(token), 0) => token.clone(),
            _ => {
                let json = serde_json::to_vec(self).unwrap_or_default();
                format!(
                    "{PREFIX}{}",
                    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
                )
            }
        }
    }

    /// A caller's token: ours decoded, anything else taken as the service's own.
    pub fn decode(text: &str) -> Result<Self, String> {
        let Some(ours) = text.strip_prefix(PREFIX) else {
            return Ok(Self {
                token: Some(text.to_owned()),
                ..Self::default()
            });
        };
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(ours)
            .ok()
            .and_then(|json| serde_json::from_slice(&json).ok())
            .ok_or_else(|| "is not a token this API returned".to_owned())
    }
}

/// Whether the input's `NextToken` is one of ours (a position only this layer can resume from).
pub fn is_ours(input: &serde_json::Map<String, Value>) -> bool {
    input
        .get("NextToken")
        .and_then(Value::as_str)
        .is_some_and(|token| token.starts_with(PREFIX))
}

/// One service page: its list's items, its `NextToken`, and the whole answer (for its other members).
#[derive(Debug, Clone)]
pub struct Page {
    pub items: Vec<Value>,
    pub next: Option<String>,
    pub whole: Value,
}

/// What a walk gathered, and where to resume (`None`: nothing remains).
#[derive(Debug, Clone, Default)]
pub struct Walked {
    pub items: Vec<Value>,
    /// The first page fetched, for the answer's other members.
    pub first: Option<Value>,
    pub next: Option<Cursor>,
}

/// Walks a list from `start`: up to `limit` items (`None`: what is left of the starting page, as the
/// service itself answers), fetching pages with `fetch(token)`.
pub async fn walk<F, Fut, E>(start: Cursor, limit: Option<usize>, mut fetch: F) -> Result<Walked, E>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<Page, E>>,
{
    let mut walked = Walked::default();
    let mut token = start.token;
    let mut skip = start.skip;
    loop {
        let page = fetch(token.clone()).await?;
        walked.first.get_or_insert_with(|| page.whole.clone());
        let already = skip.min(page.items.len());
        skip -= already;
        let room = limit.map_or(usize::MAX, |l| l - walked.items.len());
        let fresh = page.items.len() - already;
        let taken = fresh.min(room);
        walked
            .items
            .extend(page.items.into_iter().skip(already).take(taken));
        if taken < fresh {
            // Stopped inside this page: resume in it, past what was returned.
            walked.next = Some(Cursor {
                sub_channel: start.sub_channel,
                token,
                skip: already + taken,
            });
            return Ok(walked);
        }
        let next = match page.next {
            // A service that hands back the token it was given would loop forever.
            Some(next) if Some(&next) != token.as_ref() => next,
            _ => return Ok(walked),
        };
        let full = match limit {
            None => !walked.items.is_empty(),
            Some(limit) => walked.items.len() >= limit,
        };
        if full && skip == 0 {
            walked.next = Some(Cursor {
                sub_channel: start.sub_channel,
                token: Some(next),
                skip: 0,
            });
            return Ok(walked);
        }
        token = Some(next);
    }
}

/// Walks a list across sub-channels in the order given, each item marked with its `SubChannelId`:
/// up to `limit` items (`None`: all of them), from `start` (whose sub-channel must still exist).
pub async fn walk_across<F, Fut, E>(
    sub_channels: &[String],
    start: Cursor,
    limit: Option<usize>,
    mut fetch: F,
) -> Result<Result<Walked, String>, E>
where
    F: FnMut(String, Option<String>) -> Fut,
    Fut: Future<Output = Result<Page, E>>,
{
    let from = match &start.sub_channel {
        None => 0,
        Some(id) => match sub_channels.iter().position(|s| s == id) {
            Some(at) => at,
            None => {
                return Ok(Err(format!(
                    "sub-channel {id} of this token no longer exists (merged away); start again"
                )));
            }
        },
    };
    let mut walked = Walked::default();
    let mut cursor = start;
    for (at, sub) in sub_channels.iter().enumerate().skip(from) {
        cursor.sub_channel = Some(sub.clone());
        let room = limit.map(|l| l - walked.items.len());
        let mut in_sub = Box::pin(walk(cursor, Some(room.unwrap_or(usize::MAX)), |token| {
            fetch(sub.clone(), token)
        }))
        .await?;
        walked.first = walked.first.or(in_sub.first.take());
        walked
            .items
            .extend(in_sub.items.into_iter().map(|mut item| {
                if let Some(object) = item.as_object_mut() {
                    object.insert("SubChannelId".into(), Value::from(sub.as_str()));
                }
                item
            }));
        if let Some(next) = in_sub.next {
            walked.next = Some(next);
            return Ok(Ok(walked));
        }
        if limit.is_some_and(|l| walked.items.len() >= l) {
            walked.next = sub_channels.get(at + 1).map(|following| Cursor {
                sub_channel: Some(following.clone()),
                ..Cursor::default()
            });
            return Ok(Ok(walked));
        }
        cursor = Cursor::default();
    }
    Ok(Ok(walked))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A service that pages `items` by `page_size`, its token the next index as text.
    fn service(items: &[Value], page_size: usize, token: Option<String>) -> Page {
        let from: usize = token.as_deref().map_or(0, |t| t.parse().unwrap_or(0));
        let to = (from + page_size).min(items.len());
        Page {
            items: items[from..to].to_vec(),
            next: (to < items.len()).then(|| to.to_string()),
            whole: serde_json::json!({"ChannelArn": "c"}),
        }
    }

    fn run<T>(future: impl Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
            .block_on(future)
    }

    /// Walks to the end with the tokens, `limit` at a time; every item once, in order.
    fn walk_all(total: usize, page_size: usize, limit: usize) -> Vec<Value> {
        let items: Vec<Value> = (0..total).map(Value::from).collect();
        let mut seen = Vec::new();
        let mut cursor = Cursor::default();
        for _ in 0..=total + 1 {
            let walked = run(walk(cursor, Some(limit), |token| {
                std::future::ready(Ok::<_, ()>(service(&items, page_size, token)))
            }))
            .expect("pages");
            assert!(walked.items.len() <= limit);
            seen.extend(walked.items);
            match walked.next {
                // Through the caller's hands: the token as text.
                Some(next) => cursor = Cursor::decode(&next.encode()).expect("our token"),
                None => return seen,
            }
        }
        panic!("the walk did not end");
    }

    #[test]
    fn a_limit_on_a_page_boundary_still_says_that_items_remain() {
        let seen = walk_all(231, 50, 100);
        assert_eq!(seen, (0..231).map(Value::from).collect::<Vec<_>>());
    }

    #[test]
    fn service_tokens_pass_through_unchanged() {
        let cursor = Cursor {
            token: Some("AAEC".into()),
            ..Cursor::default()
        };
        assert_eq!(cursor.encode(), "AAEC");
        assert_eq!(Cursor::decode("AAEC"), Ok(cursor));
        assert!(Cursor::decode("chime-admin-1.!!").is_err());
    }

    proptest! {
        #[test]
        fn walking_with_the_tokens_yields_every_item_once(
            total in 0usize..300, page_size in 1usize..60, limit in 1usize..150,
        ) {
            let seen = walk_all(total, page_size, limit);
            prop_assert_eq!(seen, (0..total).map(Value::from).collect::<Vec<_>>());
        }

        #[test]
        fn walking_across_sub_channels_yields_every_item_once(
            sizes in proptest::collection::vec(0usize..70, 1..5),
            page_size in 1usize..30, limit in 1usize..100,
        ) {
            let subs: Vec<String> = (0..sizes.len()).map(|i| format!("{}", i + 1)).collect();
            let lists: Vec<Vec<Value>> = sizes
                .iter()
                .enumerate()
                .map(|(s, n)| (0..*n).map(|i| Value::from(format!("{s}-{i}"))).collect())
                .collect();
            let mut seen = Vec::new();
            let mut cursor = Cursor::default();
            let total: usize = sizes.iter().sum();
            for _ in 0..=total + sizes.len() + 1 {
                let walked = run(walk_across(&subs, cursor, Some(limit), |sub, token| {
                    let index: usize = sub.parse::<usize>().unwrap_or(1) - 1;
                    std::future::ready(Ok::<_, ()>(service(&lists[index], page_size, token)))
                }))
                .expect("pages")
                .expect("the sub-channels exist");
                prop_assert!(walked.items.len() <= limit);
                seen.extend(walked.items);
                match walked.next {
                    Some(next) => cursor = Cursor::decode(&next.encode()).expect("our token"),
                    None => break,
                }
            }
            let expected: Vec<Value> = lists.into_iter().flatten().collect();
            prop_assert_eq!(seen, expected);
        }
    }
}
