"""Live diagnosis of a real single-node Ceph cluster driven through states, through every transport,
plus the alert path: mgr prometheus module -> Prometheus rule -> Alertmanager webhook -> triage card.

One cluster for the whole session (3 memstore OSDs, each its own CRUSH host); the tests run in file
order and put the cluster back to HEALTH_OK after each state.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.events import Command, parse_alert_group
from handlers import ceph as ceph_handler
from handlers.triage import enrich, enriched_card, first_card
from integrations.ceph.analyzer import CephDiagnosis
from integrations.ceph.config import CephCluster as ClusterConfig
from integrations.ceph.config import CephDiagnosisSettings
from tests.support.ceph_cluster import CephCluster, ceph_cluster, rados_importable
from tests.support.servers import alertmanager_server, prometheus_server, webhook_queue

TRANSPORTS = ("cli", "dashboard", "rados")


@pytest.fixture(scope="session")
def ceph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CephCluster]:
    with ceph_cluster(tmp_path_factory.mktemp("ceph"), 3, dashboard=True, prometheus=True) as cluster:
        # a size-3 pool with data, so that a lost OSD degrades PGs
        cluster.ceph("osd", "pool", "create", "data", "8", fmt=None)
        cluster.ceph("osd", "pool", "set", "data", "size", "3", "--yes-i-really-mean-it", fmt=None)
        cluster.ceph("osd", "pool", "application", "enable", "data", "rbd", fmt=None)
        for n in range(4):
            _put(cluster, "data", f"obj{n}")
        cluster.wait_for(lambda c: c.health()["status"] == "HEALTH_OK", what="HEALTH_OK")
        yield cluster


def _put(cluster: CephCluster, pool: str, name: str) -> None:
    import subprocess

    src = cluster.workdir / "object"
    src.write_text("opsbot test object\n")
    subprocess.run(["rados", "--conf", str(cluster.conf), "-p", pool, "put", name, str(src)], check=True, timeout=30)


@pytest.fixture(scope="session")
def config(ceph: CephCluster, tmp_path_factory: pytest.TempPathFactory) -> CephDiagnosisSettings:
    clusters = {
        "cli": ClusterConfig(transport="cli", conf=str(ceph.conf), keyring=str(ceph.keyring), aliases=["lab"]),
        "dashboard": ClusterConfig(transport="dashboard", url=ceph.dashboard_url, username=ceph.dashboard_user,
                                   password=ceph.dashboard_password),
    }
    if rados_importable(tmp_path_factory.mktemp("pyrados")):
        clusters["rados"] = ClusterConfig(transport="rados", conf=str(ceph.conf), keyring=str(ceph.keyring))
    return CephDiagnosisSettings(clusters=clusters, default_cluster="cli")


def diagnose_all(config: CephDiagnosisSettings, ready: Callable[[CephDiagnosis], bool] = lambda d: True,
                 timeout: float = 20) -> dict[str, CephDiagnosis]:
    """Diagnose through every transport, each retried until `ready`: the mgr (dashboard) sees health
    changes a few seconds after the mons do."""
    results: dict[str, CephDiagnosis] = {}
    for name in (n for n in TRANSPORTS if n in config.clusters):
        deadline = time.monotonic() + timeout
        while True:
            results[name] = ceph_handler.diagnose_cluster(name, config)
            if ready(results[name]) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    return results


def wait_codes(ceph: CephCluster, present: set[str], absent: set[str] = frozenset(), timeout: float = 60) -> None:  # type: ignore[assignment]
    ceph.wait_for(lambda c: present <= (codes := c.codes()) and not (absent & codes), timeout=timeout,
                  what=f"health checks {sorted(present)} (not {sorted(absent)})")


def commands(diagnosis: CephDiagnosis, code: str) -> list[str]:
    check = next(c for c in diagnosis.checks if c.code == code)
    return [s.command for s in check.commands]


def fixes(diagnosis: CephDiagnosis, code: str) -> list[str]:
    check = next(c for c in diagnosis.checks if c.code == code)
    return [f.command for f in check.fixes]


def test_healthy(config: CephDiagnosisSettings) -> None:
    results = diagnose_all(config, lambda d: d.status == "HEALTH_OK")
    assert set(results) >= {"cli", "dashboard"}
    for name, diagnosis in results.items():
        assert diagnosis.status == "HEALTH_OK", name
        assert diagnosis.primary is None and diagnosis.checks == []
        assert diagnosis.facts["OSDs"] == "3 total, 3 up, 3 in", name
        assert diagnosis.transport == name
    card = ceph_handler.diagnosis_card(results["cli"], target="cli")
    assert card.title == "Ceph cli: HEALTH_OK" and card.field("primary") == "none"


def test_noout_flag_and_muting(ceph: CephCluster, config: CephDiagnosisSettings) -> None:
    ceph.ceph("osd", "set", "noout", fmt=None)
    try:
        wait_codes(ceph, {"OSDMAP_FLAGS"})
        for name, diagnosis in diagnose_all(config, lambda d: d.primary == "OSDMAP_FLAGS").items():
            assert diagnosis.status == "HEALTH_WARN", name
            assert diagnosis.primary == "OSDMAP_FLAGS", name
            assert "ceph osd dump" in commands(diagnosis, "OSDMAP_FLAGS")
            assert fixes(diagnosis, "OSDMAP_FLAGS") == ["ceph osd unset noout"], name
        card = ceph_handler.diagnosis_card(ceph_handler.diagnose_cluster("cli", config), target="cli")
        assert [f.command for f in card.fixes] == ["ceph osd unset noout"] and card.fixes[0].caution
        ceph.ceph("health", "mute", "OSDMAP_FLAGS", fmt=None)
        ceph.wait_for(lambda c: c.health()["status"] == "HEALTH_OK", what="muted HEALTH_OK")
        for name, diagnosis in diagnose_all(config, lambda d: d.status == "HEALTH_OK").items():
            assert diagnosis.status == "HEALTH_OK" and diagnosis.primary is None, name
            assert [(c.code, c.muted) for c in diagnosis.checks] == [("OSDMAP_FLAGS", True)], name
            assert ceph_handler.diagnosis_card(diagnosis, target=name).fixes == []  # nothing to fix when muted
    finally:
        ceph.ceph("health", "unmute", "OSDMAP_FLAGS", fmt=None, check=False)
        ceph.ceph("osd", "unset", "noout", fmt=None)
    wait_codes(ceph, set(), {"OSDMAP_FLAGS"})


def test_pool_without_application(ceph: CephCluster, config: CephDiagnosisSettings) -> None:
    ceph.ceph("osd", "pool", "create", "scratch", "4", fmt=None)
    try:
        _put(ceph, "scratch", "o1")
        wait_codes(ceph, {"POOL_APP_NOT_ENABLED"})
        for name, diagnosis in diagnose_all(config, lambda d: d.primary == "POOL_APP_NOT_ENABLED").items():
            assert diagnosis.primary == "POOL_APP_NOT_ENABLED", name
            assert "ceph osd pool get scratch all" in commands(diagnosis, "POOL_APP_NOT_ENABLED"), name
            check = diagnosis.checks[0]
            assert check.section.url.endswith("/rados/operations/health-checks/#pool-app-not-enabled")
    finally:
        ceph.ceph("osd", "pool", "rm", "scratch", "scratch", "--yes-i-really-really-mean-it", fmt=None)
    wait_codes(ceph, set(), {"POOL_APP_NOT_ENABLED"})


def test_full_osds(ceph: CephCluster, config: CephDiagnosisSettings) -> None:
    """Ratios below what the OSDs use make them full: OSD_FULL leads (over nearfull/backfillfull), and its
    documented fix is the temporary full-ratio raise, with its caution."""
    ratios = {"set-nearfull-ratio": "0.85", "set-backfillfull-ratio": "0.9", "set-full-ratio": "0.95"}
    for command, value in zip(ratios, ("0.00001", "0.00002", "0.00003"), strict=True):
        ceph.ceph("osd", command, value, fmt=None)
    try:
        wait_codes(ceph, {"OSD_FULL"})
        diagnosis = ceph_handler.diagnose_cluster("cli", config)
        assert diagnosis.status == "HEALTH_ERR" and diagnosis.primary == "OSD_FULL"
        card = ceph_handler.diagnosis_card(diagnosis, target="cli")
        full = next(f for f in card.fixes if f.command == "ceph osd set-full-ratio 0.96")
        assert full.caution and full.doc and (full.doc.url or "").endswith("#osd-full")
        assert "ceph osd set-full-ratio 0.96" not in [s.command for s in card.steps]
    finally:
        for command, value in ratios.items():
            ceph.ceph("osd", command, value, fmt=None)
    wait_codes(ceph, set(), {"OSD_FULL", "OSD_NEARFULL", "OSD_BACKFILLFULL", "POOL_FULL"})


def test_unscrubbed_pgs(ceph: CephCluster, config: CephDiagnosisSettings) -> None:
    """A one-second scrub interval on a pool while scrubbing is paused: PG_NOT_SCRUBBED names the PGs and
    the fix scrubs them; OSDMAP_FLAGS' fix unsets the flags."""
    ceph.ceph("osd", "set", "noscrub", fmt=None)
    ceph.ceph("osd", "pool", "set", "data", "scrub_max_interval", "1", fmt=None)
    try:
        wait_codes(ceph, {"PG_NOT_SCRUBBED"}, timeout=90)
        diagnosis = ceph_handler.diagnose_cluster("cli", config)
        check = next(c for c in diagnosis.checks if c.code == "PG_NOT_SCRUBBED")
        pgs = check.placeholders["pg"]
        assert pgs and all(p.startswith(tuple(f"{n}." for n in range(1, 10))) for p in pgs)
        assert fixes(diagnosis, "PG_NOT_SCRUBBED")[0] == f"ceph pg scrub {pgs[0]}"
        assert "ceph osd unset noscrub" in fixes(diagnosis, "OSDMAP_FLAGS")
    finally:
        ceph.ceph("osd", "pool", "set", "data", "scrub_max_interval", "0", fmt=None)
        ceph.ceph("osd", "unset", "noscrub", fmt=None)
    wait_codes(ceph, set(), {"PG_NOT_SCRUBBED", "OSDMAP_FLAGS"}, timeout=90)


def test_cli_command_live_and_refused_cluster(config: CephDiagnosisSettings, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.cli.main import app

    config_file = tmp_path / "opsbot.yaml"
    config_file.write_text(json.dumps({"ceph": json.loads(config.model_dump_json())}))
    monkeypatch.setenv("OPSBOT_CONFIG", str(config_file))
    password = config.clusters["dashboard"].password
    assert password is not None  # model_dump_json masks it; the environment carries the real one
    monkeypatch.setenv("OPSBOT_CEPH__CLUSTERS__DASHBOARD__PASSWORD", password.get_secret_value())
    runner = CliRunner()
    result = runner.invoke(app, ["ceph", "diagnose", "--cluster", "dashboard", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["status"], data["primary"], data["checks"], data["fixes"]) == ("HEALTH_OK", None, [], [])
    assert data["summary"].startswith("No active health checks")
    result = runner.invoke(app, ["ceph", "diagnose", "--cluster", "nope"])
    assert result.exit_code == 2 and "unknown Ceph cluster 'nope'" in result.output


async def test_osd_killed_live_and_alert_triage(ceph: CephCluster, config: CephDiagnosisSettings,
                                                tmp_path: Path) -> None:
    """Kill osd.2: OSD_DOWN, OSD_HOST_DOWN, PG_DEGRADED through every transport; meanwhile the mgr
    prometheus module -> Prometheus rule -> Alertmanager -> webhook -> triage card with Ceph findings."""
    (tmp_path / "am").mkdir()
    (tmp_path / "prom").mkdir()
    prom_config = f"""
global: {{scrape_interval: 1s, evaluation_interval: 1s}}
rule_files: [rules.yml]
scrape_configs:
  - job_name: ceph
    static_configs: [{{targets: ["127.0.0.1:{ceph.prometheus_port}"], labels: {{cluster: lab}}}}]
alerting:
  alertmanagers: [{{static_configs: [{{targets: ["AM"]}}]}}]
"""
    rules = """
groups:
  - name: ceph
    rules:
      - alert: CephHealthWarning
        expr: ceph_health_status == 1
        labels: {severity: warning}
        annotations: {summary: Ceph is in the WARNING state}
"""
    async with webhook_queue("/webhook") as (webhook_url, received):
        with alertmanager_server(tmp_path / "am", webhook_url) as am, \
                prometheus_server(tmp_path / "prom", prom_config.replace("AM", am.url.removeprefix("http://")),
                                  rules):
            pid = ceph.osd_pid(2)
            ceph.kill_osd(2)
            try:
                await asyncio.to_thread(wait_codes, ceph, {"OSD_DOWN", "OSD_HOST_DOWN", "PG_DEGRADED"})
                expected = {"OSD_DOWN", "OSD_HOST_DOWN", "PG_DEGRADED"}
                results = await asyncio.to_thread(diagnose_all, config,
                                                  lambda d: expected <= {c.code for c in d.checks})
                for name, diagnosis in results.items():
                    codes = {c.code for c in diagnosis.checks}
                    assert {"OSD_DOWN", "OSD_HOST_DOWN", "PG_DEGRADED"} <= codes, name
                    assert diagnosis.primary == "OSD_HOST_DOWN", name  # the host explains its OSD
                    assert fixes(diagnosis, "OSD_DOWN") == ["systemctl start ceph-osd@2"], name
                    assert "ceph osd find 2" in commands(diagnosis, "OSD_DOWN"), name
                    host = next(c for c in diagnosis.checks if c.code == "OSD_HOST_DOWN")
                    assert host.placeholders["host"] == ["node2"] and host.section.heading == "OSD_<crush type>_DOWN"
                    pg_commands = commands(diagnosis, "PG_DEGRADED")
                    assert any(c.startswith("ceph pg 2.") and c.endswith(" query") for c in pg_commands), name
                    assert diagnosis.facts["OSDs"] == "3 total, 2 up, 3 in", name
                # /ceph in chat: the default cluster, live
                card = await asyncio.to_thread(ceph_handler.handle_command,
                                               Command(platform="slack", channel="C1", name="ceph", text=""),
                                               _settings(config))
                assert card.title.startswith("Ceph cli: HEALTH_WARN, OSD_HOST_DOWN")
                assert card.findings[0].code == "OSD_HOST_DOWN" and "surviving failure domains" in card.summary
                assert "systemctl start ceph-osd@2" in [f.command for f in card.fixes]
                assert "ceph osd find 2" in [s.command for s in card.steps]

                body = await asyncio.wait_for(_firing(received), timeout=60)
                group = parse_alert_group(body)
                assert group.alertname == "CephHealthWarning" and group.commonLabels["cluster"] == "lab"
                enricher = ceph_handler.CephEnricher(config)
                assert enricher.applies(group)
                enrichment = await asyncio.to_thread(enrich, group, [enricher], per_source_s=20, total_s=20)
                triaged = enriched_card(first_card(group), enrichment)
                assert expected <= {f.code for f in triaged.findings}, enrichment.unavailable
                assert enrichment.evidence[0].id == "ceph:cli" and "OSD_DOWN" in enrichment.evidence[0].text
                assert "ceph osd find 2" in [s.command for s in triaged.steps]
                assert "systemctl start ceph-osd@2" in [f.command for f in triaged.fixes]
            finally:
                ceph.start_osd(2)
                assert ceph.osd_pid(2) != pid
        await asyncio.to_thread(wait_codes, ceph, set(), {"OSD_DOWN", "PG_DEGRADED"}, 60)


async def _firing(received: asyncio.Queue[bytes]) -> bytes:
    while True:
        body = await received.get()
        if json.loads(body).get("status") == "firing":
            return body


def _settings(config: CephDiagnosisSettings):
    from bot.config import Settings

    return Settings(ceph=config)
