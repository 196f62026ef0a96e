//! Fault injection for tests: per operation (or `*` for all), a throttling rate (429), an error rate
//! (500), added latency, a rate of duplicate processor deliveries (the same CallbackId twice, as
//! Chime's at-least-once delivery does), and `reject_first`: the next N requests answer 400, then
//! the operation works again (a deterministic failure, e.g. of a processor's callback), and
//! `rate_limit_tps`, a quota: requests beyond that many per second answer 429. Rates are
//! probabilities in 0–1.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::error::{ApiError, Code};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FaultRule {
    pub throttle_rate: f64,
    pub error_rate: f64,
    pub latency_ms: u64,
    pub duplicate_rate: f64,
    pub reject_first: u64,
    /// Requests per second the operation accepts (a token bucket holding one second's worth);
    /// the rest answer 429, as a service quota does. 0 = unlimited.
    pub rate_limit_tps: f64,
}

/// Rules by operation name; `*` applies to operations without their own rule.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Faults(pub BTreeMap<String, FaultRule>);

/// What to do to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Injected {
    None,
    Throttle,
    Error,
    Reject,
}

impl Injected {
    /// The answer an injected fault gives instead of the operation's, as the service words it.
    pub fn refusal(self) -> Option<ApiError> {
        match self {
            Injected::None => None,
            Injected::Reject => Some(ApiError::bad_request("Rejected (injected fault)")),
            Injected::Throttle => Some(ApiError::new(
                Code::ThrottledClient,
                "Rate exceeded (injected fault)",
            )),
            Injected::Error => Some(ApiError::new(
                Code::ServiceFailure,
                "Service failure (injected fault)",
            )),
        }
    }
}

impl Faults {
    pub fn rule(&self, operation: &str) -> Option<&FaultRule> {
        self.0.get(operation).or_else(|| self.0.get("*"))
    }

    pub fn latency(&self, operation: &str) -> Option<Duration> {
        self.rule(operation)
            .filter(|r| r.latency_ms > 0)
            .map(|r| Duration::from_millis(r.latency_ms))
    }

    pub fn draw(&self, operation: &str) -> Injected {
        let Some(rule) = self.rule(operation) else {
            return Injected::None;
        };
        if chance(rule.throttle_rate) {
            Injected::Throttle
        } else if chance(rule.error_rate) {
            Injected::Error
        } else {
            Injected::None
        }
    }

    /// Takes one token from the operation's rate limit, if it has one: whether the request is over
    /// the quota. `buckets` keeps each operation's tokens and when they were last filled.
    pub fn over_quota(
        &self,
        operation: &str,
        buckets: &mut BTreeMap<String, (f64, Instant)>,
        now: Instant,
    ) -> bool {
        let Some(rate) = self
            .rule(operation)
            .map(|r| r.rate_limit_tps)
            .filter(|r| *r > 0.0)
        else {
            return false;
        };
        let (tokens, filled) = buckets.entry(operation.to_owned()).or_insert((rate, now));
        *tokens = (*tokens + now.duration_since(*filled).as_secs_f64() * rate).min(rate.max(1.0));
        *filled = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            false
        } else {
            true
        }
    }

    /// Counts one request against the operation's `reject_first`; whether it is to be rejected.
    pub fn take_rejection(&mut self, operation: &str) -> bool {
        let key = if self.0.contains_key(operation) {
            operation
        } else {
            "*"
        };
        match self.0.get_mut(key) {
            Some(rule) if rule.reject_first > 0 => {
                rule.reject_first -= 1;
                true
            }
            _ => false,
        }
    }

    /// The rate at which the operation's processor invocations are delivered twice.
    pub fn duplicate_rate(&self, operation: &str) -> f64 {
        self.rule(operation).map_or(0.0, |r| r.duplicate_rate)
    }

    /// Checks every rate is a probability and every quota a rate.
    pub fn check(&self) -> Result<(), String> {
        for (operation, rule) in &self.0 {
            if !(rule.rate_limit_tps.is_finite() && rule.rate_limit_tps >= 0.0) {
                return Err(format!(
                    "{operation}.rate_limit_tps: {} is not a rate (0 = unlimited)",
                    rule.rate_limit_tps
                ));
            }
            for (name, rate) in [
                ("throttle_rate", rule.throttle_rate),
                ("error_rate", rule.error_rate),
                ("duplicate_rate", rule.duplicate_rate),
            ] {
                if !(0.0..=1.0).contains(&rate) {
                    return Err(format!("{operation}.{name}: {rate} is not within 0–1"));
                }
            }
        }
        Ok(())
    }
}

/// The rules in force and the quotas' token buckets, as one running chime-local holds them.
#[derive(Debug, Default)]
pub struct FaultState {
    rules: Mutex<Faults>,
    /// Token buckets of the operations with a `rate_limit_tps`.
    quotas: Mutex<BTreeMap<String, (f64, Instant)>>,
}

/// What the rules do to one request: the fault drawn, the latency to add before answering, and
/// the rate at which each processor invocation it starts is delivered twice.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Drawn {
    pub injected: Injected,
    pub latency: Option<Duration>,
    pub duplicate_rate: f64,
}

impl Drawn {
    /// Whether one invocation is delivered twice (drawn per invocation).
    pub fn duplicate(&self) -> bool {
        chance(self.duplicate_rate)
    }
}

impl FaultState {
    pub fn new(rules: Faults) -> Self {
        Self {
            rules: Mutex::new(rules),
            quotas: Mutex::default(),
        }
    }

    /// Replaces the rules; a new quota starts with a full second's worth.
    pub fn set(&self, rules: Faults) -> Result<(), String> {
        rules.check()?;
        *self.rules.lock().unwrap_or_else(|e| e.into_inner()) = rules;
        self.quotas
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        Ok(())
    }

    /// The rules now (with what is left of each `reject_first`).
    pub fn snapshot(&self) -> Faults {
        self.rules.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Draws what happens to one request of `operation`: a `reject_first` before the quota, the
    /// quota before the random rates.
    pub fn draw(&self, operation: &str) -> Drawn {
        let (rejected, rules) = {
            let mut rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
            (rules.take_rejection(operation), rules.clone())
        };
        let over_quota = rules.over_quota(
            operation,
            &mut self.quotas.lock().unwrap_or_else(|e| e.into_inner()),
            Instant::now(),
        );
        let injected = if rejected {
            Injected::Reject
        } else if over_quota {
            Injected::Throttle
        } else {
            rules.draw(operation)
        };
        Drawn {
            injected,
            latency: rules.latency(operation),
            duplicate_rate: rules.duplicate_rate(operation),
        }
    }
}

fn chance(rate: f64) -> bool {
    rate >= 1.0 || (rate > 0.0 && fastrand::f64() < rate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_limit_admits_its_rate_and_refuses_the_rest() {
        let faults: Faults =
            serde_json::from_str(r#"{"BatchCreateChannelMembership": {"rate_limit_tps": 10}}"#)
                .unwrap();
        let mut buckets = BTreeMap::new();
        let start = std::time::Instant::now();
        let admitted = (0..25)
            .filter(|_| !faults.over_quota("BatchCreateChannelMembership", &mut buckets, start))
            .count();
        assert_eq!(admitted, 10, "one second's worth at once");
        let later = start + Duration::from_millis(500);
        let admitted = (0..25)
            .filter(|_| !faults.over_quota("BatchCreateChannelMembership", &mut buckets, later))
            .count();
        assert_eq!(admitted, 5, "then the rate");
        assert!(!faults.over_quota("ListChannels", &mut buckets, later));
    }

    #[test]
    fn rules_fall_back_to_star_and_certainties_are_certain() {
        let faults: Faults = serde_json::from_str(
            r#"{"*": {"latency_ms": 5}, "SendChannelMessage": {"throttle_rate": 1.0, "duplicate_rate": 1.0}}"#,
        )
        .unwrap();
        assert_eq!(faults.draw("SendChannelMessage"), Injected::Throttle);
        assert!(
            FaultState::new(faults.clone())
                .draw("SendChannelMessage")
                .duplicate()
        );
        assert_eq!(faults.draw("ListChannels"), Injected::None);
        assert_eq!(
            faults.latency("ListChannels"),
            Some(Duration::from_millis(5))
        );
        assert_eq!(faults.latency("SendChannelMessage"), None);
        let bad: Faults = serde_json::from_str(r#"{"*": {"error_rate": 2}}"#).unwrap();
        assert_eq!(bad.check(), Err("*.error_rate: 2 is not within 0–1".into()));
        let unknown = serde_json::from_str::<Faults>(r#"{"*": {"eror_rate": 1}}"#).unwrap_err();
        assert!(
            unknown.to_string().contains("unknown field `eror_rate`"),
            "{unknown}"
        );
    }
}
