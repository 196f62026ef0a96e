//! Validated identifiers: ARNs (the model's `ChimeArn` pattern) and message / sub-channel ids.

use std::fmt;

use crate::limits::{ARN_LEN, ID_LEN, is_id_char};

/// Why an identifier was refused; the caller adds the field name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Too short or too long.
    #[error("length {len}, must be {min}–{max}")]
    Length {
        /// The length found, in characters.
        len: usize,
        /// The shortest allowed.
        min: usize,
        /// The longest allowed.
        max: usize,
    },
    /// A character other than a letter, a digit, '-' or '_'.
    #[error("must contain only letters, digits, '-' and '_'")]
    Charset,
    /// Not shaped like a Chime ARN; says which part is wrong.
    #[error("not an ARN ({0})")]
    NotArn(&'static str),
}

/// Checks the length of `value` in characters against an inclusive range.
pub fn check_len(value: &str, (min, max): (usize, usize)) -> Result<(), IdError> {
    let len = value.chars().count();
    if len < min || len > max {
        return Err(IdError::Length { len, min, max });
    }
    Ok(())
}

/// A `MessageId` or `SubChannelId`: 1–128 characters of `[-_a-zA-Z0-9]`.
pub fn check_id(value: &str) -> Result<(), IdError> {
    check_len(value, ID_LEN)?;
    if !value.chars().all(is_id_char) {
        return Err(IdError::Charset);
    }
    Ok(())
}

/// An ARN as the Chime model accepts it: `arn:partition:service:region:account:resource`, where the four
/// middle parts are `[a-z0-9-.]` (partition 1–63, others 0–63) and the resource does not start with `/`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct ChimeArn(String);

impl ChimeArn {
    /// Parses and checks a Chime ARN (`arn:aws:chime:REGION:ACCOUNT:app-instance/ID[/KIND/ID]`).
    pub fn parse(value: &str) -> Result<Self, IdError> {
        check_len(value, ARN_LEN)?;
        let mut parts = value.splitn(6, ':');
        if parts.next() != Some("arn") {
            return Err(IdError::NotArn("must start with 'arn:'"));
        }
        for (index, name) in ["partition", "service", "region", "account"]
            .iter()
            .enumerate()
        {
            let part = parts
                .next()
                .ok_or(IdError::NotArn("fewer than six ':'-separated parts"))?;
            let ok_chars = part
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
            let ok_len = part.len() <= 63 && (index != 0 || !part.is_empty());
            if !ok_chars || !ok_len {
                return Err(IdError::NotArn(match *name {
                    "partition" => "bad partition",
                    "service" => "bad service",
                    "region" => "bad region",
                    _ => "bad account",
                }));
            }
        }
        match parts.next() {
            Some(resource) if !resource.is_empty() && !resource.starts_with('/') => {
                Ok(Self(value.to_owned()))
            }
            _ => Err(IdError::NotArn(
                "empty resource or resource starting with '/'",
            )),
        }
    }

    /// The ARN as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The app instance this ARN belongs to (`…:app-instance/ID`), if it is a Chime SDK resource.
    pub fn app_instance(&self) -> Option<&str> {
        app_instance_of(&self.0)
    }

    /// What the ARN names inside its app instance: `app-instance` itself, or the path segment after
    /// the instance id (`user`, `bot`, `channel`, `channel-flow`, …).
    pub fn kind(&self) -> Option<&str> {
        let instance = self.app_instance()?;
        match self.0[instance.len()..].strip_prefix('/') {
            None => Some("app-instance"),
            Some(rest) => rest.split('/').next().filter(|k| !k.is_empty()),
        }
    }

    /// Parses an ARN that must name a `kind` (see [`ChimeArn::kind`]), inside `instance` when given;
    /// the error says what the ARN is instead.
    pub fn expect(value: &str, kind: &str, instance: Option<&str>) -> Result<Self, KindError> {
        let arn = Self::parse(value).map_err(KindError::Invalid)?;
        let found = arn.kind().unwrap_or("not an app-instance resource");
        if found != kind {
            return Err(KindError::WrongKind {
                expected: kind.to_owned(),
                found: found.to_owned(),
            });
        }
        match (instance, arn.app_instance()) {
            (Some(wanted), Some(actual)) if wanted != actual => Err(KindError::OtherInstance {
                wanted: wanted.to_owned(),
                actual: actual.to_owned(),
            }),
            _ => Ok(arn),
        }
    }
}

/// The app instance ARN an ARN belongs to (`…:app-instance/ID` up to the next `/`).
pub fn app_instance_of(arn: &str) -> Option<&str> {
    let at = arn.find(":app-instance/")? + ":app-instance/".len();
    let end = arn[at..].find('/').map_or(arn.len(), |i| at + i);
    (end > at).then(|| &arn[..end])
}

/// Why an ARN is not the resource a field calls for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KindError {
    /// Not a valid ARN at all.
    #[error("{0}")]
    Invalid(IdError),
    /// A valid ARN of another resource kind.
    #[error("names a {found}, expected a {expected}")]
    WrongKind {
        /// The resource kind the field calls for (`channel`, `user`…).
        expected: String,
        /// The kind the ARN names.
        found: String,
    },
    /// A resource of another app instance.
    #[error("belongs to app instance {actual}, not {wanted}")]
    OtherInstance {
        /// The app instance the request is about.
        wanted: String,
        /// The app instance the ARN belongs to.
        actual: String,
    },
}

impl fmt::Display for ChimeArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_the_kind_and_the_instance() {
        let instance = "arn:aws:chime:us-east-1:123456789012:app-instance/abc";
        let cases = [
            (instance.to_owned(), Some("app-instance")),
            (format!("{instance}/user/u1"), Some("user")),
            (format!("{instance}/channel/c1"), Some("channel")),
            (format!("{instance}/channel-flow/f1"), Some("channel-flow")),
            ("arn:aws:lambda:us-east-1:1:function:f".to_owned(), None),
        ];
        for (arn, kind) in cases {
            let parsed = ChimeArn::parse(&arn).unwrap();
            assert_eq!(parsed.kind(), kind, "{arn}");
            assert_eq!(parsed.app_instance(), kind.map(|_| instance), "{arn}");
        }
        let user = format!("{instance}/user/u1");
        assert!(ChimeArn::expect(&user, "user", Some(instance)).is_ok());
        assert_eq!(
            ChimeArn::expect(&user, "channel", None)
                .unwrap_err()
                .to_string(),
            "names a user, expected a channel"
        );
        let other = "arn:aws:chime:us-east-1:123456789012:app-instance/xyz";
        assert_eq!(
            ChimeArn::expect(&user, "user", Some(other))
                .unwrap_err()
                .to_string(),
            format!("belongs to app instance {instance}, not {other}")
        );
        assert!(matches!(
            ChimeArn::expect("user/u1", "user", None),
            Err(KindError::Invalid(_))
        ));
    }

    #[test]
    fn accepts_channel_and_user_arns() {
        for arn in [
            "arn:aws:chime:us-east-1:123456789012:app-instance/abc/channel/def",
            "arn:aws:chime:us-east-1:123456789012:app-instance/abc/user/u-1",
            "arn:aws-cn:chime:cn-north-1:123456789012:app-instance/abc",
        ] {
            assert!(ChimeArn::parse(arn).is_ok(), "{arn}");
        }
    }

    #[test]
    fn rejects_non_arns_with_reason() {
        assert_eq!(
            ChimeArn::parse("channel/1"),
            Err(IdError::NotArn("must start with 'arn:'"))
        );
        assert_eq!(
            ChimeArn::parse("arn:aws:chime"),
            Err(IdError::NotArn("fewer than six ':'-separated parts"))
        );
        assert_eq!(
            ChimeArn::parse("arn:AWS:chime:r:1:x"),
            Err(IdError::NotArn("bad partition"))
        );
        assert_eq!(
            ChimeArn::parse("arn:aws:chime:r:1:/x"),
            Err(IdError::NotArn(
                "empty resource or resource starting with '/'"
            ))
        );
        assert_eq!(
            ChimeArn::parse("arn"),
            Err(IdError::Length {
                len: 3,
                min: 5,
                max: 1600
            })
        );
    }

    #[test]
    fn ids_follow_the_model() {
        assert!(check_id("msg-1_A").is_ok());
        assert_eq!(
            check_id(""),
            Err(IdError::Length {
                len: 0,
                min: 1,
                max: 128
            })
        );
        assert_eq!(check_id("a b"), Err(IdError::Charset));
    }
}
