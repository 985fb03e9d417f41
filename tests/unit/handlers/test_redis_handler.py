"""`/redis` command cards on pasted output, settings, and alert labels resolved to instances. Live servers and
a real Alertmanager webhook: tests/integration/test_redis_handler.py."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from bot.config import Settings
from core.cards import CardKind, CardStatus
from handlers.enrichers.registry import build_enrichers
from handlers.redis import RedisEnricher, handle_command, resolve_instances
from integrations.redis.config import RedisDiagnosisSettings
from tests.support.paths import TEST_DATA
from tests.support.redis_commands import command, settings_for
from tests.support.servers import free_port

DATA = TEST_DATA / "redis"


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
    assert any(s.command == "redis-cli -p 6379 INFO errorstats" for s in card.steps)  # tcp_port of the INFO
    assert card.field("version") == "6.2.14"
    assert "10.20.1.15" not in card.model_dump_json()  # slow-log client addresses never reach the card


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


def test_an_alert_about_a_redis_that_refuses_gets_a_finding_with_steps() -> None:
    from core.events import AlertGroup

    port = free_port()
    settings = settings_for(cache=f"redis://127.0.0.1:{port}/0")
    group = AlertGroup.model_validate({
        "version": "4", "groupKey": "{}:{alertname=\"RedisDown\"}", "status": "firing", "receiver": "opsbot",
        "commonLabels": {"alertname": "RedisDown", "severity": "critical", "instance": f"127.0.0.1:{port}"},
        "alerts": [{"status": "firing", "labels": {"alertname": "RedisDown", "severity": "critical",
                                                   "instance": f"127.0.0.1:{port}"},
                    "startsAt": "2026-12-01T08:00:00Z", "fingerprint": "f1"}]})
    enricher = RedisEnricher(settings.redis_diagnosis)
    assert enricher.applies(group)
    enrichment = enricher.collect(group)
    [finding] = enrichment.findings
    assert finding.code == "REDIS_UNREACHABLE" and finding.severity.value == "critical"
    assert finding.steps[0].command == f"redis-cli -h 127.0.0.1 -p {port} PING"
    assert enrichment.unavailable[0].source == "redis:cache"  # and the source line stays


def test_a_master_and_its_replica_pasted_together() -> None:
    """/redis with two INFO outputs in one paste: both sides are read, the replica's link leads."""
    text = (DATA / "info-7.0-primary.txt").read_text() + "\n" + (DATA / "info-7.0-replica-link-down.txt").read_text()
    card = handle_command(command(text), settings_for())
    assert card.findings[0].code == "REPLICA_LINK_DOWN"
    assert card.findings[0].explanation.startswith("Evidence: master=")  # each field named with its value
    assert "master_link_status=down" in card.findings[0].explanation
    whys = [s.why for s in card.steps]
    assert len(set(whys)) == len(whys)  # each step says what it shows for its finding


def test_fixes_pass_the_fix_parser_and_are_apart_from_steps() -> None:
    from handlers.shared.commands import check, check_fix

    text = (DATA / "info-6.2-primary-oom.txt").read_text() + (DATA / "slowlog-6.2.txt").read_text()
    card = handle_command(command(text), settings_for())
    assert card.fixes and all(check_fix(f.command, f.caution) is None for f in card.fixes)
    assert all(check(s.command) is None for s in card.steps)
    assert not {f.command for f in card.fixes} & {s.command for s in card.steps}
    maxmemory = next(f for f in card.fixes if "CONFIG SET maxmemory " in f.command)
    assert maxmemory.command == "redis-cli -p 6379 CONFIG SET maxmemory 2560mb" and maxmemory.caution
    assert maxmemory.doc is not None and (maxmemory.doc.url or "").startswith("https://redis.io/")
