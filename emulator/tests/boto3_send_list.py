"""boto3 against chime-local: create an app instance, a user and a channel, send a message, list it,
and get a typed error back. Usage: python3 boto3_send_list.py ENDPOINT ACCESS_KEY SECRET_KEY"""

import json
import sys

import boto3

endpoint, key, secret = sys.argv[1:4]
session = dict(
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id=key,
    aws_secret_access_key=secret,
)
identity = boto3.client("chime-sdk-identity", **session)
messaging = boto3.client("chime-sdk-messaging", **session)

instance = identity.create_app_instance(Name="boto3")["AppInstanceArn"]
user = identity.create_app_instance_user(
    AppInstanceArn=instance, AppInstanceUserId="py", Name="Py Thon"
)["AppInstanceUserArn"]
channel = messaging.create_channel(AppInstanceArn=instance, Name="py", ChimeBearer=user)[
    "ChannelArn"
]
sent = messaging.send_channel_message(
    ChannelArn=channel,
    Content="hello from boto3 👋",
    Type="STANDARD",
    Persistence="PERSISTENT",
    ChimeBearer=user,
)
listed = messaging.list_channel_messages(ChannelArn=channel, ChimeBearer=user, MaxResults=10)
try:
    messaging.send_channel_message(
        ChannelArn=channel,
        Content="x" * 4097,
        Type="STANDARD",
        Persistence="PERSISTENT",
        ChimeBearer=user,
    )
    typed_error = None
except messaging.exceptions.BadRequestException as error:
    typed_error = error.response["Error"]["Message"]

print(
    json.dumps(
        {
            "status": sent["Status"]["Value"],
            "contents": [m["Content"] for m in listed["ChannelMessages"]],
            "sender": listed["ChannelMessages"][0]["Sender"]["Name"],
            "created_is_datetime": hasattr(listed["ChannelMessages"][0]["CreatedTimestamp"], "year"),
            "typed_error": typed_error,
        },
        ensure_ascii=False,
    )
)
