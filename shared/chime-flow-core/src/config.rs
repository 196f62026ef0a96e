//! Typed configuration from environment variables. A bad value is a clear error at start naming the
//! variable — never a panic, never a silent default.

use std::collections::HashMap;
use std::fmt::Display;
use std::str::FromStr;
use std::time::Duration;

use crate::retry::RetryPolicy;

/// A setting that cannot be used, naming the variable and what is wrong (never its value).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var}: {problem}")]
pub struct ConfigError {
    /// The environment variable (or command-line option) at fault.
    pub var: String,
    /// What is wrong with it.
    pub problem: String,
}

impl ConfigError {
    /// A configuration error for `var`.
    pub fn new(var: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            var: var.into(),
            problem: problem.into(),
        }
    }
}

/// A snapshot of the variables a function reads: the process environment, or a map in tests.
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: HashMap<String, String>,
}

impl Env {
    /// The process's environment.
    pub fn from_process() -> Self {
        Self {
            vars: std::env::vars().collect(),
        }
    }

    /// An environment from name–value pairs: for tests, tools and chime-local.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        }
    }

    /// The value, `None` when unset or blank.
    pub fn get(&self, var: &str) -> Option<&str> {
        self.vars
            .get(var)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// Parses the value when set.
    pub fn parse<T>(&self, var: &str) -> Result<Option<T>, ConfigError>
    where
        T: FromStr,
        T::Err: Display,
    {
        self.get(var)
            .map(|raw| {
                raw.parse::<T>()
                    .map_err(|e| ConfigError::new(var, format!("invalid value {raw:?}: {e}")))
            })
            .transpose()
    }

    /// An integer within `[min, max]`, or `default` when unset.
    pub fn int_in(
        &self,
        var: &str,
        default: u64,
        (min, max): (u64, u64),
    ) -> Result<u64, ConfigError> {
        let value = self.parse::<u64>(var)?.unwrap_or(default);
        if value < min || value > max {
            return Err(ConfigError::new(
                var,
                format!("{value} is out of range {min}–{max}"),
            ));
        }
        Ok(value)
    }

    /// A duration in milliseconds within `[min, max]` ms.
    pub fn millis_in(
        &self,
        var: &str,
        default: Duration,
        range: (u64, u64),
    ) -> Result<Duration, ConfigError> {
        let default_ms = u64::try_from(default.as_millis()).unwrap_or(u64::MAX);
        Ok(Duration::from_millis(self.int_in(var, default_ms, range)?))
    }

    /// A boolean: `true/false`, `1/0`, `yes/no`, `on/off`.
    pub fn flag(&self, var: &str, default: bool) -> Result<bool, ConfigError> {
        match self.get(var).map(str::to_ascii_lowercase).as_deref() {
            None => Ok(default),
            Some("true" | "1" | "yes" | "on") => Ok(true),
            Some("false" | "0" | "no" | "off") => Ok(false),
            Some(other) => Err(ConfigError::new(
                var,
                format!("invalid value {other:?}: expected true or false"),
            )),
        }
    }

    /// One of named options (case-insensitive), or `default` when unset.
    pub fn choice<T: Copy>(
        &self,
        var: &str,
        default: T,
        options: &[(&str, T)],
    ) -> Result<T, ConfigError> {
        let Some(raw) = self.get(var) else {
            return Ok(default);
        };
        options
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(raw))
            .map(|&(_, value)| value)
            .ok_or_else(|| {
                let names: Vec<&str> = options.iter().map(|(name, _)| *name).collect();
                ConfigError::new(
                    var,
                    format!(
                        "invalid value {raw:?}: expected one of {}",
                        names.join(", ")
                    ),
                )
            })
    }

    /// A list split on newlines and commas, entries trimmed, blanks and `#` comment lines dropped.
    pub fn list(&self, var: &str) -> Vec<String> {
        self.get(var).map(split_list).unwrap_or_default()
    }
}

/// Splits a list written inline or in a file: one entry per line or comma-separated, `#` starts a comment line.
pub fn split_list(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.starts_with('#'))
        .flat_map(|line| line.split(','))
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(str::to_owned)
        .collect()
}

/// What a processor does with a message it could not decide about (stage error or panic, unreadable
/// body, a result over the limits): the message must still be called back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailurePolicy {
    /// Keep the message unchanged.
    Pass,
    /// Drop it.
    Deny,
}

impl FromStr for FailurePolicy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "pass" => Ok(Self::Pass),
            "deny" => Ok(Self::Deny),
            _ => Err("expected pass or deny".to_owned()),
        }
    }
}

impl FailurePolicy {
    /// Its configuration spelling: `pass` or `deny`.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Deny => "deny",
        }
    }
}

/// What every processor reads, whatever its stage.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessorConfig {
    /// `FAILURE_POLICY`: `pass` or `deny`; each function brings its own safe default.
    pub failure_policy: FailurePolicy,
    /// `CALLBACK_MAX_ATTEMPTS` (1–20), `CALLBACK_BASE_DELAY_MS`, `CALLBACK_MAX_DELAY_MS`, `CALLBACK_BUDGET_MS`.
    pub retry: RetryPolicy,
    /// `CALLBACK_ATTEMPT_TIMEOUT_MS`: one attempt's timeout.
    pub attempt_timeout: Duration,
    /// `IDEMPOTENCY_CACHE_SIZE`: CallbackIds remembered per container to skip repeat deliveries (0 = off).
    pub idempotency_cache_size: usize,
    /// `STAGE_TIMEOUT_MS` (default 10,000): the most an awaiting stage may take on one event.
    pub stage_timeout: Duration,
    /// `CALLBACK_RESERVE_MS` (default 5,000): time kept for the callback before Lambda's deadline;
    /// an awaiting stage's budget is the time to the deadline less this, at most `stage_timeout`.
    pub callback_reserve: Duration,
    /// `EMF_METRICS` (default: on in Lambda, where `AWS_LAMBDA_FUNCTION_NAME` is set): one Embedded
    /// Metric Format line per event, dimensioned by this function name.
    pub metrics_function: Option<String>,
}

impl ProcessorConfig {
    /// Reads the runtime's settings; `default_policy` is the stage's own (from its catalog entry) unless
    /// `FAILURE_POLICY` says otherwise.
    pub fn from_env(env: &Env, default_policy: FailurePolicy) -> Result<Self, ConfigError> {
        let defaults = RetryPolicy::default();
        let retry = RetryPolicy {
            max_attempts: env.int_in(
                "CALLBACK_MAX_ATTEMPTS",
                u64::from(defaults.max_attempts),
                (1, 20),
            )? as u32,
            base_delay: env.millis_in(
                "CALLBACK_BASE_DELAY_MS",
                defaults.base_delay,
                (1, 60_000),
            )?,
            max_delay: env.millis_in("CALLBACK_MAX_DELAY_MS", defaults.max_delay, (1, 300_000))?,
            budget: env.millis_in("CALLBACK_BUDGET_MS", defaults.budget, (1, 900_000))?,
        };
        if retry.max_delay < retry.base_delay {
            return Err(ConfigError::new(
                "CALLBACK_MAX_DELAY_MS",
                "must not be less than CALLBACK_BASE_DELAY_MS",
            ));
        }
        Ok(Self {
            failure_policy: env.parse("FAILURE_POLICY")?.unwrap_or(default_policy),
            retry,
            attempt_timeout: env.millis_in(
                "CALLBACK_ATTEMPT_TIMEOUT_MS",
                Duration::from_secs(5),
                (10, 120_000),
            )?,
            idempotency_cache_size: env.int_in("IDEMPOTENCY_CACHE_SIZE", 4096, (0, 1_000_000))?
                as usize,
            stage_timeout: env.millis_in(
                "STAGE_TIMEOUT_MS",
                Duration::from_secs(10),
                (1, 900_000),
            )?,
            callback_reserve: env.millis_in(
                "CALLBACK_RESERVE_MS",
                Duration::from_secs(5),
                (0, 900_000),
            )?,
            metrics_function: {
                let function = env.get("AWS_LAMBDA_FUNCTION_NAME");
                env.flag("EMF_METRICS", function.is_some())?
                    .then(|| function.unwrap_or("processor").to_owned())
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let config = ProcessorConfig::from_env(&Env::default(), FailurePolicy::Deny).unwrap();
        assert_eq!(config.failure_policy, FailurePolicy::Deny);
        assert_eq!(config.retry, RetryPolicy::default());
        let env = Env::from_pairs([("FAILURE_POLICY", "PASS"), ("CALLBACK_MAX_ATTEMPTS", "2")]);
        let config = ProcessorConfig::from_env(&env, FailurePolicy::Deny).unwrap();
        assert_eq!(config.failure_policy, FailurePolicy::Pass);
        assert_eq!(config.retry.max_attempts, 2);
    }

    #[test]
    fn bad_values_name_the_variable() {
        let err = ProcessorConfig::from_env(
            &Env::from_pairs([("FAILURE_POLICY", "maybe")]),
            FailurePolicy::Pass,
        );
        assert_eq!(
            err.unwrap_err().to_string(),
            "FAILURE_POLICY: invalid value \"maybe\": expected pass or deny"
        );
        let err = ProcessorConfig::from_env(
            &Env::from_pairs([("CALLBACK_MAX_ATTEMPTS", "0")]),
            FailurePolicy::Pass,
        );
        assert_eq!(
            err.unwrap_err().to_string(),
            "CALLBACK_MAX_ATTEMPTS: 0 is out of range 1–20"
        );
        let err = ProcessorConfig::from_env(
            &Env::from_pairs([("CALLBACK_BUDGET_MS", "soon")]),
            FailurePolicy::Pass,
        );
        assert!(
            err.unwrap_err()
                .to_string()
                .starts_with("CALLBACK_BUDGET_MS: invalid value \"soon\"")
        );
    }

    #[test]
    fn lists_split_on_lines_and_commas() {
        assert_eq!(split_list("a, b\n# comment, x\n\nc"), vec!["a", "b", "c"]);
    }
}
