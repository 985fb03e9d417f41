"""Chat end to end on real Redis with the real web and worker processes: slash commands from Slack
and Mattermost become a "working" card that is updated in place with the diagnosis; chat API
failures (429 with Retry-After, 500) are retried and the card is delivered exactly once."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib

from tests.chat_requests import (
    MATTERMOST_COMMAND_TOKEN,
    MATTERMOST_OUTGOING_TOKEN,
    SLACK_SIGNING_SECRET,
    mattermost_command,
    mattermost_headers,
    mattermost_outgoing,
    slack_command,
    slack_headers,
    slack_mention_event,
)
from tests.fakes import mattermost_api, slack_api
from tests.fakes.mattermost_api import FakeMattermost
from tests.fakes.slack_api import FakeSlack
from tests.servers import wait_until
from tests.stack import BotStack, bot_stack

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def slack() -> Iterator[FakeSlack]:
    with FakeSlack().run_in_thread() as fake:
        yield fake


@pytest.fixture(scope="module")
def mattermost() -> Iterator[FakeMattermost]:
    with FakeMattermost(team="ops", channels=("oncall",)).run_in_thread() as fake:
        yield fake


@pytest.fixture(scope="module")
def stack(redis_url: str, tmp_path_factory: pytest.TempPathFactory, slack: FakeSlack,
          mattermost: FakeMattermost) -> Iterator[BotStack]:
    redis_lib.Redis.from_url(redis_url).flushall()
    env = {"OPSBOT_SLACK__BOT_TOKEN": slack_api.BOT_TOKEN, "OPSBOT_SLACK__API_URL": slack.api_url,
           "OPSBOT_SLACK__SIGNING_SECRET": SLACK_SIGNING_SECRET,
           "OPSBOT_MATTERMOST__URL": mattermost.base_url, "OPSBOT_MATTERMOST__TOKEN": mattermost_api.BOT_TOKEN,
           "OPSBOT_MATTERMOST__TEAM": "ops",
           "OPSBOT_MATTERMOST__COMMAND_TOKENS": json.dumps([MATTERMOST_COMMAND_TOKEN]),
           "OPSBOT_MATTERMOST__OUTGOING_TOKENS": json.dumps([MATTERMOST_OUTGOING_TOKEN]),
           "OPSBOT_KNOWLEDGE__BUNDLED_RUNBOOKS": "false",
           "OPSBOT_ROUTING__DEFAULT_CHANNEL": "oncall"}
    with bot_stack(redis_url, tmp_path_factory.mktemp("chat-stack"), env) as running:
        yield running


def _in_channel(posts: list[dict[str, Any]], channel: str, since: float = 0.0) -> list[dict[str, Any]]:
    return [p for p in posts if p.get("channel", p.get("channel_id")) == channel and p["received_at"] >= since]


def test_slack_ceph_paste_posts_working_card_then_the_diagnosis(stack: BotStack, slack: FakeSlack) -> None:
    paste = (DATA / "ceph" / "health-detail-osd-down.txt").read_text()
    body = slack_command("/ceph", f"```\n{paste}\n```", channel_id="C0STORAGE")
    status, answer = stack.post_form("/slack/events", body, slack_headers(body))
    assert status == 200 and "working on it" in answer["text"]

    wait_until(lambda: _in_channel(slack.posts, "C0STORAGE"), timeout=20, what="working card")
    posted = _in_channel(slack.posts, "C0STORAGE")
    assert len(posted) == 1
    ts = posted[0]["ts"]
    wait_until(lambda: "OSD_DOWN" in json.dumps(slack.messages[("C0STORAGE", ts)]), timeout=30, what="diagnosis")
    # The working card is posted first unless the diagnosis was already done; either way one message.
    assert len(_in_channel(slack.posts, "C0STORAGE")) == 1


def test_mattermost_redis_paste_is_diagnosed_in_place(stack: BotStack, mattermost: FakeMattermost) -> None:
    channel = mattermost.channel_id("oncall")
    paste = (DATA / "redis" / "info-6.2-primary-oom.txt").read_text()
    body = mattermost_command("/redis", paste, channel)
    status, answer = stack.post_form("/mattermost/command", body, mattermost_headers())
    assert status == 200 and answer["response_type"] == "ephemeral"

    def current() -> dict[str, Any]:
        (post,) = _in_channel(mattermost.created, channel)
        return dict(mattermost.posts[post["id"]]["props"]["attachments"][0])

    wait_until(lambda: "OOM_WRITES_REJECTED" in json.dumps(current()), timeout=30, what="redis diagnosis")
    assert "Redis" in current()["title"]
    assert len(_in_channel(mattermost.created, channel)) == 1


def test_mentions_post_their_card_on_both_platforms(stack: BotStack, slack: FakeSlack,
                                                   mattermost: FakeMattermost) -> None:
    since = time.time()
    body = slack_mention_event("<@U0BOT001> help", channel_id="C0STORAGE")
    status, _ = stack.post_form("/slack/events", body, slack_headers(body, content_type="application/json"))
    assert status == 200
    wait_until(lambda: "what I can do" in json.dumps(_in_channel(slack.posts, "C0STORAGE", since)), timeout=30,
               what="help card for a Slack mention")

    channel = mattermost.channel_id("oncall")
    form = mattermost_outgoing("how do I restart an OSD?", channel, MATTERMOST_OUTGOING_TOKEN)
    status, _ = stack.post_form("/mattermost/mention", form, {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200

    def answered() -> bool:
        (post,) = _in_channel(mattermost.created, channel, since)
        return "nothing is indexed yet" in json.dumps(mattermost.posts[post["id"]])

    # No index in this stack: the answer card still arrives and says why it cannot answer.
    wait_until(answered, timeout=30, what="answer card for a Mattermost mention")


def test_slack_oncall_help_in_the_running_bot(stack: BotStack) -> None:
    body = slack_command("/oncall", "help")
    status, answer = stack.post_form("/slack/events", body, slack_headers(body))
    assert status == 200 and "/ceph" in json.dumps(answer["blocks"])
    status, _ = stack.post_form("/slack/events", body, slack_headers(body, secret="wrong"))
    assert status == 401


def test_chat_rate_limit_and_server_error_are_retried_and_delivered_once(
        stack: BotStack, slack: FakeSlack, mattermost: FakeMattermost, firing_payload: dict[str, Any]) -> None:
    slack.fail_next("chat.postMessage", 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "2"})
    mattermost.fail_next("/api/v4/posts", 500, {"id": "app.post.save.app_error", "message": "Unable to save the post.",
                                                "status_code": 500})
    firing_payload["groupKey"] = '{}:{alertname="RateLimitProbe"}'
    firing_payload["commonLabels"]["alertname"] = "RateLimitProbe"
    sent = time.time()
    assert stack.post_webhook(firing_payload) == "accepted"

    oncall = mattermost.channel_id("oncall")
    wait_until(lambda: _in_channel(slack.posts, "C0ONCALL1", sent), timeout=30, what="slack card after 429")
    wait_until(lambda: _in_channel(mattermost.created, oncall, sent), timeout=30, what="mattermost card after 500")
    time.sleep(1.0)  # anything duplicated would show up now
    slack_posts = _in_channel(slack.posts, "C0ONCALL1", sent)
    assert len(slack_posts) == 1
    assert slack_posts[0]["received_at"] - sent >= 2.0  # it waited the Retry-After Slack asked for
    assert len(slack.requests_to("chat.postMessage")) >= 2
    assert len(_in_channel(mattermost.created, oncall, sent)) == 1
    assert len(mattermost.requests_to("/api/v4/posts")) >= 2
