//! Times and ids: milliseconds as the service keeps them, ISO-8601 as events carry them, random ids.

use std::time::{SystemTime, UNIX_EPOCH};

/// A point in time in whole milliseconds since the epoch: how times are kept and compared, so that
/// "everything since the last message I saw" can never drop one to a rounding difference. On the wire
/// (JSON epoch seconds) it is written as seconds with the milliseconds as fraction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Millis(pub i64);

impl Millis {
    /// The nearest millisecond to a time in nanoseconds. Rounding, not truncating: a client that read
    /// `1732612345.678` as a float holds `…45.677999973` and sends that back; it means `.678`.
    pub fn from_nanos(nanos: i128) -> Self {
        Self(nanos.div_euclid(1_000_000) as i64 + i64::from(nanos.rem_euclid(1_000_000) >= 500_000))
    }

    pub fn nanos(self) -> i128 {
        i128::from(self.0) * 1_000_000
    }
}

impl serde::Serialize for Millis {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // The shortest decimal that reads back as this f64 is exactly the milliseconds' decimal.
        serializer.serialize_f64(self.0 as f64 / 1000.0)
    }
}

/// Now, to the millisecond, as the service reports times.
pub fn now() -> Millis {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Millis(since.as_millis() as i64)
}

/// Now, in microseconds since the epoch: what a message's journey is timed in (its steps are often
/// under a millisecond apart) and what a harness compares a process's own wall-clock log times with.
pub fn now_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

/// ISO-8601 with milliseconds (`2026-11-25T19:08:10.123Z`), as processor events carry times.
pub fn iso8601(at: Millis) -> String {
    let Ok(at) = time::OffsetDateTime::from_unix_timestamp_nanos(at.nanos()) else {
        return String::new();
    };
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    at.format(&format).unwrap_or_default()
}

/// The static copy of a validated enum value (the validator has already refused others; an
/// unknown value falls back to the first).
pub fn one_of(value: &str, values: &[&'static str]) -> &'static str {
    values
        .iter()
        .find(|v| **v == value)
        .or(values.first())
        .copied()
        .unwrap_or("")
}

pub const PERSISTENCE: [&str; 2] = ["PERSISTENT", "NON_PERSISTENT"];
pub const MESSAGE_TYPES: [&str; 2] = ["STANDARD", "CONTROL"];

/// A random lowercase hex id of `len` characters.
pub fn random_hex(len: usize) -> String {
    (0..len)
        .map(|_| char::from_digit(fastrand::u32(0..16), 16).unwrap_or('0'))
        .collect()
}

/// A UUID-shaped random id (what the service uses for instance, channel and flow ids).
pub fn random_uuid() -> String {
    let hex = random_hex(32);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_keeps_milliseconds() {
        assert_eq!(
            iso8601(Millis(1_764_097_690_123)),
            "2025-11-25T19:08:10.123Z"
        );
    }

    /// Every form a client may send a millisecond in comes back as that millisecond: ISO-8601 with
    /// 3, 6 or 9 fractional digits, decimal epoch seconds, and what an SDK holds after reading the
    /// service's JSON number as a float (`1732612345.678` → `…45.677999973`) and formatting it again.
    #[test]
    fn every_millisecond_form_round_trips_exactly() {
        use chime_api::binding::parse_timestamp;
        use time::OffsetDateTime;
        use time::format_description::well_known::Rfc3339;
        let format = |nanos: i128, digits: usize| {
            let at = OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap();
            let whole = at.replace_nanosecond(0).unwrap().format(&Rfc3339).unwrap();
            let fraction = format!("{:09}", at.nanosecond());
            format!("{}.{}Z", whole.trim_end_matches('Z'), &fraction[..digits])
        };
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..20_000 {
            // xorshift: a fixed, repeatable spread of milliseconds from 2001 to 2033.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let ms = 1_000_000_000_000 + (state % 1_000_000_000_000) as i64;
            let exact = i128::from(ms) * 1_000_000;
            let through_float = {
                let seconds = ms as f64 / 1000.0;
                let whole = seconds.floor();
                i128::from(whole as i64) * 1_000_000_000 + ((seconds - whole) * 1e9).round() as i128
            };
            let decimal = format!("{}.{:03}", ms / 1000, ms % 1000);
            for text in [
                format(exact, 3),
                format(exact, 6),
                format(exact, 9),
                format(through_float, 9),
                format(through_float, 6),
                decimal,
            ] {
                let nanos = parse_timestamp(&text).unwrap_or_else(|| panic!("{text}"));
                assert_eq!(Millis::from_nanos(i128::from(nanos)), Millis(ms), "{text}");
            }
        }
        for bad in ["", "1.2.3", "12a", "1.0000000001", "yesterday"] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }
}
