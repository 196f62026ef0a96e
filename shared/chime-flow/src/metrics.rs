//! Metrics as CloudWatch's Embedded Metric Format: one JSON log line per handled event, which
//! CloudWatch Logs turns into metrics with no API call and no extra latency. The line carries ids'
//! labels and numbers only — the function, the decision, the rule's category, the callback's
//! outcome, fallbacks, redaction counts by kind, timings — never message content.
//!
//! Format: <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>
//! (`_aws.Timestamp`, `_aws.CloudWatchMetrics[]` of `{Namespace, Dimensions, Metrics}`, each metric
//! and dimension a member of the root object). `check_line` (feature `test-support`) holds a line to that specification.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

/// The metrics' CloudWatch namespace (the template's alarms and dashboard read it).
pub const NAMESPACE: &str = "ChimeFlowKit";

/// What one handled event measured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventMetrics {
    /// The Lambda function (`AWS_LAMBDA_FUNCTION_NAME`), or the stage when run elsewhere.
    pub function: String,
    /// `pass`, `update`, `deny`, or `none` for a repeat skipped before deciding.
    pub decision: String,
    /// The deny rule's category (`slur` of `moderation/slur:en-3`), `none` otherwise.
    pub rule_category: String,
    /// Why the failure policy decided (`stage-error`…), `none` when the stage did.
    pub fallback: String,
    /// `sent`, `already-handled`, `duplicate-skipped` or `failed`.
    pub callback_outcome: String,
    /// Redactions by kind (`email` → 2), from the stage's own counts (`Edits::redacted`).
    pub redactions: BTreeMap<String, u64>,
    /// The stage's time, in microseconds.
    pub decide_us: u64,
    /// The callback's time, in milliseconds.
    pub callback_ms: u64,
    /// Callback attempts made.
    pub callback_attempts: u32,
    /// 1 on the first event of a process (a cold start), else 0.
    pub cold_start: bool,
}

impl EventMetrics {
    /// The deny rule's category: the text before `:` of the rule id's last `/`-part
    /// (`moderation/slur:en-3` → `slur`, `failure-policy` → `failure-policy`).
    pub fn category_of(rule_id: Option<&str>) -> String {
        match rule_id {
            None => "none".to_owned(),
            Some(rule) => {
                let last = rule.rsplit('/').next().unwrap_or(rule);
                last.split(':').next().unwrap_or(last).to_owned()
            }
        }
    }

    /// The EMF log line, stamped now.
    pub fn line(&self) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        self.line_at(now).to_string()
    }

    /// The EMF object stamped `timestamp_ms`.
    pub fn line_at(&self, timestamp_ms: u64) -> Value {
        let mut root = Map::new();
        let mut per_function = vec![
            metric("Events", "Count"),
            metric("DecideLatency", "Microseconds"),
            metric("CallbackLatency", "Milliseconds"),
            metric("CallbackAttempts", "Count"),
            metric("CallbackRetries", "Count"),
            metric("ColdStart", "Count"),
            metric("Fallbacks", "Count"),
            metric("Redactions", "Count"),
        ];
        let redacted: u64 = self.redactions.values().sum();
        for (name, value) in [
            ("Events", 1),
            ("DecideLatency", self.decide_us),
            ("CallbackLatency", self.callback_ms),
            ("CallbackAttempts", u64::from(self.callback_attempts)),
            (
                "CallbackRetries",
                u64::from(self.callback_attempts.saturating_sub(1)),
            ),
            ("ColdStart", u64::from(self.cold_start)),
            ("Fallbacks", u64::from(self.fallback != "none")),
            ("Redactions", redacted),
        ] {
            root.insert(name.into(), json!(value));
        }
        for (kind, count) in &self.redactions {
            let name = format!("Redactions.{kind}");
            per_function.push(metric(&name, "Count"));
            root.insert(name, json!(count));
        }
        for (name, value) in [
            ("Function", &self.function),
            ("Decision", &self.decision),
            ("RuleCategory", &self.rule_category),
            ("Fallback", &self.fallback),
            ("CallbackOutcome", &self.callback_outcome),
        ] {
            root.insert(name.into(), json!(value));
        }
        // Each directive's dimension sets share its metrics: one directive per breakdown.
        let directives = json!([
            {"Namespace": NAMESPACE, "Dimensions": [["Function"]], "Metrics": per_function},
            {"Namespace": NAMESPACE, "Dimensions": [["Function", "Decision"], ["Function", "Decision", "RuleCategory"]],
             "Metrics": [metric("Decisions", "Count")]},
            {"Namespace": NAMESPACE, "Dimensions": [["Function", "CallbackOutcome"]],
             "Metrics": [metric("Callbacks", "Count")]},
            {"Namespace": NAMESPACE, "Dimensions": [["Function", "Fallback"]],
             "Metrics": [metric("FallbacksByReason", "Count")]},
        ]);
        root.insert("Decisions".into(), json!(1));
        root.insert("Callbacks".into(), json!(1));
        root.insert(
            "FallbacksByReason".into(),
            json!(u64::from(self.fallback != "none")),
        );
        root.insert(
            "_aws".into(),
            json!({"Timestamp": timestamp_ms, "CloudWatchMetrics": directives}),
        );
        Value::Object(root)
    }
}

fn metric(name: &str, unit: &str) -> Value {
    json!({"Name": name, "Unit": unit})
}

/// The units the specification allows.
#[cfg(any(test, feature = "test-support"))]
const UNITS: &[&str] = &[
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

/// Holds one log line to the Embedded Metric Format specification: the root is an object with
/// `_aws.Timestamp` (epoch milliseconds) and `_aws.CloudWatchMetrics` (1+ directives, each a
/// `Namespace` of 1–255 characters, `Dimensions` as arrays of at most 30 names each referring to a
/// string member of the root, and 1–100 `Metrics` whose `Name` (1–255 characters, unique) refers to
/// a numeric member of the root (or an array of at most 100 numbers) and whose `Unit`, if any, is
/// one the specification lists, `StorageResolution` 1 or 60). Errors name what is wrong.
#[cfg(any(test, feature = "test-support"))]
pub fn check_line(line: &str) -> Result<(), String> {
    let root: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let root = root.as_object().ok_or("the root is not an object")?;
    let aws = root
        .get("_aws")
        .and_then(Value::as_object)
        .ok_or("_aws: missing or not an object")?;
    match aws.get("Timestamp") {
        Some(Value::Number(n)) if n.is_u64() => {}
        _ => return Err("_aws.Timestamp: not a whole number of epoch milliseconds".into()),
    }
    let directives = aws
        .get("CloudWatchMetrics")
        .and_then(Value::as_array)
        .filter(|d| !d.is_empty())
        .ok_or("_aws.CloudWatchMetrics: missing or empty")?;
    for (i, directive) in directives.iter().enumerate() {
        let at = format!("_aws.CloudWatchMetrics[{i}]");
        let namespace = directive["Namespace"]
            .as_str()
            .ok_or(format!("{at}.Namespace: missing"))?;
        if namespace.is_empty() || namespace.chars().count() > 255 {
            return Err(format!("{at}.Namespace: must be 1–255 characters"));
        }
        let dimension_sets = directive["Dimensions"]
            .as_array()
            .ok_or(format!("{at}.Dimensions: missing"))?;
        for set in dimension_sets {
            let names = set
                .as_array()
                .ok_or(format!("{at}.Dimensions: a set is not an array"))?;
            if names.len() > 30 {
                return Err(format!("{at}.Dimensions: more than 30 in a set"));
            }
            for name in names {
                let name = name
                    .as_str()
                    .ok_or(format!("{at}.Dimensions: a name is not text"))?;
                if !root.get(name).is_some_and(Value::is_string) {
                    return Err(format!(
                        "{at}: dimension {name} is not a string member of the root"
                    ));
                }
            }
        }
        let metrics = directive["Metrics"]
            .as_array()
            .filter(|m| !m.is_empty() && m.len() <= 100)
            .ok_or(format!("{at}.Metrics: must have 1–100 metrics"))?;
        let mut seen = std::collections::BTreeSet::new();
        for metric in metrics {
            let name = metric["Name"]
                .as_str()
                .filter(|n| !n.is_empty() && n.chars().count() <= 255)
                .ok_or(format!("{at}.Metrics: a Name is missing or over 255"))?;
            if !seen.insert(name) {
                return Err(format!("{at}: metric {name} twice"));
            }
            if let Some(unit) = metric.get("Unit")
                && !unit.as_str().is_some_and(|u| UNITS.contains(&u))
            {
                return Err(format!("{at}: metric {name} has unit {unit}"));
            }
            if let Some(resolution) = metric.get("StorageResolution")
                && !matches!(resolution.as_u64(), Some(1 | 60))
            {
                return Err(format!("{at}: metric {name}: StorageResolution is 1 or 60"));
            }
            let numeric = match root.get(name) {
                Some(Value::Number(_)) => true,
                Some(Value::Array(values)) => {
                    values.len() <= 100 && values.iter().all(Value::is_number)
                }
                _ => false,
            };
            if !numeric {
                return Err(format!(
                    "{at}: metric {name} is not a number (or ≤100 numbers) in the root"
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> EventMetrics {
        EventMetrics {
            function: "flow-pipeline".into(),
            decision: "update".into(),
            rule_category: EventMetrics::category_of(None),
            fallback: "none".into(),
            callback_outcome: "sent".into(),
            redactions: BTreeMap::from([("email".to_owned(), 1), ("phone".to_owned(), 2)]),
            decide_us: 42,
            callback_ms: 7,
            callback_attempts: 2,
            cold_start: true,
        }
    }

    #[test]
    fn a_line_meets_the_specification() {
        let line = sample().line();
        assert_eq!(check_line(&line), Ok(()), "{line}");
        let value: Value = serde_json::from_str(&line).unwrap_or_default();
        assert_eq!(value["Redactions"], 3);
        assert_eq!(value["Redactions.phone"], 2);
        assert_eq!(value["CallbackRetries"], 1);
        assert_eq!(value["ColdStart"], 1);
    }

    #[test]
    fn the_checker_refuses_what_the_specification_refuses() {
        let good = sample().line_at(1);
        let broken = |edit: &dyn Fn(&mut Value)| {
            let mut line = good.clone();
            edit(&mut line);
            check_line(&line.to_string())
        };
        assert!(broken(&|v| v["_aws"]["Timestamp"] = json!("now")).is_err());
        assert!(broken(&|v| v["Function"] = json!(3)).is_err());
        assert!(broken(&|v| v["Events"] = json!("one")).is_err());
        assert!(
            broken(&|v| v["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"] = json!("Hz"))
                .is_err()
        );
        assert!(broken(&|v| v["_aws"]["CloudWatchMetrics"][0]["Namespace"] = json!("")).is_err());
        assert!(broken(&|v| v["_aws"]["CloudWatchMetrics"] = json!([])).is_err());
        assert!(check_line("not json").is_err());
    }

    #[test]
    fn categories_come_from_rule_ids_only() {
        assert_eq!(
            EventMetrics::category_of(Some("moderation/slur:en-3")),
            "slur"
        );
        assert_eq!(
            EventMetrics::category_of(Some("failure-policy")),
            "failure-policy"
        );
        assert_eq!(EventMetrics::category_of(None), "none");
    }
}
