"""Chat end to end on real Redis with the real web and worker processes: slash commands from Slack
and Mattermost become a "working" card that is updated in place with the diagnosis; chat API
failures (429 with Retry-After, 500) are retried and the card is delivered exactly once."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis as redis_lib

from tests.support.chat_requests import (
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
from tests.support.fakes import mattermost_api, slack_api
from tests.support.fakes.mattermost_api import FakeMattermost
from tests.support.fakes.opensearch_api import FakeOpenSearch
from tests.support.fakes.slack_api import FakeSlack
from tests.support.log_cases import MAPPINGS
from tests.support.paths import TEST_DATA
from tests.support.servers import free_port, wait_until
from tests.support.stack import BotStack, bot_stack

DATA = TEST_DATA


@pytest.fixture(scope="module")
def slack() -> Iterator[FakeSlack]:
    with FakeSlack().run_in_thread() as fake:
        yield fake


@pytest.fixture(scope="module")
def mattermost() -> Iterator[FakeMattermost]:
    with FakeMattermost(team="ops", channels=("oncall",)).run_in_thread() as fake:
        yield fake


@pytest.fixture(scope="module")
def opensearch() -> Iterator[FakeOpenSearch]:
    with FakeOpenSearch().run_in_thread() as fake:
        fake.mappings = {"nginx-*": MAPPINGS["nginx"]}
        now = datetime.now(UTC)
        fake.documents = [{"@timestamp": (now - timedelta(minutes=m)).isoformat(), "message": f"GET /cart {status}",
                           "http": {"response": {"status_code": status}}, "url": {"domain": "api.example.com"},
                           "client": {"ip": "10.0.0.7"}} for m, status in ((5, 502), (9, 200), (15, 503))]
        yield fake


@pytest.fixture(scope="module")
def stack(redis_url: str, tmp_path_factory: pytest.TempPathFactory, slack: FakeSlack,
          mattermost: FakeMattermost, opensearch: FakeOpenSearch) -> Iterator[BotStack]:
    redis_lib.Redis.from_url(redis_url).flushall()
    port = free_port()  # known before start: Mattermost buttons call back to the public URL
    env = {"OPSBOT_WEB__PORT": str(port), "OPSBOT_WEB__PUBLIC_URL": f"http://127.0.0.1:{port}",
           "OPSBOT_MATTERMOST__ACTION_SECRET": "e2e-action-secret",
           "OPSBOT_SLACK__BOT_TOKEN": slack_api.BOT_TOKEN, "OPSBOT_SLACK__API_URL": slack.api_url,
           "OPSBOT_SLACK__SIGNING_SECRET": SLACK_SIGNING_SECRET,
           "OPSBOT_MATTERMOST__URL": mattermost.base_url, "OPSBOT_MATTERMOST__TOKEN": mattermost_api.BOT_TOKEN,
           "OPSBOT_MATTERMOST__TEAM": "ops",
           "OPSBOT_MATTERMOST__COMMAND_TOKENS": json.dumps([MATTERMOST_COMMAND_TOKEN]),
           "OPSBOT_MATTERMOST__OUTGOING_TOKENS": json.dumps([MATTERMOST_OUTGOING_TOKEN]),
           "OPSBOT_KNOWLEDGE__BUNDLED_RUNBOOKS": "false",
           "OPSBOT_OPENSEARCH__URL": opensearch.base_url, "OPSBOT_OPENSEARCH__INDEX_PATTERN": "nginx-*",
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
    question = "@opsbot how do I restart an OSD?"
    asked = mattermost.add_human_post(channel, "u-alice", question)
    form = mattermost_outgoing(question.removeprefix("@opsbot "), channel, MATTERMOST_OUTGOING_TOKEN, post_id=asked)
    status, _ = stack.post_form("/mattermost/mention", form, {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200

    def answered() -> bool:
        (post,) = _in_channel(mattermost.created, channel, since)
        return "nothing is indexed yet" in json.dumps(mattermost.posts[post["id"]])

    # No index in this stack: the answer card still arrives and says why it cannot answer.
    wait_until(answered, timeout=30, what="answer card for a Mattermost mention")
    (answer,) = _in_channel(mattermost.created, channel, since)
    assert answer["root_id"] == asked  # in the thread of the message that asked


def test_slack_logs_question_gets_the_query_and_its_hits(stack: BotStack, slack: FakeSlack) -> None:
    since = time.time()
    body = slack_command("/logs", "5xx for api.example.com in the last hour", channel_id="C0STORAGE")
    status, answer = stack.post_form("/slack/events", body, slack_headers(body))
    assert status == 200 and "working on it" in answer["text"]

    def card() -> str:
        (posted,) = _in_channel(slack.posts, "C0STORAGE", since)
        return json.dumps(slack.messages[("C0STORAGE", posted["ts"])])

    wait_until(lambda: "http.response.status_code" in card(), timeout=30, what="logs card")
    assert "GET /cart 502" in card() and "GET /cart 503" in card() and "GET /cart 200" not in card()


def test_slack_oncall_help_in_the_running_bot(stack: BotStack) -> None:
    body = slack_command("/oncall", "help")
    status, answer = stack.post_form("/slack/events", body, slack_headers(body))
    assert status == 200 and "/ceph" in json.dumps(answer["blocks"])
    status, _ = stack.post_form("/slack/events", body, slack_headers(body, secret="wrong"))
    assert status == 401


def test_chat_rate_limit_and_server_error_are_retried_and_delivered_once(
        stack: BotStack, slack: FakeSlack, mattermost: FakeMattermost, firing_payload: dict[str, Any]) -> None:
    # Only this test's card fails: other tests' late deliveries must not take the injected errors.
    slack.fail_next("chat.postMessage", 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "2"},
                    body_contains="RateLimitProbe")
    mattermost.fail_next("/api/v4/posts", 500, {"id": "app.post.save.app_error", "message": "Unable to save the post.",
                                                "status_code": 500}, body_contains="RateLimitProbe")
    firing_payload["groupKey"] = '{}:{alertname="RateLimitProbe"}'
    firing_payload["commonLabels"]["alertname"] = "RateLimitProbe"
    firing_payload["commonAnnotations"]["summary"] = "RateLimitProbe is firing"
    firing_payload["alerts"][0]["annotations"]["summary"] = "RateLimitProbe is firing"
    sent = time.time()
    assert stack.post_webhook(firing_payload) == "accepted"

    oncall = mattermost.channel_id("oncall")
    wait_until(lambda: _in_channel(slack.posts, "C0ONCALL1", sent), timeout=30, what="slack card after 429")
    wait_until(lambda: _in_channel(mattermost.created, oncall, sent), timeout=30, what="mattermost card after 500")
    time.sleep(1.0)  # anything duplicated would show up now
    slack_posts = _in_channel(slack.posts, "C0ONCALL1", sent)
    assert len(slack_posts) == 1
    # It waited the Retry-After Slack asked for, even though another delivery for the same card
    # (the enrichment's update) was queued meanwhile: the wait holds for the whole platform.
    assert slack_posts[0]["received_at"] - sent >= 2.0
    assert len(slack.requests_to("chat.postMessage")) >= 2
    assert len(_in_channel(mattermost.created, oncall, sent)) == 1
    assert len(mattermost.requests_to("/api/v4/posts")) >= 2


def _probe_alert(payload: dict[str, Any], name: str, pod: str, *, resolved: bool = False) -> dict[str, Any]:
    payload["groupKey"] = f'{{}}:{{alertname="{name}", pod="{pod}"}}'
    payload["status"] = "resolved" if resolved else "firing"
    for labels in (payload["commonLabels"], payload["groupLabels"], payload["alerts"][0]["labels"]):
        labels.update(alertname=name, pod=pod)
    for notes in (payload["commonAnnotations"], payload["alerts"][0]["annotations"]):
        notes["summary"] = f"{name} on {pod}"
    alert = payload["alerts"][0]
    alert["status"] = payload["status"]
    alert["fingerprint"] = f"{abs(hash((name, pod))):016x}"[:16]
    if resolved:
        alert["endsAt"] = "2026-11-22T13:36:16.272Z"
    return payload


def test_resolve_wraps_up_in_the_thread_and_the_draft_button_writes_a_seen_before_postmortem(
        stack: BotStack, mattermost: FakeMattermost, firing_payload: dict[str, Any]) -> None:
    channel = mattermost.channel_id("oncall")
    since = time.time()
    firing = _probe_alert(json.loads(json.dumps(firing_payload)), "WrapUpProbe", "api-1")
    assert stack.post_webhook(firing) == "accepted"
    wait_until(lambda: _in_channel(mattermost.created, channel, since), timeout=30, what="firing card")
    (root,) = _in_channel(mattermost.created, channel, since)
    mattermost.add_human_reply(root["id"], "u-alice", "rolled back api to v41, errors stopped")

    # A mention in the card's thread is answered there, about this incident.
    question = "@opsbot what is going on here?"
    asked = mattermost.add_human_reply(root["id"], "u-bob", question)
    form = mattermost_outgoing(question.removeprefix("@opsbot "), channel, MATTERMOST_OUTGOING_TOKEN, post_id=asked)
    status, _ = stack.post_form("/mattermost/mention", form, {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200

    def bot_replies(prefix: str) -> list[dict[str, Any]]:
        return [p for p in mattermost.thread(root["id"])
                if prefix in json.dumps(mattermost.posts[p["id"]], ensure_ascii=False)]

    wait_until(lambda: bot_replies("About this incident (WrapUpProbe on api-1"), timeout=30,
               what="incident answer in the thread")

    resolved = _probe_alert(json.loads(json.dumps(firing_payload)), "WrapUpProbe", "api-1", resolved=True)
    assert stack.post_webhook(resolved) == "accepted"
    wait_until(lambda: bot_replies("Resolved after"), timeout=30, what="wrap-up in the thread")
    (summary,) = bot_replies("Resolved after")
    assert summary["message"].startswith("Resolved after 30m")
    assert "rolled back api to v41" in summary["message"]  # what was tried, from the thread

    # The resolved card carries the button; press it as Mattermost would, with the context it signed.
    attachment = mattermost.posts[root["id"]]["props"]["attachments"][0]
    (button,) = [a for a in attachment["actions"] if a["integration"]["context"]["action"] == "draft_postmortem"]
    assert button["name"] == "Draft post-mortem"  # beside the feedback buttons
    press = {"user_id": "u-alice", "user_name": "alice", "channel_id": channel, "post_id": root["id"],
             "trigger_id": "tr-draft", "type": "", "context": button["integration"]["context"]}
    status, answer = stack.post_form("/mattermost/action", json.dumps(press), {"Content-Type": "application/json"})
    assert status == 200 and "ephemeral_text" in answer
    wait_until(lambda: bot_replies("Post-mortem draft"), timeout=90, what="draft note")
    note = bot_replies("Post-mortem draft")[0]["message"]
    assert "Post-mortem draft (asked by alice)" in note and "knowledge base now" in note
    (draft,) = (stack.data_dir / "postmortem-drafts").glob("*.md")
    text = draft.read_text()
    assert text.startswith("---\n") and "doc_type: postmortem" in text and "WrapUpProbe" in text

    # The same alert elsewhere: its card links the draft as seen before.
    since = time.time()
    again = _probe_alert(json.loads(json.dumps(firing_payload)), "WrapUpProbe", "api-2")
    assert stack.post_webhook(again) == "accepted"

    def seen_before() -> bool:
        posts = _in_channel(mattermost.created, channel, since)
        return bool(posts) and "Seen before" in json.dumps(mattermost.posts[posts[0]["id"]])

    wait_until(seen_before, timeout=60, what="seen-before citation on the next card")
