//! `REDACTION_REGIONS`: which countries' national phone formats count. A number written with a `+`
//! or `00` and a country code is a phone whatever the setting; a bare national number (ten digits,
//! no separator, no prefix) is a phone in one country and an order id in another, so it is redacted
//! only when a listed plan assigns it. Default `all`: every plan below and any trunk-`0` national
//! number of 9–11 digits (most of Europe, Asia and Africa write theirs so) — a deployment whose
//! messages carry 10-digit ids names its regions instead.
//!
//! | region | bare national numbers that are phones | dotted form |
//! | --- | --- | --- |
//! | US, CA (NANP) | `NXX NXX XXXX` (10 digits: area [2-9][0-8]x, exchange [2-9]xx), `1` + those | – |
//! | GB | `0` + 9–10 digits starting 1, 2, 3, 7 or 8 (`07911123456`) | – |
//! | TR | mobiles `5xx xxx xx xx` (10 digits, `5321234567`), areas 2xx–4xx, each with or without `0` | `532.123.45.67`, `0532.123.45.67` |
//! | PH | mobiles `9xx xxx xxxx` (10), `09…` (11), Manila `02` + 8 | – |
//! | IN | mobiles `[6-9]` + 9 digits, or with `0` | – |
//! | CN | mobiles `1[3-9]` + 9 digits | – |
//! | RU, KZ | trunk `8` + 10 digits, `7 9xx…`, mobiles `9xx xxx xx xx` (10) | – |
//! | FR | `0[1-9]` + 8 digits | `06.12.34.56.78` |
//! | DE | `0[1-9]` + 9–11 digits | – |

use crate::config::split_list;

/// A numbering plan whose national formats are known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Region {
    /// United States (NANP).
    Us,
    /// Canada (NANP).
    Ca,
    /// United Kingdom.
    Gb,
    /// Türkiye.
    Tr,
    /// Philippines.
    Ph,
    /// India.
    In,
    /// China.
    Cn,
    /// Russia.
    Ru,
    /// Kazakhstan.
    Kz,
    /// France.
    Fr,
    /// Germany.
    De,
}

impl Region {
    /// Every region, in the order of the table above.
    pub const ALL: [Region; 11] = [
        Region::Us,
        Region::Ca,
        Region::Gb,
        Region::Tr,
        Region::Ph,
        Region::In,
        Region::Cn,
        Region::Ru,
        Region::Kz,
        Region::Fr,
        Region::De,
    ];

    /// The ISO 3166-1 alpha-2 code.
    pub fn code(self) -> &'static str {
        match self {
            Region::Us => "US",
            Region::Ca => "CA",
            Region::Gb => "GB",
            Region::Tr => "TR",
            Region::Ph => "PH",
            Region::In => "IN",
            Region::Cn => "CN",
            Region::Ru => "RU",
            Region::Kz => "KZ",
            Region::Fr => "FR",
            Region::De => "DE",
        }
    }

    /// The region coded `code` (any case).
    pub fn from_code(code: &str) -> Option<Region> {
        Region::ALL
            .into_iter()
            .find(|r| r.code().eq_ignore_ascii_case(code))
    }

    /// Whether `digits` (ASCII digits only) is a national number of this plan written bare.
    fn assigns_bare(self, digits: &[u8]) -> bool {
        let len = digits.len();
        let at = |i: usize| digits.get(i).copied().unwrap_or(b'0');
        let in_range = |i: usize, low: u8, high: u8| (low..=high).contains(&at(i));
        let trunk = at(0) == b'0' && at(1) != b'0';
        match self {
            Region::Us | Region::Ca => {
                let nanp = |d: &[u8]| {
                    d.len() == 10
                        && (b'2'..=b'9').contains(&d[0])
                        && d[1] != b'9'
                        && (b'2'..=b'9').contains(&d[3])
                };
                nanp(digits) || (len == 11 && at(0) == b'1' && nanp(&digits[1..]))
            }
            Region::Gb => {
                trunk
                    && (10..=11).contains(&len)
                    && matches!(at(1), b'1' | b'2' | b'3' | b'7' | b'8')
            }
            Region::Tr => {
                (len == 10 && in_range(0, b'2', b'5'))
                    || (len == 11 && at(0) == b'0' && in_range(1, b'2', b'5'))
            }
            Region::Ph => {
                (len == 10 && at(0) == b'9')
                    || (len == 11 && at(0) == b'0' && at(1) == b'9')
                    || (len == 10 && at(0) == b'0' && at(1) == b'2')
            }
            Region::In => {
                (len == 10 && in_range(0, b'6', b'9'))
                    || (len == 11 && at(0) == b'0' && in_range(1, b'6', b'9'))
            }
            Region::Cn => len == 11 && at(0) == b'1' && in_range(1, b'3', b'9'),
            Region::Ru | Region::Kz => {
                (len == 11 && (at(0) == b'8' || (at(0) == b'7' && at(1) == b'9')))
                    || (len == 10 && at(0) == b'9')
            }
            Region::Fr => len == 10 && trunk,
            Region::De => trunk && (10..=12).contains(&len),
        }
    }

    /// Whether `text`, digits and dots in groups of `sizes` (their lengths), is this plan's dotted
    /// form.
    fn writes_dotted(self, text: &str, sizes: &[usize]) -> bool {
        match self {
            Region::Tr => {
                (sizes == [3, 3, 2, 2] && text.starts_with('5'))
                    || (sizes == [4, 3, 2, 2] && text.starts_with("05"))
            }
            Region::Fr => {
                text.starts_with('0') && sizes.len() == 5 && sizes.iter().all(|&s| s == 2)
            }
            _ => false,
        }
    }
}

/// The regions in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Regions {
    list: Vec<Region>,
    /// `all`: also any trunk-`0` national number of 9–11 digits.
    any_trunk_zero: bool,
}

impl Default for Regions {
    fn default() -> Self {
        Self::all()
    }
}

impl Regions {
    /// Every plan, and any trunk-`0` national number (the default).
    pub fn all() -> Self {
        Self {
            list: Region::ALL.to_vec(),
            any_trunk_zero: true,
        }
    }

    /// Exactly these plans.
    pub fn only(list: &[Region]) -> Self {
        Self {
            list: list.to_vec(),
            any_trunk_zero: false,
        }
    }

    /// `all`, or codes separated by commas (`US,GB,TR,PH`); an unknown code is an error naming it
    /// and the known ones.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let codes = split_list(spec);
        if codes.is_empty() || codes.iter().any(|c| c.eq_ignore_ascii_case("all")) {
            return Ok(Self::all());
        }
        let mut list = Vec::new();
        for code in &codes {
            let region = Region::from_code(code).ok_or_else(|| {
                let known: Vec<&str> = Region::ALL.iter().map(|r| r.code()).collect();
                format!(
                    "unknown region {code:?} (all, or any of {})",
                    known.join(", ")
                )
            })?;
            if !list.contains(&region) {
                list.push(region);
            }
        }
        Ok(Self::only(&list))
    }

    /// The plans in force.
    pub fn list(&self) -> &[Region] {
        &self.list
    }

    /// Whether some plan in force assigns `digits`, a number written without separators.
    pub fn assign_bare(&self, digits: &str) -> bool {
        let b = digits.as_bytes();
        let trunk_zero = self.any_trunk_zero
            && (9..=11).contains(&b.len())
            && b[0] == b'0'
            && b.get(1).is_some_and(|&d| d != b'0');
        trunk_zero || self.list.iter().any(|r| r.assigns_bare(b))
    }

    /// Whether `text`, digits and dots in groups of `sizes`, is the dotted form of a plan in force.
    pub fn write_dotted(&self, text: &str, sizes: &[usize]) -> bool {
        self.list.iter().any(|r| r.writes_dotted(text, sizes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_number_is_a_phone_only_where_a_plan_assigns_it() {
        let tr = Regions::parse("TR").unwrap();
        let us = Regions::parse("us").unwrap();
        let gb = Regions::parse("GB").unwrap();
        assert!(tr.assign_bare("5321234567"));
        assert!(
            !us.assign_bare("5321234567"),
            "exchange 123 is no NANP exchange"
        );
        assert!(us.assign_bare("4155550100"));
        assert!(!gb.assign_bare("4155550100"));
        assert!(gb.assign_bare("07911123456"));
        assert!(!us.assign_bare("07911123456"));
        assert!(Regions::all().assign_bare("5321234567"));
        assert!(
            Regions::all().assign_bare("0612345678"),
            "any trunk 0 under all"
        );
        assert!(!Regions::only(&[Region::Cn]).assign_bare("0612345678"));
        assert!(Regions::parse("PH").unwrap().assign_bare("9171234567"));
    }

    #[test]
    fn dotted_forms_are_per_plan() {
        let tr = Regions::parse("TR").unwrap();
        assert!(tr.write_dotted("532.123.45.67", &[3, 3, 2, 2]));
        assert!(tr.write_dotted("0532.123.45.67", &[4, 3, 2, 2]));
        assert!(!tr.write_dotted("10.0.19041.1", &[2, 1, 5, 1]));
        assert!(
            !Regions::parse("US")
                .unwrap()
                .write_dotted("532.123.45.67", &[3, 3, 2, 2])
        );
        assert!(Regions::all().write_dotted("06.12.34.56.78", &[2, 2, 2, 2, 2]));
    }

    #[test]
    fn the_setting_parses_or_names_what_is_wrong() {
        assert_eq!(Regions::parse("all").unwrap(), Regions::all());
        assert_eq!(Regions::parse(" ").unwrap(), Regions::all());
        assert_eq!(
            Regions::parse("US, gb,US").unwrap().list(),
            [Region::Us, Region::Gb]
        );
        let error = Regions::parse("US,XX").unwrap_err();
        assert!(
            error.starts_with("unknown region \"XX\" (all, or any of US, CA"),
            "{error}"
        );
    }
}
