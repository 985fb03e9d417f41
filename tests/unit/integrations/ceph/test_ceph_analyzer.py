"""The health-check catalogue and the analyzer: coverage, placeholders, severity, primary choice."""

from __future__ import annotations

import string

import pytest

from core.models import Severity
from integrations.ceph.allowlist import check_command
from integrations.ceph.analyzer import analyze, extract_placeholders
from integrations.ceph.catalogue import CATALOGUE, code_for_summary, lookup
from integrations.ceph.models import CephSnapshot, HealthCheck, HealthReport
from integrations.ceph.parsers import parse_health_json
from tests.support.ceph_health import many_checks

# Every code on the RADOS health-checks page of Pacific and later (OSD_<crush type>_DOWN as one entry).
DOCUMENTED = [
    "DAEMON_OLD_VERSION", "MON_DOWN", "MON_CLOCK_SKEW", "MON_MSGR2_NOT_ENABLED", "MON_DISK_LOW",
    "MON_DISK_CRIT", "MON_DISK_BIG", "AUTH_INSECURE_GLOBAL_ID_RECLAIM",
    "AUTH_INSECURE_GLOBAL_ID_RECLAIM_ALLOWED", "MGR_DOWN", "MGR_MODULE_DEPENDENCY", "MGR_MODULE_ERROR",
    "OSD_DOWN", "OSD_CRUSH_TYPE_DOWN", "OSD_ORPHAN", "OSD_OUT_OF_ORDER_FULL", "OSD_FULL", "OSD_BACKFILLFULL",
    "OSD_NEARFULL", "OSDMAP_FLAGS", "OSD_FLAGS", "OLD_CRUSH_TUNABLES", "OLD_CRUSH_STRAW_CALC_VERSION",
    "CACHE_POOL_NO_HIT_SET", "OSD_NO_SORTBITWISE", "OSD_FILESTORE", "POOL_FULL", "BLUEFS_SPILLOVER",
    "BLUEFS_AVAILABLE_SPACE", "BLUEFS_LOW_SPACE", "BLUESTORE_FRAGMENTATION", "BLUESTORE_LEGACY_STATFS",
    "BLUESTORE_NO_PER_POOL_OMAP", "BLUESTORE_NO_PER_PG_OMAP", "BLUESTORE_DISK_SIZE_MISMATCH",
    "BLUESTORE_NO_COMPRESSION", "BLUESTORE_SPURIOUS_READ_ERRORS", "DEVICE_HEALTH", "DEVICE_HEALTH_IN_USE",
    "DEVICE_HEALTH_TOOMANY", "PG_AVAILABILITY", "PG_DEGRADED", "PG_RECOVERY_FULL", "PG_BACKFILL_FULL",
    "PG_DAMAGED", "OSD_SCRUB_ERRORS", "OSD_TOO_MANY_REPAIRS", "LARGE_OMAP_OBJECTS", "CACHE_POOL_NEAR_FULL",
    "TOO_FEW_PGS", "POOL_PG_NUM_NOT_POWER_OF_TWO", "POOL_TOO_FEW_PGS", "TOO_MANY_PGS", "POOL_TOO_MANY_PGS",
    "POOL_TARGET_SIZE_BYTES_OVERCOMMITTED", "POOL_HAS_TARGET_SIZE_BYTES_AND_RATIO", "TOO_FEW_OSDS",
    "SMALLER_PGP_NUM", "MANY_OBJECTS_PER_PG", "POOL_APP_NOT_ENABLED", "POOL_NEAR_FULL", "OBJECT_MISPLACED",
    "OBJECT_UNFOUND", "SLOW_OPS", "PG_NOT_SCRUBBED", "PG_NOT_DEEP_SCRUBBED", "PG_SLOW_SNAP_TRIMMING",
    "INCORRECT_NUM_BUCKETS_STRETCH_MODE", "UNEVEN_WEIGHTS_STRETCH_MODE", "RECENT_CRASH",
    "RECENT_MGR_MODULE_CRASH", "TELEMETRY_CHANGED", "AUTH_BAD_CAPS", "OSD_NO_DOWN_OUT_INTERVAL",
    "DASHBOARD_DEBUG"
]
SAMPLE_VALUES = {"osd": "3", "host": "node1", "pg": "2.1f", "pool": "rbd", "mon": "a", "module": "prometheus",
                 "daemon": "osd.3", "crash": "2026-11-22T10:00:00.000000Z_0f8e1c7a-0000-4000-8000-000000000000",
                 "flag": "noout", "who": "osd.3", "group_flags": "noup,noout", "pg_num": "100", "pg_num_pow2": "128",
                 "pg_target": "64", "pg_inconsistent": "2.1f",
                 "entity": "client.app"}


def test_catalogue_covers_every_documented_code_once() -> None:
    codes = [info.code for info in CATALOGUE]
    assert len(codes) == len(set(codes))
    assert sorted(codes) == sorted(DOCUMENTED)
    for crush_type in ("HOST", "RACK", "ROW", "DATACENTER", "ROOT"):
        assert lookup(f"OSD_{crush_type}_DOWN") is lookup("OSD_CRUSH_TYPE_DOWN")


@pytest.mark.parametrize("info", CATALOGUE, ids=lambda i: i.code)
def test_entry_is_complete_and_its_commands_are_allowlisted(info) -> None:
    assert info.meaning and info.commands and info.cautions and info.section
    url = info.doc_url("https://docs.ceph.com/en/pacific")
    assert url.startswith("https://docs.ceph.com/en/pacific/rados/operations/health-checks/#")
    assert "_" not in url.split("#")[1]
    for hint in info.commands:
        template, why = hint.command, hint.why
        assert template.startswith("ceph ") and why
        names = [f for _, f, _, _ in string.Formatter().parse(template) if f]
        assert set(names) <= set(SAMPLE_VALUES), template
        check_command(template.format(**SAMPLE_VALUES))  # raises if not read-only
    assert set(info.placeholders) <= set(SAMPLE_VALUES)


def test_crush_type_anchor_matches_the_doc_heading() -> None:
    info = lookup("OSD_HOST_DOWN")
    assert info is not None and info.doc_heading == "OSD_<crush type>_DOWN"
    assert info.doc_url("https://docs.ceph.com/en/latest").endswith("#osd-crush-type-down")


def test_placeholders_come_from_detail_lines() -> None:
    values = extract_placeholders(["osd.4 (root=default,host=store2) is down", "pg 3.1a is stale",
                                   "application not enabled on pool 'scratch'", "host store3 (root=default) is down"])
    assert values["osd"] == ["4"] and values["host"] == ["store2", "store3"]
    assert values["pg"] == ["3.1a"] and values["pool"] == ["scratch"] and values["daemon"] == ["osd.4"]


def test_many_codes_primary_status_and_filled_commands() -> None:
    diagnosis = analyze(CephSnapshot(health=parse_health_json(many_checks())), max_detail=5)
    assert diagnosis.status == "HEALTH_ERR"
    assert diagnosis.primary == "OSD_HOST_DOWN"  # over the only HEALTH_ERR, PG_AVAILABILITY: the host is its cause
    by_code = {c.code: c for c in diagnosis.checks}
    degraded = by_code["PG_DEGRADED"]
    assert degraded.detail_total == 40 and len(degraded.detail) == 6 and degraded.detail[-1] == "… and 35 more"
    assert [s.command for s in degraded.commands] == ["ceph pg ls degraded", "ceph pg 3.0 query", "ceph pg 3.1 query",
                                                      "ceph osd tree"]
    assert "ceph osd find 4" in [s.command for s in by_code["OSD_DOWN"].commands]
    assert "ceph tell osd.1 dump_ops_in_flight" in [s.command for s in by_code["SLOW_OPS"].commands]
    assert "ceph osd pool get scratch all" in [s.command for s in by_code["POOL_APP_NOT_ENABLED"].commands]
    host = by_code["OSD_HOST_DOWN"]
    assert host.section.heading == "OSD_<crush type>_DOWN" and host.placeholders["host"] == ["store2"]
    # muted checks are reported, last, and never drive the status or the primary
    assert diagnosis.checks[-1].code == "RECENT_CRASH" and diagnosis.checks[-1].muted
    assert by_code["PG_AVAILABILITY"].severity is Severity.error


def _report(*checks: tuple[str, str, bool]) -> CephSnapshot:
    return CephSnapshot(health=HealthReport(status="HEALTH_WARN", checks=[
        HealthCheck(code=c, severity=s, summary=c.lower(), muted=m) for c, s, m in checks]))


def test_cause_before_effect_and_incident_before_advice() -> None:
    diagnosis = analyze(_report(("POOL_APP_NOT_ENABLED", "HEALTH_WARN", False), ("PG_DEGRADED", "HEALTH_WARN", False),
                                ("OSDMAP_FLAGS", "HEALTH_WARN", False), ("OSD_DOWN", "HEALTH_WARN", False)))
    assert diagnosis.primary == "OSD_DOWN"
    assert diagnosis.headline.startswith("OSD_DOWN: osd_down; 3 other checks raised")


def test_only_muted_checks_means_ok() -> None:
    diagnosis = analyze(_report(("OSDMAP_FLAGS", "HEALTH_WARN", True)))
    assert diagnosis.status == "HEALTH_OK" and diagnosis.primary is None
    assert "1 muted check" in diagnosis.headline
    assert diagnosis.as_json()["checks"][0]["muted"] is True


def test_unknown_code_still_gets_a_generic_entry() -> None:
    diagnosis = analyze(_report(("MDS_SLOW_METADATA_IO", "HEALTH_WARN", False)))
    check = diagnosis.checks[0]
    assert "not in opsbot's catalogue" in check.explanation
    assert [s.command for s in check.commands] == ["ceph health detail", "ceph status"]


def test_severity_floor_and_cap() -> None:
    diagnosis = analyze(_report(("OBJECT_UNFOUND", "HEALTH_WARN", False), ("TELEMETRY_CHANGED", "HEALTH_WARN", False)))
    by_code = {c.code: c.severity for c in diagnosis.checks}
    assert by_code == {"OBJECT_UNFOUND": Severity.critical, "TELEMETRY_CHANGED": Severity.info}


def test_cli_json_shape() -> None:
    data = analyze(CephSnapshot(health=parse_health_json(many_checks()))).as_json()
    assert set(data) == {"status", "primary", "summary", "primary_reason", "facts", "checks"}
    assert set(data["checks"][0]) == {"code", "severity", "muted", "summary", "detail", "explanation", "causes",
                                      "section", "commands", "steps", "fixes", "cautions"}
    assert set(data["checks"][0]["section"]) == {"heading", "url"}


@pytest.mark.parametrize(("summary", "code"), [
    ("1 osds down", "OSD_DOWN"), ("1 host (1 osds) down", "OSD_HOST_DOWN"),
    ("2 racks (6 osds) down", "OSD_RACK_DOWN"), ("mon c is low on available space", "MON_DISK_LOW"),
    ("mon c is critically low on available space", "MON_DISK_CRIT"),
    ("Reduced data availability: 1 pg inactive", "PG_AVAILABILITY"),
    ("4 slow ops, oldest one blocked for 30 sec", "SLOW_OPS"),
    ("Degraded data redundancy: 1/3 objects degraded (33.333%), 1 pg degraded", "PG_DEGRADED"),
])
def test_status_summaries_map_to_codes(summary: str, code: str) -> None:
    assert code_for_summary(summary) == code
