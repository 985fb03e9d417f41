"""`/redis` on a live redis-server, and Redis alerts enriched through a real Alertmanager webhook."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.events import AlertGroup, parse_alert_group
from handlers.enrichers.registry import build_enrichers
from handlers.redis import handle_command
from handlers.triage import enrich, enriched_card, first_card
from tests.support.redis_commands import command, settings_for
from tests.support.redis_states import client_of, info, running, server_in
from tests.support.servers import Proc, alertmanager_server, free_port, post_alerts, wait_until, webhook_queue


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("redis-handler")


@pytest.fixture(scope="module")
def oom_server(workdir: Path) -> Iterator[Proc]:
    """noeviction at a 2 MB limit with writes being refused."""
    with server_in(workdir, "oom", "--maxmemory", "2mb", "--maxmemory-policy", "noeviction",
                   "--slowlog-log-slower-than", "0") as server:
        client = client_of(server)
        counter = iter(range(10**9))
        with running(lambda: client.set(f"k{next(counter)}", "x" * 1000), duration_s=2):
            wait_until(lambda: "errorstat_OOM" in info(server, "errorstats"), what="OOM errors")
        client.keys("k1*")
        client.close()
        yield server


def test_live_command_with_focus(oom_server: Proc) -> None:
    card = handle_command(command("cache memory"), settings_for(cache=oom_server.url))
    # No write is refused while the bot samples, but the instance sits at its noeviction limit.
    assert card.title.startswith("Redis cache: At maxmemory under noeviction: writes fail with OOM (")
    assert card.findings[0].code == "OOM_WRITES_REJECTED" and card.text == "Symptom: memory"
    assert card.field("role") == "master" and card.field("policy") == "noeviction"
    assert card.footer.startswith("redis diagnosis · live, INFO sampled twice 0.2")
    assert "KEYS_IN_SLOWLOG" in [f.code for f in card.findings]


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, asyncio.Queue[bytes]]]:
    async with webhook_queue("/hook") as hook:
        yield hook


def redis_alert(name: str, instance: str) -> dict[str, Any]:
    return {"labels": {"alertname": name, "instance": instance, "job": "redis-exporter", "severity": "critical",
                       "namespace": "cache"},
            "annotations": {"summary": f"{name} on {instance}"},
            "startsAt": (datetime.now(UTC) - timedelta(minutes=2)).isoformat()}


async def groups_by_name(received: asyncio.Queue[bytes], count: int) -> dict[str, AlertGroup]:
    groups: dict[str, AlertGroup] = {}
    while len(groups) < count:  # Alertmanager sends the groups in any order
        group = parse_alert_group(await asyncio.wait_for(received.get(), timeout=20))
        groups[group.alertname] = group
    return groups


async def test_redis_alert_gets_live_diagnosis(receiver: tuple[str, asyncio.Queue[bytes]], oom_server: Proc,
                                               tmp_path: Path) -> None:
    url, received = receiver
    down_url = f"redis://127.0.0.1:{free_port()}"
    settings = settings_for(cache=oom_server.url, sessions=f"{down_url}/0")
    enrichers = build_enrichers(settings)
    with alertmanager_server(tmp_path, url) as am:
        post_alerts(am.url, [redis_alert("RedisOutOfMemory", f"redis://127.0.0.1:{oom_server.port}"),
                             redis_alert("RedisDown", down_url)])
        post_alerts(am.url, [{"labels": {"alertname": "KubePodCrashLooping", "namespace": "shop", "pod": "api-1"},
                              "startsAt": datetime.now(UTC).isoformat()}])
        groups = await groups_by_name(received, 3)
    oom_group, down_group = groups["RedisOutOfMemory"], groups["RedisDown"]
    other_group = groups["KubePodCrashLooping"]

    oom_enrichment = enrich(oom_group, enrichers, per_source_s=5, total_s=8)
    (evidence,) = oom_enrichment.evidence
    assert evidence.id == "redis:cache" and "OOM_WRITES_REJECTED (critical)" in evidence.text
    assert evidence.data["primary"] == "OOM_WRITES_REJECTED" and "MEMORY DOCTOR" in evidence.data["reports"]
    oom_card = enriched_card(first_card(oom_group), oom_enrichment)
    assert oom_card.findings[0].code == "OOM_WRITES_REJECTED" and oom_card.findings[0].severity.value == "critical"
    assert oom_card.findings[0].evidence_refs == ["redis:cache"]
    where = f"-h 127.0.0.1 -p {oom_server.port}"  # the configured instance's address on every step and fix
    assert any(s.command == f"redis-cli {where} INFO errorstats" for s in oom_card.steps)
    assert any(f.command.startswith(f"redis-cli {where} CONFIG SET maxmemory") for f in oom_card.fixes)
    assert "redis" in oom_card.footer and oom_card.unavailable == []

    enrichment = enrich(down_group, enrichers, per_source_s=5, total_s=8)
    assert [f.code for f in enrichment.findings] == ["REDIS_UNREACHABLE"] and enrichment.evidence[0].error
    down_card = enriched_card(first_card(down_group), enrichment)
    assert down_card.unavailable[0].source == "redis:sessions"
    assert down_card.findings[0].steps and "PING" in down_card.findings[0].steps[0].command
    assert "onnect" in down_card.unavailable[0].reason

    assert not any(e.applies(other_group) for e in enrichers)
