"""`/redis` command cards, settings, and Redis alerts enriched by a real Alertmanager webhook."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from pydantic import ValidationError

from bot.cards import CardKind, CardStatus
from bot.config import Settings
from bot.events import AlertGroup, Command, parse_alert_group
from handlers.enrichers import build_enrichers
from handlers.redis import RedisEnricher, handle_command, resolve_instances
from handlers.triage import enrich, enriched_card, first_card
from integrations.redis.config import RedisDiagnosisSettings
from tests.redis_states import client_of, info, running, server_in
from tests.servers import Proc, alertmanager_server, free_port, post_alerts, wait_until

DATA = Path(__file__).parent / "data" / "redis"


def settings_for(**instances: str) -> Settings:
    return Settings(knowledge={"enabled": False}, redis_diagnosis={
        "instances": {name: {"url": url, "timeout_s": 1.0} for name, url in instances.items()},
        "sample_interval_s": 0.2, "triage_sample_interval_s": 0.2,
    })


def command(text: str) -> Command:
    return Command(platform="mattermost", channel="oncall", user="alice", name="redis", text=text)


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


def test_pasted_output_card() -> None:
    text = "```\n" + (DATA / "info-6.2-primary-oom.txt").read_text() + (DATA / "slowlog-6.2.txt").read_text() + "```"
    card = handle_command(command(text), settings_for())
    assert card.kind is CardKind.diagnosis and card.status is CardStatus.done
    assert card.title == "Redis (pasted output): Writes rejected with OOM: 4908 since start at 2047.9 MiB of " \
                         "2048.0 MiB (noeviction)"
    assert card.severity.value == "critical" and card.summary.startswith("Fix: Writes fail with OOM")
    codes = [f.code for f in card.findings]
    assert codes[0] == "OOM_WRITES_REJECTED" and "SLOW_COMMANDS" in codes
    assert all(f.docs and f.docs[0].url for f in card.findings)
    assert all(f.evidence_refs == ["redis:pasted"] for f in card.findings)
    assert any(s.command == "redis-cli INFO errorstats" for s in card.steps)
    assert card.field("version") == "6.2.14"
    assert "10.20.1.15" not in card.model_dump_json()  # slow-log client addresses never reach the card


def test_live_command_with_focus(oom_server: Proc) -> None:
    card = handle_command(command("cache memory"), settings_for(cache=oom_server.url))
    # No write is refused while the bot samples, but the instance sits at its noeviction limit.
    assert card.title.startswith("Redis cache: At maxmemory under noeviction: writes fail with OOM (")
    assert card.findings[0].code == "OOM_WRITES_REJECTED" and card.text == "Symptom: memory"
    assert card.field("role") == "master" and card.field("policy") == "noeviction"
    assert card.footer.startswith("redis diagnosis · live, INFO sampled twice 0.2")
    assert "KEYS_IN_SLOWLOG" in [f.code for f in card.findings]


def test_usage_unknown_and_unreachable() -> None:
    settings = settings_for(cache=f"redis://127.0.0.1:{free_port()}/0")
    assert handle_command(command(""), settings).kind is CardKind.help
    unknown = handle_command(command("sessions"), settings)
    assert unknown.kind is CardKind.help and "Unknown Redis instance 'sessions' (configured: cache)" in unknown.summary
    down = handle_command(command("cache"), settings)
    assert down.status is CardStatus.degraded and down.unavailable[0].source == "redis:cache"
    garbage = handle_command(command("this is not\nredis output at all"), settings)
    assert garbage.kind is CardKind.help and "no Redis output recognised" in garbage.summary


def test_knowledge_about_the_findings_is_cited(monkeypatch: pytest.MonkeyPatch) -> None:
    import knowledge.service
    from knowledge.retrieval import SearchResult

    queries: list[str] = []

    class Retriever:  # stands in for the embedded index: this test covers the query and the citations
        def search(self, query: str, k: int) -> list[SearchResult]:
            queries.append(query)
            return [SearchResult(source="runbooks/redis-memory.md", title="Redis memory", section="noeviction",
                                 score=0.8, text="...", doc_type="runbook")]

    monkeypatch.setattr(knowledge.service, "index_exists", lambda settings: True)
    monkeypatch.setattr(knowledge.service, "get_retriever", lambda settings: Retriever())
    settings = settings_for().model_copy(update={"knowledge": Settings().knowledge})
    card = handle_command(command((DATA / "info-6.2-primary-oom.txt").read_text()), settings)
    assert queries and queries[0].startswith("Redis OOM_WRITES_REJECTED")
    assert [(c.source, c.section) for c in card.citations] == [("runbooks/redis-memory.md", "noeviction")]


def test_settings_from_environment_mask_the_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSBOT_REDIS_DIAGNOSIS__INSTANCES__cache__URL", "redis://app:s3cret@10.0.0.5:6379/0")
    monkeypatch.setenv("OPSBOT_REDIS_DIAGNOSIS__THRESHOLDS__REPLICA_LAG_S", "30")
    settings = Settings()
    cache = settings.redis_diagnosis.instances["cache"]
    assert cache.url == "redis://10.0.0.5:6379/0" and cache.username == "app"
    assert cache.password is not None and cache.password.get_secret_value() == "s3cret"
    assert settings.redis_diagnosis.thresholds.replica_lag_s == 30
    assert "s3cret" not in json.dumps(settings.model_dump(mode="json"))
    monkeypatch.setenv("OPSBOT_REDIS_DIAGNOSIS__INSTANCES__cache__PASWORD", "typo")
    with pytest.raises(ValidationError, match="pasword"):
        Settings()
    assert any(isinstance(e, RedisEnricher) for e in build_enrichers(settings))


def test_alert_labels_resolve_to_instances() -> None:
    config = RedisDiagnosisSettings.model_validate({"instances": {
        "cache": {"url": "redis://10.0.0.5:6379/0", "aliases": ["redis-exporter-cache:9121"]},
        "queue": {"url": "rediss://queue.internal:6380"}}})
    assert resolve_instances({"instance": "redis://10.0.0.5:6379"}, config) == ["cache"]
    assert resolve_instances({"instance": "redis-exporter-cache:9121"}, config) == ["cache"]
    assert resolve_instances({"redis_instance": "queue"}, config) == ["queue"]
    assert resolve_instances({"instance": "queue.internal:6380"}, config) == ["queue"]
    assert resolve_instances({"instance": "10.0.0.9:9100", "pod": "cache"}, config) == []


# --- a real Alertmanager webhook -> triage card with the live Redis diagnosis ---------------------

@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, asyncio.Queue[bytes]]]:
    received: asyncio.Queue[bytes] = asyncio.Queue()

    async def hook(request: web.Request) -> web.Response:
        await received.put(await request.read())
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}/hook", received
    await runner.cleanup()


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
    assert any(s.command == "redis-cli INFO errorstats" for s in oom_card.steps)
    assert "redis" in oom_card.footer and oom_card.unavailable == []

    enrichment = enrich(down_group, enrichers, per_source_s=5, total_s=8)
    assert enrichment.findings == [] and enrichment.evidence[0].error
    down_card = enriched_card(first_card(down_group), enrichment)
    assert down_card.unavailable[0].source == "redis:sessions"
    assert "onnect" in down_card.unavailable[0].reason

    assert not any(e.applies(other_group) for e in enrichers)
