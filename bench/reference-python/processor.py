"""A Python channel-flow processor driven by the Lambda Runtime API (what Lambda's Python runtime does
for a handler), run by `chime-local run-bootstrap --runner python3` exactly like the Rust bootstraps.
Init: imports, the word list, one boto3 client. Per event: decide, call back once, answer.
"""

import json
import os
import sys
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import boto3  # noqa: E402

import reference  # noqa: E402

API = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"
BUILTIN = os.environ.get(
    "BUILTIN_TERMS_FILE",
    os.path.join(HERE, "..", "..", "shared", "src", "stages", "moderation", "default_terms.txt"),
)

reference.configure(reference.load_terms(BUILTIN, os.environ.get("DENY_TERMS_FILE")))
chime = boto3.client("chime-sdk-messaging")


def handle(event):
    message = event["ChannelMessage"]
    callback = {"CallbackId": event["CallbackId"], "ChannelArn": message["ChannelArn"]}
    sent = {"MessageId": message["MessageId"]}
    if message.get("SubChannelId"):
        sent["SubChannelId"] = message["SubChannelId"]
    verdict, result = reference.decide(message.get("Content", ""))
    if verdict == "deny":
        callback["DeleteResource"] = True
    else:
        content, attributes = result
        sent["Content"] = content
        sent["MessageAttributes"] = {k: {"StringValues": v} for k, v in attributes.items()}
    callback["ChannelMessage"] = sent
    chime.channel_flow_callback(**callback)
    return {"decision": verdict}


while True:
    with urllib.request.urlopen(API + "/invocation/next") as response:
        request_id = response.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(response.read())
    try:
        body, path = json.dumps(handle(event)).encode(), "/response"
    except Exception as error:  # the runtime reports, Lambda retries
        body = json.dumps({"errorType": type(error).__name__, "errorMessage": str(error)}).encode()
        path = "/error"
    urllib.request.urlopen(
        urllib.request.Request(API + "/invocation/" + request_id + path, data=body, method="POST")
    ).close()
