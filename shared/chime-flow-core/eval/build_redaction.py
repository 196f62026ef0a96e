#!/usr/bin/env python3
"""Builds shared/chime-flow-core/eval/redaction.tsv: PII positives per kind and near misses, for the eval command.

Rows: kind <TAB> expect (redact|keep) <TAB> value <TAB> text <TAB> regions; `value` occurs once in `text`.
  regions: the REDACTION_REGIONS the row is scored under (`all`, the default, or codes: `TR`, `US,GB`).
  redact: the value must be covered entirely by findings of that kind (nothing left readable).
  keep:   a near miss of that kind; no finding may touch it.
Positives come from Faker 33.1.0 (MIT; pip install faker==33.1.0 phonenumbers==8.13.50) with a fixed
seed, phones kept only when libphonenumber holds them valid, in the formats
people type (grouped, dashed, compact, international and national); near misses are generated
below (timestamps, dates, ids, invalid checksums and ranges, code). Usage: python3 build_redaction.py
"""
import random
import string
from pathlib import Path

import phonenumbers
from faker import Faker

OUT = Path(__file__).with_name("redaction.tsv")
rng = random.Random(20261126)
Faker.seed(20261126)

CARRIERS = [
    "you can reach me at {v} anytime",
    "{v}",
    "here it is: {v}.",
    "pls use {v} for the refund",
    "({v})",
    "details -> {v}, thanks!",
    "my number/details: {v} ok?",
    "Sent from {v}",
]


def row(kind, expect, value, carrier=None):
    text = (carrier or rng.choice(CARRIERS)).format(v=value)
    assert text.count(value) == 1 and "\t" not in text
    return (kind, expect, value, text)


def group(digits, sizes, sep):
    out, at = [], 0
    for n in sizes:
        out.append(digits[at:at + n])
        at += n
    if at < len(digits):
        out.append(digits[at:])
    return sep.join(g for g in out if g)


def luhn_ok(digits):
    total = 0
    for i, d in enumerate(reversed(digits)):
        d = int(d)
        if i % 2:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return total % 10 == 0


def luhn_complete(prefix, length):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for check in string.digits:
        if luhn_ok(body + check):
            return body + check


def cards():
    fake = Faker("en_US")
    out = []
    for card_type in ["visa16", "visa13", "mastercard", "amex", "discover", "jcb16", "jcb15",
                      "diners", "maestro"]:
        for _ in range(24):
            number = fake.credit_card_number(card_type=card_type)
            style = rng.choice(["compact", "space", "dash"])
            if style == "compact":
                value = number
            elif len(number) == 15 and number[0] == "3":
                value = group(number, [4, 6, 5], " " if style == "space" else "-")
            else:
                value = group(number, [4, 4, 4, 4], " " if style == "space" else "-")
            out.append(row("card", "redact", value))
    # Luhn-valid numbers no issuer uses (prefix 0, 1, 7, 8, 9 or wrong length), timestamps that pass Luhn.
    for _ in range(60):
        prefix = rng.choice(["0", "1", "7", "8", "9"])
        out.append(row("card", "keep", luhn_complete(prefix, rng.choice([13, 16, 19])),
                       "order id {v} shipped"))
    for _ in range(60):
        while True:
            ts = str(rng.randrange(1_500_000_000_000, 1_800_000_000_000))
            if luhn_ok(ts):
                break
        out.append(row("card", "keep", ts, rng.choice(["created_at={v}", "ts {v} ms", "event at {v}"])))
    for _ in range(40):
        number = fake.credit_card_number(card_type="visa16")
        bad = number[:-1] + str((int(number[-1]) + rng.randrange(1, 10)) % 10)
        out.append(row("card", "keep", group(bad, [4, 4, 4, 4], " "), "ref {v} (not a card)"))
    return out


PHONE_LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "pt_BR", "tr_TR", "zh_CN", "ja_JP", "en_IN", "nl_NL", "pl_PL", "ru_RU", "en_AU", "es_MX", "ko_KR"]


def valid_phone(number, locale):
    """Whether libphonenumber (the `phonenumbers` port, Apache-2.0) holds it a valid number: Faker
    also produces numbers no plan has (+89, 7 digits), which are not what a phone detector is for."""
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(number, locale.split("_")[1]))
    except phonenumbers.NumberParseException:
        return False


def phones():
    out = []
    for locale in PHONE_LOCALES:
        fake = Faker(locale)
        seen = 0
        while seen < 22:
            number = fake.phone_number()
            # Extensions ("x123", "ext. 4") are not part of the number people redact.
            for marker in [" x", "x", " ext", "ext"]:
                number = number.split(marker)[0]
            number = number.strip()
            if not valid_phone(number, locale):
                continue
            out.append(row("phone", "redact", number))
            seen += 1
        # The same numbers typed without separators.
        compact = 0
        for _ in range(200):
            number = fake.phone_number().split("x")[0].split(" ext")[0].strip().replace("(0)", "")
            number = "".join(c for c in number if c.isdigit() or c == "+")
            if compact < 4 and number[0] in "+01" and valid_phone(number, locale):
                out.append(row("phone", "redact", number))
                compact += 1
    # Unformatted national mobiles: TR 05xx, PH 09xx, CN 1[3-9]x, 11 digits.
    for prefix in ["0532", "0541", "0905", "0917", "138", "159", "186"]:
        for _ in range(5):
            rest = "".join(rng.choice(string.digits) for _ in range(11 - len(prefix)))
            out.append(row("phone", "redact", prefix + rest))
    for value in ["+44 (0)20 7946 0958", "0(20) 7946 0958", "+49 (0)30 1234567", "+7 9 123 45 67 89",
                  "+33 6 12 34 56 78", "+1 (415) 555-0132", "+61 4 1234 5678", "+90 5 32 123 45 67"]:
        out.append(row("phone", "redact", value))
    near = []
    for _ in range(40):
        near.append(f"{rng.randrange(2000, 2030)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}")
    for _ in range(30):
        near.append(str(rng.randrange(1_500_000_000_000, 1_800_000_000_000)))
    for _ in range(20):
        near.append(str(rng.randrange(1_500_000_000, 1_800_000_000)))
    for _ in range(20):
        near.append(f"{rng.randrange(1, 30)}.{rng.randrange(0, 30)}.{rng.randrange(1000, 30000)}.{rng.randrange(1, 999)}")
    for _ in range(20):
        near.append(f"{rng.randrange(1, 255)}.{rng.randrange(1, 255)}.{rng.randrange(1, 255)}.{rng.randrange(1, 255)}.{rng.randrange(1, 255)}")
    for _ in range(20):
        near.append(f"978-{rng.randrange(0, 10)}-{rng.randrange(10, 99)}-{rng.randrange(100000, 999999)}-{rng.randrange(0, 10)}")
    for _ in range(20):
        near.append(f"{rng.randrange(1, 29)}/{rng.randrange(1, 13)}/{rng.randrange(2000, 2030)}")
    for _ in range(20):
        near.append(f"{rng.randrange(1, 999)},{rng.randrange(100, 999)},{rng.randrange(100, 999)}.{rng.randrange(10, 99)}")
    for _ in range(20):
        near.append(f"{rng.randrange(10, 23)}:{rng.randrange(10, 59)}:{rng.randrange(10, 59)}.{rng.randrange(100, 999)}")
    for _ in range(20):
        near.append(f"v{rng.randrange(1, 20)}.{rng.randrange(0, 40)}.{rng.randrange(0, 200)}")
    for _ in range(20):
        near.append(f"INV-{rng.randrange(2019, 2027)}-{rng.randrange(100000, 999999)}")
    for value in near:
        out.append(row("phone", "keep", value, rng.choice(["build {v} failed", "see {v} in the log",
                                                        "value: {v}", "on {v} we shipped"])))
    return out


IBAN_LOCALES = ["de_DE", "fr_FR", "en_GB", "es_ES", "it_IT", "nl_NL", "pl_PL", "pt_PT",
                "fr_CH", "de_AT", "nl_BE", "fi_FI", "no_NO", "cs_CZ", "tr_TR"]
# da_DK and en_IE are left out: Faker 33.1.0 gives them 20 and 27 characters, not the registry's 18 and 22.


def iban_check(country, bban):
    rearranged = bban + country + "00"
    number = int("".join(str(int(c, 36)) for c in rearranged))
    return f"{98 - number % 97:02d}"


def ibans():
    out = []
    for locale in IBAN_LOCALES:
        fake = Faker(locale)
        for _ in range(10):
            iban = fake.iban()
            style = rng.choice(["compact", "space", "dash"])
            value = iban if style == "compact" else group(iban, [4] * 9, " " if style == "space" else "-")
            out.append(row("iban", "redact", value))
        for _ in range(3):
            iban = fake.iban()
            # Checksum broken by one digit.
            i = rng.randrange(4, len(iban))
            while not iban[i].isdigit():
                i = rng.randrange(4, len(iban))
            bad = iban[:i] + str((int(iban[i]) + 1) % 10) + iban[i + 1:]
            out.append(row("iban", "keep", group(bad, [4] * 9, " "), "ref {v} please"))
            # Valid checksum, wrong length for the country.
            country, bban = iban[:2], iban[4:] + "12"
            long = country + iban_check(country, bban) + bban
            out.append(row("iban", "keep", long, "ref {v} please"))
    return out


def ssns():
    fake = Faker("en_US")
    out = [row("ssn", "redact", fake.ssn()) for _ in range(80)]
    for area in ["000", "666", "900", "912", "987"]:
        for _ in range(6):
            out.append(row("ssn", "keep", f"{area}-{rng.randrange(10, 99)}-{rng.randrange(1000, 9999)}", "code {v}"))
    for _ in range(10):
        out.append(row("ssn", "keep", f"{rng.randrange(100, 600)}-00-{rng.randrange(1000, 9999)}", "code {v}"))
        out.append(row("ssn", "keep", f"{rng.randrange(100, 600)}-{rng.randrange(10, 99)}-0000", "code {v}"))
    return out


def emails():
    out = []
    for locale in ["en_US", "de_DE", "fr_FR", "ja_JP", "pt_BR"]:
        fake = Faker(locale)
        out += [row("email", "redact", fake.email()) for _ in range(20)]
        out += [row("email", "redact", fake.free_email()) for _ in range(6)]
    for value in ["user@xn--bcher-kva.example", "info@xn--mnchen-3ya.de", "a.b@mail.xn--p1ai",
                  "jane@xn--80ak6aa92e.com", "support@shop.xn--fiqs8s", "x+tag@xn--caf-dma.fr",
                  "o'brien@example.ie", "first.last@sub.domain.co.uk"]:
        out.append(row("email", "redact", value))
    for value in ["@bob", "name at example dot com", "user@localhost", "a@b", "@here"]:
        out.append(row("email", "keep", value, "ping {v} please"))
    return out


def ips():
    fake = Faker("en_US")
    out = [row("ipv4", "redact", fake.ipv4()) for _ in range(60)]
    out += [row("ipv4", "redact", fake.ipv4()) for _ in range(0)]
    out += [row("ipv6", "redact", fake.ipv6()) for _ in range(50)]
    compressed = ["2001:db8::1", "fe80::1", "::1", "2001:db8::", "fd00::", "2001:db8:85a3::8a2e:370:7334",
                  "::ffff:192.0.2.1", "2001:db8:0:1::", "fe80::a00:27ff:fe4e:66a1", "2a00:1450:4001:80b::200e",
                  "2001:db8::ff00:42:8329", "2606:4700:4700::1111", "2001:4860:4860::8888", "64:ff9b::"]
    for value in compressed:
        for carrier in ["route {v} is down", "{v}", "ping {v}."]:
            out.append(row("ipv6", "redact", value, carrier))
    for value in ["2001:db8::/32", "fe80::1%eth0", "2001:db8:abcd::/48", "fe80::a00:27ff:fe4e:66a1%en0"]:
        out.append(row("ipv6", "redact", value, "net {v} ok"))
    for value in ["192.168.0.0/16", "10.0.0.0/8"]:
        out.append(row("ipv4", "redact", value, "net {v} ok"))
    for value in ["std::cout", "a::b", "Foo::bar()", "Vec::<u8>::new()", "std::vector<int>",
                  "ab::cd::ef", "crate::config::Env", "::before", "fe::ed", "dead::beef::cafe",
                  "1:2:3:4:5:6:7:8:9", "12:30:45", "2001:db8:::1", "abcd:ef01:2345:6789:abcd:ef01:2345:6789:aaaa"]:
        out.append(row("ipv6", "keep", value, rng.choice(["use {v} here", "see `{v}`", "{v} is wrong"])))
    for value in ["999.1.1.1", "1.2.3", "256.256.256.256"]:
        out.append(row("ipv4", "keep", value, "version {v} now"))
    return out


# Rows of the regional rules, with their own generator so that the rows above stay as they were.
reg = random.Random(20261203)


def digits(n, first=""):
    return first + "".join(reg.choice(string.digits) for _ in range(n - len(first)))


def nanp():
    return f"{reg.randrange(2, 10)}{reg.randrange(0, 9)}{reg.randrange(10)}{reg.randrange(2, 10)}{digits(6)}"


def regional():
    """Bare and dotted national numbers under the regions that assign them and those that do not;
    UATP cards; SSNs written 3-6 and dotted; IPv6 networks with no digit vs the bare `::`."""
    out = []
    ids = ["order {v} shipped", "invoice {v} is paid", "ticket {v} closed", "ref {v} please"]
    calls = ["call me on {v}", "my number is {v}", "text {v} when you land", "{v}"]

    def r(kind, expect, value, regions, carrier):
        return row(kind, expect, value, carrier) + (regions,)

    for _ in range(12):
        # A Turkish mobile whose exchange starts 0/1, so no NANP plan reads it as a US number.
        mobile = f"5{reg.randrange(0, 6)}{reg.randrange(10)}{reg.choice('01')}{digits(6)}"
        dotted = f"{mobile[:3]}.{mobile[3:6]}.{mobile[6:8]}.{mobile[8:]}"
        for value in [mobile, dotted, "0" + dotted, "0" + mobile]:
            out.append(r("phone", "redact", value, "TR", reg.choice(calls)))
        out.append(r("phone", "redact", mobile, "US,GB,TR,PH", reg.choice(calls)))
        out.append(r("phone", "keep", mobile, "US", reg.choice(ids)))
        out.append(r("phone", "keep", dotted, "US,GB", reg.choice(ids)))
    for _ in range(12):
        us = nanp()
        out.append(r("phone", "redact", us, "US", reg.choice(calls)))
        out.append(r("phone", "redact", "1" + us, "CA", reg.choice(calls)))
        out.append(r("phone", "keep", us, "GB", reg.choice(ids)))
        out.append(r("phone", "keep", us, "FR,DE", reg.choice(ids)))
    for _ in range(8):
        gb = "07" + digits(9)
        ph = "09" + digits(9)
        out.append(r("phone", "redact", gb, "GB", reg.choice(calls)))
        out.append(r("phone", "keep", gb, "US", reg.choice(ids)))
        out.append(r("phone", "redact", ph, "PH", reg.choice(calls)))
        out.append(r("phone", "redact", ph[1:], "PH", reg.choice(calls)))
        out.append(r("phone", "keep", ph[1:], "GB,TR", reg.choice(ids)))
    for _ in range(10):
        # Ten digits starting with 1: no plan of US, GB, TR, PH assigns them.
        out.append(r("phone", "keep", digits(10, "1"), "US,GB,TR,PH", reg.choice(ids)))
        out.append(r("phone", "keep", digits(10, "0"), "US,CN", reg.choice(ids)))
    for _ in range(15):
        uatp = luhn_complete("1" + digits(3), 15)
        out.append(r("card", "redact", uatp, "all", reg.choice(calls).replace("call me on", "card")))
        out.append(r("card", "redact", f"{uatp[:4]} {uatp[4:9]} {uatp[9:]}", "all", "card: {v}"))
        bad = uatp[:-1] + str((int(uatp[-1]) + 1) % 10)
        out.append(r("card", "keep", bad, "all", reg.choice(ids)))
        out.append(r("card", "keep", luhn_complete("1" + digits(3), 16), "all", reg.choice(ids)))
        out.append(r("card", "keep", luhn_complete("1" + digits(3), 14), "all", reg.choice(ids)))
    for _ in range(12):
        area, group, serial = reg.randrange(1, 666), reg.randrange(1, 100), reg.randrange(1, 10000)
        out.append(r("ssn", "redact", f"{area:03}-{group:02}{serial:04}", "all", "ssn {v}"))
        out.append(r("ssn", "redact", f"{area:03}.{group:02}.{serial:04}", "all", "my SSN is {v}"))
        bad_area = reg.choice([0, 666, reg.randrange(900, 1000)])
        out.append(r("ssn", "keep", f"{bad_area:03}-{group:02}{serial:04}", "all", "code {v}"))
        out.append(r("ssn", "keep", f"{area:03}.00.{serial:04}", "all", "code {v}"))
        out.append(r("ssn", "keep", f"{area:03}.{group:02}-{serial:04}", "all", "code {v}"))
    for value, carrier in [("::/0", "default route {v} via the gateway"), ("::/0", "allow {v} in the rule"),
                           ("ff00::/8", "multicast is {v}"), ("::/128", "unspecified {v}"),
                           ("::1", "bind to {v} only"), ("::1", "{v}"), ("::ffff:0:0/96", "mapped {v}")]:
        out.append(r("ipv6", "redact", value, "all", carrier))
    for value, carrier in [("::", "f :: Int -> Int"), ("::", "use {v} between the parts"),
                           ("::", "the type is a {v} b"), ("::", "{v}"), ("::", "x {v}= y"),
                           ("::/", "path {v}root"), ("::/200", "bad {v} prefix")]:
        out.append(r("ipv6", "keep", value, "all", carrier if "{v}" in carrier else carrier.replace("::", "{v}")))
    return out


def main():
    rows = [r + ("all",) for r in cards() + phones() + ibans() + ssns() + emails() + ips()] + regional()
    with open(OUT, "w", encoding="utf-8", newline="") as f:
        f.write("# kind\texpect\tvalue\ttext\tregions — built by build_redaction.py; sources and licences in SOURCES.md\n")
        for r in rows:
            f.write("\t".join(r) + "\n")
    print(f"{len(rows)} rows -> {OUT}")


if __name__ == "__main__":
    main()
