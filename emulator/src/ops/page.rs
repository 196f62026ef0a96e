//! `NextToken` pagination shared by every list: items in a stable key order, a page of `MaxResults`
//! (1–50, default 50), and an opaque token that resumes after the last key returned, so a page never
//! repeats or skips an item when others are added or removed in between.

use std::collections::BTreeMap;
use std::ops::Bound;

use super::Input;
use crate::error::ApiError;

const DEFAULT_PAGE: usize = 50;

/// One page of `items` (key, item), which must already be in key order.
pub fn page<T>(
    items: Vec<(String, T)>,
    input: &Input,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let size = page_size(input);
    let after = resume_after(input)?;
    let mut rest = items
        .into_iter()
        .filter(|(key, _)| after.as_ref().is_none_or(|after| key > after))
        .peekable();
    let mut out = Vec::with_capacity(size);
    let mut last = None;
    while out.len() < size {
        match rest.next() {
            Some((key, item)) => {
                last = Some(key);
                out.push(item);
            }
            None => break,
        }
    }
    let token = match (rest.peek(), last) {
        (Some(_), Some(last)) => Some(encode(&last)),
        _ => None,
    };
    Ok((out, token))
}

/// One page of a map's entries in key order, resuming after the token's key by a seek, not a scan:
/// `item` turns an entry into its answer or skips it (`None`). Costs the page and the entries it
/// skips, not the size of the map (a 100,000-member channel lists in pages of the same cost).
pub fn page_map<V, T>(
    map: &BTreeMap<String, V>,
    input: &Input,
    mut item: impl FnMut(&String, &V) -> Option<T>,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let size = page_size(input);
    let after = resume_after(input)?;
    let entries = match &after {
        Some(after) => map.range::<str, _>((Bound::Excluded(after.as_str()), Bound::Unbounded)),
        None => map.range::<str, _>(..),
    };
    let mut rest = entries.filter_map(|(key, value)| item(key, value).map(|answer| (key, answer)));
    let mut out = Vec::with_capacity(size);
    let mut last = None;
    for (key, answer) in rest.by_ref() {
        out.push(answer);
        last = Some(key);
        if out.len() == size {
            break;
        }
    }
    let token = match last {
        Some(last) if out.len() == size && rest.next().is_some() => Some(encode(last)),
        _ => None,
    };
    Ok((out, token))
}

/// `MaxResults`, 1–50, default 50.
pub fn page_size(input: &Input) -> usize {
    input
        .int("MaxResults")
        .map_or(DEFAULT_PAGE, |n| n.clamp(1, 50) as usize)
}

/// The key a `NextToken` resumes after, if one was given.
pub fn resume_after(input: &Input) -> Result<Option<String>, ApiError> {
    match input.str("NextToken") {
        Some(token) => decode(token)
            .map(Some)
            .ok_or_else(|| ApiError::bad_request("NextToken: not a token this list returned")),
        None => Ok(None),
    }
}

/// The token that resumes after `key`.
pub fn encode(key: &str) -> String {
    key.bytes().map(|b| format!("{b:02x}")).collect()
}

fn decode(token: &str) -> Option<String> {
    if !token.len().is_multiple_of(2) {
        return None;
    }
    let bytes = (0..token.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(token.get(i..i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, json};

    fn input(max: i64, token: Option<&str>) -> Input {
        let mut map = Map::new();
        map.insert("MaxResults".into(), json!(max));
        if let Some(token) = token {
            map.insert("NextToken".into(), json!(token));
        }
        Input(map)
    }

    #[test]
    fn pages_resume_after_the_last_key() {
        let items: Vec<(String, u32)> = (0..7).map(|i| (format!("k{i}"), i)).collect();
        let (first, token) = page(items.clone(), &input(3, None)).unwrap();
        assert_eq!(first, vec![0, 1, 2]);
        let (second, token) = page(items.clone(), &input(3, token.as_deref())).unwrap();
        assert_eq!(second, vec![3, 4, 5]);
        let (third, token) = page(items.clone(), &input(3, token.as_deref())).unwrap();
        assert_eq!((third, token), (vec![6], None));
        let (exact, token) = page(items[..3].to_vec(), &input(3, None)).unwrap();
        assert_eq!((exact.len(), token), (3, None));
        let err = page(items, &input(3, Some("zz"))).unwrap_err();
        assert_eq!(err.message, "NextToken: not a token this list returned");
    }

    #[test]
    fn map_pages_seek_to_the_token_and_build_only_what_they_return() {
        let map: BTreeMap<String, u32> = (0..100_000).map(|i| (format!("k{i:06}"), i)).collect();
        let built = std::cell::Cell::new(0);
        let odd = |_: &String, v: &u32| {
            built.set(built.get() + 1);
            (v % 2 == 1).then_some(*v)
        };
        let (first, token) = page_map(&map, &input(3, None), odd).unwrap();
        assert_eq!(first, vec![1, 3, 5]);
        let (second, _) = page_map(&map, &input(3, token.as_deref()), odd).unwrap();
        assert_eq!(second, vec![7, 9, 11]);
        assert!(
            built.get() <= 16,
            "two pages looked at {} entries, not the map",
            built.get()
        );
        let last = format!("k{:06}", 99_996);
        let (tail, token) = page_map(&map, &input(3, Some(&encode(&last))), odd).unwrap();
        assert_eq!((tail, token), (vec![99_997, 99_999], None));
    }
}
