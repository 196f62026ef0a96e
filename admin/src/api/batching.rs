//! Batches above the service's 100 members, and `ClientRequestToken` from a caller's key.

use chime_api::Operation;
use serde_json::{Map, Value, json};

use super::{AdminApi, BATCH_LIMIT, ErrorReply};

impl AdminApi {
    /// batch (of 100 members, counted from 1).
    pub(super) fn check_batches(
        &self,
        op: &Operation,
        parts: &[Map<String, Value>],
    ) -> Result<(), ErrorReply> {
        let Some(shape) = &op.input else {
            return Ok(());
        };
        for (index, part) in parts.iter().enumerate() {
            let value = Value::Object(part.clone());
            if let Err(e) =
                chime_api::validate::validate(&self.model, op.service, shape, &value, "")
            {
                let (field, problem) = e.field_and_problem();
                return Err(ErrorReply::invalid(
                    format!("{} (batch {})", field.unwrap_or_default(), index + 1),
                    problem,
                ));
            }
        }
        Ok(())
    }

    /// BatchCreateChannelMembership with any number of members: split into batches of 100, run a few
    /// at a time, members and per-member `Errors` merged; a batch that fails as a whole reports each
    /// of its members, so none is dropped.
    pub(super) async fn batch_memberships(
        &self,
        op: &Operation,
        input: Map<String, Value>,
    ) -> Result<Value, ErrorReply> {
        let members: Vec<Value> = input
            .get("MemberArns")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if members.is_empty() {
            return self.once(op, &input).await;
        }
        let chunks: Vec<Map<String, Value>> = members
            .chunks(BATCH_LIMIT)
            .enumerate()
            .map(|(index, chunk)| {
                let mut part = input.clone();
                part.insert("MemberArns".into(), Value::Array(chunk.to_vec()));
                if let Some(token) = input.get("ClientRequestToken").and_then(Value::as_str) {
                    part.insert(
                        "ClientRequestToken".into(),
                        json!(token_from_key(token, &index.to_string())),
                    );
                }
                part
            })
            .collect();
        // A batch the model refuses refuses the request: nothing is sent, none half-added.
        self.check_batches(op, &chunks)?;
        let mut added = Vec::new();
        let mut errors = Vec::new();
        let mut first = None;
        for wave in chunks.chunks(self.config.batch_concurrency) {
            let answers =
                futures_util::future::join_all(wave.iter().map(|part| self.once(op, part))).await;
            for (part, answer) in wave.iter().zip(answers) {
                match answer {
                    Ok(answer) => {
                        let batch = &answer["BatchChannelMemberships"];
                        added.extend(batch["Members"].as_array().cloned().unwrap_or_default());
                        errors.extend(answer["Errors"].as_array().cloned().unwrap_or_default());
                        first.get_or_insert(batch.clone());
                    }
                    Err(failure) => {
                        for member in part["MemberArns"].as_array().into_iter().flatten() {
                            errors.push(json!({"MemberArn": member, "ErrorCode": failure.error, "ErrorMessage": failure.message}));
                        }
                    }
                }
            }
        }
        let mut batch = first.unwrap_or_else(|| json!({"ChannelArn": input.get("ChannelArn")}));
        batch["Members"] = Value::Array(added);
        Ok(json!({"BatchChannelMemberships": batch, "Errors": errors}))
    }
}

/// A `ClientRequestToken` from a caller's key: the same key always gives the same token (so a retry
/// is recognised), within the model's pattern `[-_a-zA-Z0-9]{2,64}`.
pub fn token_from_key(scope: &str, key: &str) -> String {
    // FNV-1a, twice with different seeds: 32 hex digits, stable across processes and versions.
    let hash = |seed: u64| {
        let mut h = seed;
        for byte in scope.bytes().chain([0]).chain(key.bytes()) {
            h ^= u64::from(byte);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h
    };
    format!(
        "key-{:016x}{:016x}",
        hash(0xcbf2_9ce4_8422_2325),
        hash(0x6c62_272e_07bb_0142)
    )
}
