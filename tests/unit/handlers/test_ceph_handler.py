"""/ceph and the triage enricher on pasted output and configuration (no cluster); `opsbot ceph diagnose`
as a process is in tests/e2e/test_ceph_cli.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.config import ConfigError, Settings, load_settings
from core.cards import CardKind, CardStatus
from core.events import AlertGroup, Command
from core.models import Severity
from handlers import ceph as ceph_handler
from handlers.enrichers.registry import build_enrichers
from integrations.ceph.config import CephCluster, CephDiagnosisSettings
from tests.support.ceph_health import as_text, many_checks
from tests.support.paths import TEST_DATA

DATA = TEST_DATA / "ceph"
pytestmark = pytest.mark.usefixtures("without_opsbot_env")


def _cmd(text: str) -> Command:
    return Command(platform="mattermost", channel="town-square", user="oncall", name="ceph", text=text)


def test_pasted_health_detail_card() -> None:
    card = ceph_handler.handle_command(_cmd("```\n" + as_text(many_checks()) + "\n```"), Settings())
    assert card.kind is CardKind.diagnosis and card.status is CardStatus.done
    # the host down explains its OSDs and the inactive PG they served (integrations/ceph/primary.yaml)
    assert card.title == "Ceph (pasted output): HEALTH_ERR, OSD_HOST_DOWN"
    assert card.summary.startswith("OSD_HOST_DOWN: 1 host (2 osds) down; 7 other checks raised.")
    assert "It leads because a whole host" in card.summary and "Caution: Before marking OSDs out" in card.summary
    codes = [f.code for f in card.findings]
    assert codes[0] == "OSD_HOST_DOWN" and codes[-1] == "RECENT_CRASH"  # muted last
    assert card.findings[-1].title.startswith("RECENT_CRASH (muted)")
    # 40 detail lines trimmed to 10 with a count
    assert "    … and 30 more" in card.text.splitlines()
    commands = [s.command for s in card.steps]
    assert "ceph pg 3.7 query" in commands and "ceph osd find 4" in commands
    assert card.findings[-1].severity.value == "info"  # a muted check informs, it does not alarm
    assert any(link.url.endswith("#pg-availability") for link in card.links)
    assert card.field("status") == "HEALTH_ERR" and card.field("primary") == "OSD_HOST_DOWN"


def test_pasted_status_json_gives_context_fields() -> None:
    card = ceph_handler.handle_command(_cmd((DATA / "status-osd-down.json").read_text()), Settings())
    assert card.field("OSDs") == "3 total, 2 up, 3 in"
    assert card.field("degraded") == "2/6 objects degraded (33.333%)"
    assert card.findings[0].code == "OSD_DOWN"


def test_bare_command_without_clusters_explains_usage() -> None:
    card = ceph_handler.handle_command(_cmd(""), Settings())
    assert card.kind is CardKind.help and "no default Ceph cluster" in card.summary
    card = ceph_handler.handle_command(_cmd("prod"), Settings(ceph=CephDiagnosisSettings(
        clusters={"lab": CephCluster(conf="/nonexistent/ceph.conf")})))
    assert card.kind is CardKind.help and "unknown Ceph cluster 'prod' (configured: lab)" in card.summary


def test_garbage_paste_is_a_usage_card() -> None:
    card = ceph_handler.handle_command(_cmd("this is\nnot ceph output"), Settings())
    assert card.kind is CardKind.help and "no `ceph health detail`" in card.summary


def _group(labels: dict[str, str]) -> AlertGroup:
    payload: dict[str, Any] = {
        "version": "4", "groupKey": "{}:{alertname=\"x\"}", "status": "firing", "receiver": "opsbot",
        "groupLabels": {}, "commonLabels": labels, "commonAnnotations": {}, "externalURL": "http://am",
        "alerts": [{"status": "firing", "labels": labels, "annotations": {}, "startsAt": "2026-11-22T10:00:00Z",
                    "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "", "fingerprint": "abc"}],
    }
    return AlertGroup.model_validate(payload)


def test_enricher_applies_to_ceph_alerts_and_resolves_the_cluster() -> None:
    config = CephDiagnosisSettings(clusters={"prod": CephCluster(aliases=["ceph-prod"]), "lab": CephCluster()})
    enricher = ceph_handler.CephEnricher(config)
    assert enricher.applies(_group({"alertname": "CephOSDDown", "cluster": "ceph-prod"}))
    assert enricher.applies(_group({"alertname": "DiskFull", "ceph_daemon": "osd.3", "cluster": "lab"}))
    assert not enricher.applies(_group({"alertname": "KubePodCrashLooping", "cluster": "prod"}))
    # a Ceph alert whose cluster is not configured (and no default among two) gets nothing
    assert not enricher.applies(_group({"alertname": "CephHealthWarning", "cluster": "elsewhere"}))
    assert ceph_handler.resolve_cluster({"cluster": "CEPH-PROD"}, config) == "prod"
    single = CephDiagnosisSettings(clusters={"only": CephCluster()})
    assert ceph_handler.resolve_cluster({}, single) == "only"


def test_an_unreachable_cluster_is_a_finding_with_steps_and_an_unavailable_line(tmp_path: Path) -> None:
    config = CephDiagnosisSettings(clusters={"lab": CephCluster(ceph_binary=str(tmp_path / "no-ceph"))})
    enrichment = ceph_handler.CephEnricher(config).collect(_group({"alertname": "CephPGsDegraded"}))
    assert enrichment.unavailable[0].source == "ceph:lab" and "not found" in enrichment.unavailable[0].reason
    [finding] = enrichment.findings  # the cluster the alert is about does not answer: say so first
    assert finding.code == "CEPH_UNREACHABLE" and finding.severity.rank >= Severity.error.rank
    assert finding.evidence_refs == ["ceph:lab"] and finding.steps[0].command.startswith("ceph -s")


def test_enricher_is_registered_only_when_configured() -> None:
    assert not any(e.name == "ceph" for e in build_enrichers(Settings()))
    configured = Settings(ceph=CephDiagnosisSettings(clusters={"lab": CephCluster()}))
    assert any(e.name == "ceph" for e in build_enrichers(configured))


def test_config_from_environment_and_bad_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSBOT_CEPH__CLUSTERS", json.dumps({"prod": {
        "transport": "dashboard", "url": "https://mgr:8443", "username": "opsbot", "password": "s3cret"}}))
    settings = load_settings()
    cluster = settings.ceph.clusters["prod"]
    assert cluster.password is not None and cluster.password.get_secret_value() == "s3cret"
    assert "s3cret" not in settings.model_dump_json()
    monkeypatch.setenv("OPSBOT_CEPH__CLUSTERS", json.dumps({"prod": {"transport": "dashboard"}}))
    with pytest.raises(ConfigError, match="needs url"):
        load_settings()
