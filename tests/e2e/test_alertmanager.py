"""End to end on real parts: Alertmanager -> web -> Celery on Redis/Valkey -> cards on Slack (fake Web API
through slack_sdk), Mattermost (fake REST API v4 through mattermostdriver) and the console, resolved in place."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.cards import RESOLVED_COLOR
from tests.support.fakes import mattermost_api, slack_api
from tests.support.fakes.mattermost_api import FakeMattermost
from tests.support.fakes.slack_api import FakeSlack
from tests.support.servers import alertmanager_server, post_alerts, redis_server, wait_until
from tests.support.stack import BotStack, bot_stack

TOKEN = "am-webhook-token-123"


def _alert(name: str, pod: str, *, ends: datetime | None = None) -> dict[str, Any]:
    alert: dict[str, Any] = {
        "labels": {"alertname": name, "namespace": "shop", "pod": pod, "severity": "critical", "team": "sre"},
        "annotations": {"summary": f"Pod shop/{pod} is crash looping", "description": "restarted 4 times",
                        "runbook_url": "https://runbooks.example.internal/k8s/crashloop"},
        "generatorURL": "http://prometheus.example.internal/graph?g0.expr=up",
        "startsAt": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
    }
    if ends is not None:
        alert["endsAt"] = ends.isoformat()
    return alert


def _actions(events: list[dict[str, Any]], action: str) -> list[dict[str, Any]]:
    return [e for e in events if e["action"] == action]


@pytest.fixture(params=["redis-server", "embedded-valkey"])
def broker_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "redis-server":
        with redis_server(tmp_path) as server:
            yield server.url
    else:
        from bot.embedded_valkey import EmbeddedValkey

        valkey = EmbeddedValkey(tmp_path)
        yield valkey.start()
        valkey.stop()


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack().run_in_thread() as fake:
        yield fake


@pytest.fixture
def mattermost() -> Iterator[FakeMattermost]:
    with FakeMattermost(team="ops", channels=("oncall",)).run_in_thread() as fake:
        yield fake


@pytest.fixture
def stack(broker_url: str, tmp_path: Path, slack: FakeSlack, mattermost: FakeMattermost) -> Iterator[BotStack]:
    env = {"OPSBOT_WEBHOOK_AUTH__BEARER_TOKEN": TOKEN, "OPSBOT_CONSOLE__ENABLED": "on",
           "OPSBOT_SLACK__BOT_TOKEN": slack_api.BOT_TOKEN, "OPSBOT_SLACK__API_URL": slack.api_url,
           "OPSBOT_MATTERMOST__URL": mattermost.base_url, "OPSBOT_MATTERMOST__TOKEN": mattermost_api.BOT_TOKEN,
           "OPSBOT_MATTERMOST__TEAM": "ops"}
    with bot_stack(broker_url, tmp_path / "data", env) as running:
        yield running


def test_alertmanager_fires_then_resolves_one_card_updated_in_place(
        stack: BotStack, tmp_path: Path, slack: FakeSlack, mattermost: FakeMattermost) -> None:
    am_dir = tmp_path / "am"
    am_dir.mkdir()
    with alertmanager_server(am_dir, f"{stack.web_url}/webhook/alertmanager", bearer_token=TOKEN) as am:
        post_alerts(am.url, [_alert("KubePodCrashLooping", "checkout-1")])
        events = stack.wait_for_events(lambda ev: len(_actions(ev, "post")) >= 1)
        post = _actions(events, "post")[0]
        assert post["platform"] == "console"
        assert post["channel"] == "oncall"
        card = post["card"]
        assert card["kind"] == "triage" and card["status"] == "firing"
        assert card["title"] == "Pod shop/checkout-1 is crash looping"
        assert {f["name"]: f["value"] for f in card["fields"]}["pod"] == "checkout-1"
        links = {link["title"]: link["url"] for link in card["links"]}
        assert links["Runbook"] == "https://runbooks.example.internal/k8s/crashloop"
        assert links["Silence"].startswith(f"{am.url}/#/silences/new?filter=")

        # A second alert joins the group: the same post is updated, no new card.
        post_alerts(am.url, [_alert("KubePodCrashLooping", "checkout-2")])
        events = stack.wait_for_events(lambda ev: any("2 firing" in str(u["card"]) for u in _actions(ev, "update")))
        assert len(_actions(events, "post")) == 1

        # Both resolve: the card is updated in place and a note goes to its thread.
        ended = datetime.now(UTC)
        post_alerts(am.url, [_alert("KubePodCrashLooping", p, ends=ended) for p in ("checkout-1", "checkout-2")])
        events = stack.wait_for_events(lambda ev: len(_actions(ev, "reply")) >= 1)
        assert len(_actions(events, "post")) == 1
        final = _actions(events, "update")[-1]
        assert final["post_id"] == post["post_id"]
        assert final["card"]["status"] == "resolved"
        assert any(f["name"] == "duration" for f in final["card"]["fields"])
        reply = _actions(events, "reply")[0]
        assert reply["thread_id"] == post["post_id"]
        assert reply["text"].startswith("Resolved after")

        # Slack: one message in #oncall, updated in place to resolved, the note in its thread.
        wait_until(lambda: len(slack.posts) >= 2, what="slack thread reply")
        root, note = slack.posts
        assert root["channel"] == "C0ONCALL1" and "thread_ts" not in root
        assert root["blocks"][0]["type"] == "header" and "checkout-1" in root["blocks"][0]["text"]["text"]
        assert note["thread_ts"] == root["ts"] and note["text"].startswith("Resolved after")
        wait_until(lambda: "resolved" in json.dumps(slack.messages[("C0ONCALL1", root["ts"])]).lower(),
                   what="slack card resolved")
        assert {u["ts"] for u in slack.updates} == {root["ts"]}

        # Mattermost: one post in ~oncall with an attachment, patched in place, the note as a reply.
        wait_until(lambda: len(mattermost.created) >= 2, what="mattermost thread reply")
        root_post, reply_post = mattermost.created
        assert root_post["channel_id"] == mattermost.channel_id("oncall") and root_post["root_id"] == ""
        assert root_post["props"]["attachments"][0]["color"]
        assert reply_post["root_id"] == root_post["id"] and reply_post["message"].startswith("Resolved after")
        assert {p["id"] for p in mattermost.patches} == {root_post["id"]}
        final_attachment = mattermost.posts[root_post["id"]]["props"]["attachments"][0]
        assert final_attachment["color"] == RESOLVED_COLOR

    # Worker-side metrics reach the web's /metrics through Redis.
    with urllib.request.urlopen(f"{stack.web_url}/metrics", timeout=5) as resp:
        metrics = resp.read().decode()
    assert 'opsbot_webhook_to_first_card_seconds_count{platform="console"} 1.0' in metrics
    assert 'opsbot_tasks_total{state="succeeded",task="deliver_card"}' in metrics
    for platform in ("console", "slack", "mattermost"):
        assert f'opsbot_cards_total{{action="post",platform="{platform}"}} 1.0' in metrics
    assert 'opsbot_webhook_requests_total{outcome="accepted"}' in metrics
