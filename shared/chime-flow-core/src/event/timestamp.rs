//! Event timestamps. The REST API writes epoch seconds as JSON numbers; the processor event's format is
//! undocumented and ISO-8601 strings are plausible, so both are accepted. Serialised as epoch seconds.

use std::fmt;

use serde::{Serialize, Serializer};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Numbers at or above this are taken as epoch milliseconds (seconds this large are after year 5000).
const MILLIS_THRESHOLD: f64 = 1.0e11;

/// A point in time with nanosecond precision, as epoch seconds and nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Whole seconds since the Unix epoch.
    pub seconds: i64,
    /// Nanoseconds past `seconds`.
    pub nanos: u32,
}

impl Timestamp {
    /// From epoch seconds (or milliseconds, for values that large), as Chime writes numbers.
    pub fn from_epoch_seconds(value: f64) -> Option<Self> {
        if !value.is_finite() {
            return None;
        }
        let value = if value.abs() >= MILLIS_THRESHOLD {
            value / 1000.0
        } else {
            value
        };
        let seconds = value.floor();
        let nanos = ((value - seconds) * 1e9).round().min(999_999_999.0) as u32;
        Some(Self {
            seconds: seconds as i64,
            nanos,
        })
    }

    /// Parses a decimal number exactly (`1732550400.123` keeps its 123 ms, which f64 would not);
    /// exponent notation goes through f64.
    pub fn from_decimal(text: &str) -> Option<Self> {
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let plain = !whole.is_empty()
            && whole
                .trim_start_matches('-')
                .chars()
                .all(|c| c.is_ascii_digit())
            && fraction.chars().all(|c| c.is_ascii_digit());
        if !plain || whole.starts_with('-') || whole.len() > 11 {
            return text.parse::<f64>().ok().and_then(Self::from_epoch_seconds);
        }
        let seconds: i64 = whole.parse().ok()?;
        let digits: String = fraction
            .chars()
            .chain(std::iter::repeat('0'))
            .take(9)
            .collect();
        let nanos: u32 = digits.parse().ok()?;
        Some(Self { seconds, nanos })
    }

    /// From an RFC 3339 text.
    pub fn from_rfc3339(text: &str) -> Option<Self> {
        let parsed = OffsetDateTime::parse(text, &Rfc3339).ok()?;
        Some(Self {
            seconds: parsed.unix_timestamp(),
            nanos: parsed.nanosecond(),
        })
    }

    /// Accepts a JSON number (epoch seconds, or milliseconds when implausibly large), an ISO-8601
    /// (RFC 3339) string, or a string holding an epoch number.
    pub fn from_json(value: &Value) -> Result<Self, String> {
        match value {
            Value::Number(n) => Self::from_decimal(&n.to_string())
                .ok_or_else(|| "number is not a valid epoch time".to_owned()),
            Value::String(s) => Self::from_rfc3339(s)
                .or_else(|| Self::from_decimal(s.trim()))
                .ok_or_else(|| "expected epoch seconds or an ISO-8601 date-time".to_owned()),
            _ => Err(format!(
                "expected a number or a string, found {}",
                super::reader::kind_of(value)
            )),
        }
    }

    /// As epoch seconds, with the fraction.
    pub fn as_epoch_seconds(&self) -> f64 {
        self.seconds as f64 + f64::from(self.nanos) / 1e9
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.nanos == 0 {
            serializer.serialize_i64(self.seconds)
        } else {
            serializer.serialize_f64(self.as_epoch_seconds())
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rendered = OffsetDateTime::from_unix_timestamp(self.seconds)
            .ok()
            .and_then(|t| t.replace_nanosecond(self.nanos).ok())
            .and_then(|t| t.format(&Rfc3339).ok());
        match rendered {
            Some(text) => f.write_str(&text),
            None => write!(f, "{}", self.as_epoch_seconds()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn epoch_iso_and_millis_agree() {
        let epoch = Timestamp::from_json(&json!(1_700_000_000.5)).unwrap();
        let iso = Timestamp::from_json(&json!("2023-11-14T22:13:20.5Z")).unwrap();
        let offset = Timestamp::from_json(&json!("2023-11-14T23:13:20.5+01:00")).unwrap();
        let millis = Timestamp::from_json(&json!(1_700_000_000_500_i64)).unwrap();
        let text = Timestamp::from_json(&json!("1700000000.5")).unwrap();
        assert_eq!(
            epoch,
            Timestamp {
                seconds: 1_700_000_000,
                nanos: 500_000_000
            }
        );
        for other in [iso, offset, millis, text] {
            assert_eq!(other, epoch);
        }
        assert_eq!(epoch.to_string(), "2023-11-14T22:13:20.5Z");
    }

    #[test]
    fn rejects_garbage() {
        assert!(Timestamp::from_json(&json!("yesterday")).is_err());
        assert!(Timestamp::from_json(&json!(true)).is_err());
    }
}
