"""The reference a user would otherwise write: a channel-flow processor in Python with boto3,
better-profanity 0.6.1 for the word list and `re` for the same PII kinds, doing what the Rust
pipeline does (deny on a listed word; redact e-mail, phone, card with Luhn, IBAN with mod 97, SSN,
IPv4, AWS key ids; mentions, links, hashtags as attributes) and calling back once.

Shared by `processor.py` (the Lambda runtime loop, for cold start and warm latency) and `measure.py`
(per-message CPU), so both measure the same code.
"""

import os
import re

from better_profanity import profanity

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(?\d{2,4}\)?[ .-]?){2,4}\d{2,4}(?!\w)")
CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
SSN = re.compile(r"\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b")
IPV4 = re.compile(r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b")
AWS_KEY = re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b")
MENTION = re.compile(r"(?<!\w)@([A-Za-z0-9_.-]{1,64})")
LINK = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
HASHTAG = re.compile(r"(?<!\w)#(\w{1,64})")


def luhn(digits):
    total, double = 0, False
    for ch in reversed(digits):
        d = ord(ch) - 48
        if double:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
        double = not double
    return total % 10 == 0


def iban_ok(text):
    compact = text.replace(" ", "")
    moved = compact[4:] + compact[:4]
    number = "".join(str(int(c, 36)) for c in moved)
    return int(number) % 97 == 1


def load_terms(builtin_path, extra_path):
    """The same list the Rust processors use: the built-in entries (severity and '*' dropped) and the
    extra DENY_TERMS_FILE."""
    words = []
    for path in (builtin_path, extra_path):
        if not path or not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                if line.startswith("["):
                    line = line.split("]", 1)[1].strip()
                words.append(line.rstrip("*"))
    return words


def configure(words):
    profanity.load_censor_words(words)


def redact(text):
    counts = {}

    def tag(kind, check=None):
        def replace(match):
            if check is not None and not check(match.group(0)):
                return match.group(0)
            counts[kind] = counts.get(kind, 0) + 1
            return "[" + kind.upper() + "]"

        return replace

    text = AWS_KEY.sub(tag("aws-key"), text)
    text = EMAIL.sub(tag("email"), text)
    text = CARD.sub(tag("card", lambda m: luhn(re.sub(r"\D", "", m))), text)
    text = IBAN.sub(tag("iban", iban_ok), text)
    text = SSN.sub(tag("ssn"), text)
    text = IPV4.sub(tag("ipv4"), text)
    text = PHONE.sub(tag("phone", lambda m: 7 <= len(re.sub(r"\D", "", m)) <= 15), text)
    return text, counts


def decide(content):
    """('deny', None) or ('update', (content, attributes))."""
    if profanity.contains_profanity(content):
        return "deny", None
    redacted, counts = redact(content)
    attributes = {
        "hasLink": ["true" if LINK.search(redacted) else "false"],
    }
    mentions = sorted(set(MENTION.findall(redacted)))
    hashtags = sorted(set(HASHTAG.findall(redacted)))
    if mentions:
        attributes["mentions"] = [",".join(mentions)[:512]]
    if hashtags:
        attributes["hashtags"] = [",".join(hashtags)[:512]]
    if counts:
        attributes["redactions"] = [",".join(f"{k}:{v}" for k, v in sorted(counts.items()))]
    return "update", (redacted, attributes)
