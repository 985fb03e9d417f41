"""Inbound requests as Slack and Mattermost send them (documented field sets), for ingress tests."""

from __future__ import annotations

import json
import time
import uuid
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

SLACK_SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
MATTERMOST_COMMAND_TOKEN = "xr3j5x3p4pfk7kk6ck7b4e6ghh"
MATTERMOST_OUTGOING_TOKEN = "8ecm9wtjdpg1jxqm5p1n4dy1fr"


def slack_command(command: str, text: str, channel_id: str = "C0ONCALL1") -> str:
    """The form body of a Slack slash command (https://api.slack.com/interactivity/slash-commands)."""
    return urlencode({
        "token": "gIkuvaNzQIHg97ATvDxqgjtO", "team_id": "T0FAKE01", "team_domain": "fake",
        "enterprise_id": "", "enterprise_name": "", "channel_id": channel_id, "channel_name": "oncall",
        "user_id": "U2147483697", "user_name": "alice", "command": command, "text": text,
        "api_app_id": "A123456", "is_enterprise_install": "false",
        "response_url": "https://hooks.slack.com/commands/1234/5678", "trigger_id": f"13345224609.{uuid.uuid4().hex}",
    })


def slack_headers(body: str, secret: str = SLACK_SIGNING_SECRET, timestamp: int | None = None,
                  content_type: str = "application/x-www-form-urlencoded") -> dict[str, str]:
    ts = str(timestamp if timestamp is not None else int(time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature or "", "Content-Type": content_type}


def mattermost_command(command: str, text: str, channel_id: str, token: str = MATTERMOST_COMMAND_TOKEN) -> str:
    """The form body of a Mattermost slash command
    (https://developers.mattermost.com/integrate/slash-commands/custom/)."""
    return urlencode({
        "channel_id": channel_id, "channel_name": "oncall", "command": command,
        "response_url": "http://mattermost.example.internal/hooks/commands/abc", "team_domain": "ops",
        "team_id": "rdc9bgriktyx9p4kowh3dmgqyc", "text": text, "token": token,
        "trigger_id": uuid.uuid4().hex, "user_id": "q5s2f1m1tbrm8e1ckzy4dpyk1o", "user_name": "alice",
    })


def mattermost_headers(token: str = MATTERMOST_COMMAND_TOKEN) -> dict[str, str]:
    return {"Authorization": f"Token {token}", "Content-Type": "application/x-www-form-urlencoded"}


def slack_mention_event(text: str, channel_id: str = "C0ONCALL1", event_id: str | None = None) -> str:
    """An Events API `app_mention` callback (https://api.slack.com/events/app_mention), as JSON."""
    ts = f"{time.time():.6f}"
    return json.dumps({
        "token": "gIkuvaNzQIHg97ATvDxqgjtO", "team_id": "T0FAKE01", "api_app_id": "A123456",
        "event": {"type": "app_mention", "user": "U2147483697", "text": text, "ts": ts, "channel": channel_id,
                  "event_ts": ts},
        "type": "event_callback", "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(time.time()), "authorizations": [{"team_id": "T0FAKE01", "user_id": "U0BOT001",
                                                            "is_bot": True}],
    })


def mattermost_outgoing(text: str, channel_id: str, token: str, trigger_word: str = "@opsbot",
                        post_id: str | None = None) -> str:
    """An outgoing-webhook post (https://developers.mattermost.com/integrate/webhooks/outgoing/)."""
    return urlencode({
        "token": token, "team_id": "rdc9bgriktyx9p4kowh3dmgqyc", "team_domain": "ops", "channel_id": channel_id,
        "channel_name": "oncall", "timestamp": str(int(time.time() * 1000)), "user_id": "q5s2f1m1tbrm8e1ckzy4dpyk1o",
        "user_name": "alice", "post_id": post_id or uuid.uuid4().hex[:26], "text": f"{trigger_word} {text}",
        "trigger_word": trigger_word, "file_ids": "",
    })
