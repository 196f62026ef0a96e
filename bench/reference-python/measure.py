"""Per-message CPU of the Python reference's decision (moderation, redaction, enrichment; no network)
on the messages the Rust measurement uses, timed with process CPU time.
Usage: python3 measure.py MESSAGES.json TERMS.txt ITERATIONS  → one JSON line per message.
"""

import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import reference  # noqa: E402

messages_path, terms_path, iterations = sys.argv[1], sys.argv[2], int(sys.argv[3])
builtin = os.path.join(HERE, "..", "..", "shared", "src", "stages", "moderation", "default_terms.txt")
started = time.process_time()
reference.configure(reference.load_terms(builtin, terms_path))
load_seconds = time.process_time() - started
with open(messages_path, encoding="utf-8") as f:
    messages = json.load(f)
for name, text in messages:
    reference.decide(text)  # warm-up
    started = time.process_time()
    for _ in range(iterations):
        reference.decide(text)
    per_message = (time.process_time() - started) / iterations
    print(json.dumps({"message": name, "ns": per_message * 1e9, "load_ms": load_seconds * 1e3}))
