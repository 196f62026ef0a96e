//! Compact rule sets for numbers with an owner: card issuers' prefixes and lengths, IBAN lengths per
//! country (ISO 13616 registry), E.164 country calling codes and the shapes of phone numbers.
//!
//! Chosen over libphonenumber's full metadata (the `phonenumber` crate) for its start-up and size
//! cost in a Lambda: these tables are constants, parsed by nobody. A phone must look like a phone of
//! some numbering plan: an assigned country code with a plausible length, a national number with a
//! trunk `0` or an area code, or a bare mobile number of a plan that writes them so (CN `1[3-9]…`,
//! trunk-`0` mobiles of TR, PH, GB, …, NANP, IN). Dates, SSN and card shapes, ISBNs, versions and
//! dotted quads are not phones. Which bare national numbers count is [`Regions`]' to say.

use super::regions::Regions;

/// The issuer whose prefix and length `digits` has (Luhn is checked apart).
pub fn card_issuer(digits: &str) -> Option<&'static str> {
    let len = digits.len();
    let prefix = |n: usize| digits.get(..n).and_then(|p| p.parse::<u32>().ok());
    let within =
        |n: usize, low: u32, high: u32| prefix(n).is_some_and(|p| (low..=high).contains(&p));
    if digits.starts_with('4') && matches!(len, 13 | 16 | 19) {
        return Some("visa");
    }
    if (within(2, 51, 55) || within(4, 2221, 2720)) && len == 16 {
        return Some("mastercard");
    }
    if (within(2, 34, 34) || within(2, 37, 37)) && len == 15 {
        return Some("amex");
    }
    if (within(4, 6011, 6011)
        || within(3, 644, 649)
        || within(2, 65, 65)
        || within(6, 622126, 622925))
        && (16..=19).contains(&len)
    {
        return Some("discover");
    }
    // JCB is 3528–3589; numbers from 3500 circulate in test data and shops' forms alike.
    if within(4, 3500, 3589) && (16..=19).contains(&len) {
        return Some("jcb");
    }
    if (within(4, 2131, 2131) || within(4, 1800, 1800)) && len == 15 {
        return Some("jcb");
    }
    if (within(3, 300, 305) || within(2, 36, 36) || within(2, 38, 39)) && (14..=19).contains(&len) {
        return Some("diners");
    }
    // UATP (airline cards): 1 and 14 more digits.
    if digits.starts_with('1') && len == 15 {
        return Some("uatp");
    }
    if within(2, 62, 62) && (16..=19).contains(&len) {
        return Some("unionpay");
    }
    if within(4, 2200, 2204) && (16..=19).contains(&len) {
        return Some("mir");
    }
    if (within(2, 50, 50) || within(2, 56, 69)) && (12..=19).contains(&len) {
        return Some("maestro");
    }
    None
}

/// The IBAN length of a country (ISO 13616 registry), or `None` for a country without IBANs.
pub fn iban_length(country: &str) -> Option<usize> {
    const LENGTHS: [(&str, usize); 89] = [
        ("AD", 24),
        ("AE", 23),
        ("AL", 28),
        ("AT", 20),
        ("AZ", 28),
        ("BA", 20),
        ("BE", 16),
        ("BG", 22),
        ("BH", 22),
        ("BI", 27),
        ("BR", 29),
        ("BY", 28),
        ("CH", 21),
        ("CR", 22),
        ("CY", 28),
        ("CZ", 24),
        ("DE", 22),
        ("DJ", 27),
        ("DK", 18),
        ("DO", 28),
        ("EE", 20),
        ("EG", 29),
        ("ES", 24),
        ("FI", 18),
        ("FK", 18),
        ("FO", 18),
        ("FR", 27),
        ("GB", 22),
        ("GE", 22),
        ("GI", 23),
        ("GL", 18),
        ("GR", 27),
        ("GT", 28),
        ("HN", 28),
        ("HR", 21),
        ("HU", 28),
        ("IE", 22),
        ("IL", 23),
        ("IQ", 23),
        ("IS", 26),
        ("IT", 27),
        ("JO", 30),
        ("KW", 30),
        ("KZ", 20),
        ("LB", 28),
        ("LC", 32),
        ("LI", 21),
        ("LT", 20),
        ("LU", 20),
        ("LV", 21),
        ("LY", 25),
        ("MC", 27),
        ("MD", 24),
        ("ME", 22),
        ("MK", 19),
        ("MN", 20),
        ("MR", 27),
        ("MT", 31),
        ("MU", 30),
        ("NI", 28),
        ("NL", 18),
        ("NO", 15),
        ("OM", 23),
        ("PK", 24),
        ("PL", 28),
        ("PS", 29),
        ("PT", 25),
        ("QA", 29),
        ("RO", 24),
        ("RS", 22),
        ("RU", 33),
        ("SA", 24),
        ("SC", 31),
        ("SD", 18),
        ("SE", 24),
        ("SI", 19),
        ("SK", 24),
        ("SM", 27),
        ("SO", 23),
        ("ST", 25),
        ("SV", 28),
        ("TL", 23),
        ("TN", 24),
        ("TR", 26),
        ("UA", 29),
        ("VA", 22),
        ("VG", 24),
        ("XK", 20),
        ("YE", 30),
    ];
    LENGTHS
        .iter()
        .find(|(c, _)| *c == country)
        .map(|&(_, len)| len)
}

/// The length of the E.164 country calling code `digits` starts with (codes are prefix-free).
pub fn country_code_len(digits: &str) -> Option<usize> {
    const TWO: [u32; 44] = [
        20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55,
        56, 57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98,
    ];
    const THREE: [(u32, u32); 30] = [
        (211, 213),
        (216, 216),
        (218, 258),
        (260, 269),
        (290, 291),
        (297, 299),
        (350, 359),
        (370, 383),
        (385, 389),
        (420, 421),
        (423, 423),
        (500, 509),
        (590, 599),
        (670, 670),
        (672, 692),
        (800, 800),
        (808, 808),
        (850, 850),
        (852, 853),
        (855, 856),
        (870, 870),
        (878, 878),
        (880, 883),
        (886, 886),
        (888, 888),
        (960, 968),
        (970, 979),
        (992, 998),
        (881, 881),
        (979, 979),
    ];
    let prefix = |n: usize| digits.get(..n).and_then(|p| p.parse::<u32>().ok());
    if digits.starts_with(['1', '7']) {
        return Some(1);
    }
    if prefix(2).is_some_and(|p| TWO.contains(&p)) {
        return Some(2);
    }
    prefix(3)
        .filter(|p| THREE.iter().any(|&(low, high)| (low..=high).contains(p)))
        .map(|_| 3)
}

/// Whether `text` (digits with `+`, spaces, dots, dashes, slashes, parentheses) has the shape of a
/// phone number of some numbering plan; bare and dotted national forms only of `regions`.
pub fn phone_shape_ok(text: &str, regions: &Regions) -> bool {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let trunk_in_parens = text.contains("(0)");
    if let Some(international) = text.strip_prefix('+').or_else(|| text.strip_prefix("00")) {
        let all: String = international.chars().filter(char::is_ascii_digit).collect();
        let significant = all.len() - usize::from(trunk_in_parens);
        return country_code_len(&all)
            .is_some_and(|cc| (8..=15).contains(&significant) && significant - cc >= 4);
    }
    let groups: Vec<&str> = text
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .collect();
    if groups.len() == 1 && !text.contains('(') {
        return regions.assign_bare(&digits);
    }
    if !(8..=12).contains(&digits.len()) || starts_with_date(&groups, text) {
        return false;
    }
    let sizes: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    // A one-digit group is a trunk or region prefix at the start, never later (`0-306-40615-2`);
    // SSN groups (3-2-4, or 3-6 without a trunk 0: `078-051120`) are an SSN.
    let ssn_like = sizes == [3, 2, 4] || (sizes == [3, 6] && !text.starts_with('0'));
    !sizes[1..].contains(&1) && !ssn_like && !grouped_like_other_number(text, regions)
}

/// Card or account groupings (fours, perhaps a short rest: `1209 9442 33`), dotted quads and versions
/// (a dotted national form of `regions`, `06.12.34.56.78` in France, `532.123.45.67` in Türkiye, is
/// the exception): not phones, nor their prefixes.
pub fn grouped_like_other_number(text: &str, regions: &Regions) -> bool {
    if text.starts_with('+') {
        return false;
    }
    let sizes: Vec<usize> = text
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .map(str::len)
        .collect();
    let Some((&last, init)) = sizes.split_last() else {
        return false;
    };
    let fours = sizes.len() >= 3 && init.iter().all(|&s| s == 4) && last <= 4;
    let only_dots = text.chars().all(|c| c.is_ascii_digit() || c == '.');
    fours || (only_dots && sizes.len() >= 4 && !regions.write_dotted(text, &sizes))
}

/// `2024-03-15`, `15/03/2024`, `3.7.24`: a date, or a date followed by a time.
fn starts_with_date(groups: &[&str], text: &str) -> bool {
    if groups.len() < 3 || text.contains(['(', '+']) {
        return false;
    }
    let n = |g: &str| g.parse::<u32>().unwrap_or(0);
    let (a, b, c) = (groups[0], groups[1], groups[2]);
    let month_day = |m: &str, d: &str| {
        m.len() <= 2 && d.len() <= 2 && (1..=12).contains(&n(m)) && (1..=31).contains(&n(d))
    };
    let year_first = a.len() == 4 && month_day(b, c);
    let year_last =
        groups.len() == 3 && (c.len() == 4 || c.len() == 2) && (month_day(b, a) || month_day(a, b));
    year_first || year_last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_by_prefix_and_length() {
        assert_eq!(card_issuer("4242424242424242"), Some("visa"));
        assert_eq!(card_issuer("378282246310005"), Some("amex"));
        assert_eq!(card_issuer("5555555555554444"), Some("mastercard"));
        assert_eq!(card_issuer("2223003122003222"), Some("mastercard"));
        assert_eq!(
            card_issuer("1700000000000"),
            None,
            "a millisecond timestamp"
        );
        assert_eq!(
            card_issuer("42424242424242"),
            None,
            "Visa has no 14-digit numbers"
        );
        assert_eq!(card_issuer("9000000000000000"), None);
        assert_eq!(card_issuer("122000000000003"), Some("uatp"));
        assert_eq!(card_issuer("1220000000000030"), None, "UATP has 15 digits");
    }

    #[test]
    fn country_codes_and_iban_lengths() {
        assert_eq!(country_code_len("14155550100"), Some(1));
        assert_eq!(country_code_len("447911123456"), Some(2));
        assert_eq!(country_code_len("353861234567"), Some(3));
        assert_eq!(country_code_len("2101234567"), None, "210 is not assigned");
        assert_eq!(iban_length("DE"), Some(22));
        assert_eq!(iban_length("US"), None);
    }

    #[test]
    fn phone_shapes() {
        for phone in [
            "+1 415 555 0100",
            "+44 (0)20 7946 0958",
            "0(20) 7946 0958",
            "(415) 555-0100",
            "06 12 34 56 78",
            "06.12.34.56.78",
            "13812345678",
            "05321234567",
            "09171234567",
            "4155550100",
            "8 916 123 45 67",
            "030/1234567",
            "+90 5 32 123 45 67",
            "001-415-555-0100",
        ] {
            assert!(phone_shape_ok(phone, &Regions::all()), "{phone}");
        }
        for not_phone in [
            "2024-03-15",
            "15/03/2024",
            "1700000000000",
            "912-12-3456",
            "4242 4242 4242",
            "10.0.19041.1",
            "1.2.3.4.5",
            "0-306-40615-2",
            "+210 1234 5678",
            "1234567",
            "123-45-6789",
            "903-030736",
            "1209 9442 33",
        ] {
            assert!(!phone_shape_ok(not_phone, &Regions::all()), "{not_phone}");
        }
    }
}
