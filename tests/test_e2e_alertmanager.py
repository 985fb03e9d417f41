"""End to end on real parts: Alertmanager -> web -> Celery on Redis/Valkey -> console card, resolved in place."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.servers import alertmanager_server, post_alerts, redis_server
from tests.stack import BotStack, bot_stack

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
        from bot.embedded import EmbeddedValkey

        valkey = EmbeddedValkey(tmp_path)
        yield valkey.start()
        valkey.stop()


@pytest.fixture
def stack(broker_url: str, tmp_path: Path) -> Iterator[BotStack]:
    env = {"OPSBOT_WEBHOOK_AUTH__BEARER_TOKEN": TOKEN}
    with bot_stack(broker_url, tmp_path / "data", env) as running:
        yield running


def test_alertmanager_fires_then_resolves_one_card_updated_in_place(stack: BotStack, tmp_path: Path) -> None:
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

    # Worker-side metrics reach the web's /metrics through Redis.
    with urllib.request.urlopen(f"{stack.web_url}/metrics", timeout=5) as resp:
        metrics = resp.read().decode()
    assert 'opsbot_webhook_to_first_card_seconds_count{platform="console"} 1.0' in metrics
    assert 'opsbot_tasks_total{state="succeeded",task="deliver_card"}' in metrics
    assert 'opsbot_cards_total{action="post",platform="console"} 1.0' in metrics
    assert 'opsbot_webhook_requests_total{outcome="accepted"}' in metrics
