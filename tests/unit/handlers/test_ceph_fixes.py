"""Ceph fixes: every documented change is one Ceph knows, destructive ones carry a caution, the case's ids
are filled in, and the primary-problem rules (primary.yaml) pick the most specific cause."""

from __future__ import annotations

import string

import pytest

from core.primary_rules import PrimaryRule, choose_primary
from handlers.ceph import diagnose_paste, diagnosis_card, diagnosis_json
from handlers.shared.commands import check_fix
from integrations.ceph.analyzer import analyze
from integrations.ceph.catalogue import CATALOGUE, lookup
from integrations.ceph.config import CephDiagnosisSettings
from integrations.ceph.models import CephSnapshot, HealthCheck, HealthReport
from integrations.ceph.primary import RULES
from tests.unit.integrations.ceph.test_ceph_analyzer import SAMPLE_VALUES

PASTE = """HEALTH_ERR noout,norebalance flag(s) set; 1 host (2 osds) down; 1/3 objects unfound
[WRN] OSDMAP_FLAGS: noout,norebalance flag(s) set
[WRN] OSD_DOWN: 2 osds down
    osd.4 (root=default,host=store2) is down
    osd.5 (root=default,host=store2) is down
[WRN] OSD_HOST_DOWN: 1 host (2 osds) down
    host store2 (root=default) (2 osds) is down
[ERR] OBJECT_UNFOUND: 1/3 objects unfound (33.333%)
    pg 2.4 has 1 unfound objects
[WRN] PG_NOT_DEEP_SCRUBBED: 1 pgs not deep-scrubbed in time
    pg 2.1f not deep-scrubbed since 2026-10-01T00:00:00.000000+0000
[WRN] POOL_PG_NUM_NOT_POWER_OF_TWO: 1 pool(s) have non-power-of-two pg_num
    pool 'scratch' pg_num 100 is not a power of two
"""


@pytest.mark.parametrize("info", [i for i in CATALOGUE if i.fixes], ids=lambda i: i.code)
def test_every_catalogue_fix_is_a_known_change_with_its_caution(info) -> None:
    for hint in info.fixes:
        names = [f for _, f, _, _ in string.Formatter().parse(hint.command) if f]
        assert set(names) <= set(SAMPLE_VALUES), hint.command
        command = hint.command.format(**SAMPLE_VALUES)
        assert check_fix(command, hint.caution) is None, command
        assert hint.why
        if hint.last_resort:
            assert hint.caution, f"{command}: a last resort says what it costs"


def test_fixes_are_filled_with_the_cases_ids_and_marked() -> None:
    diagnosis = diagnose_paste(PASTE, CephDiagnosisSettings())
    card = diagnosis_card(diagnosis, target="paste")
    commands = [f.command for f in card.fixes]
    for expected in ("ceph osd unset noout", "ceph osd unset norebalance", "ceph pg 2.4 mark_unfound_lost revert",
                     "ceph pg 2.1f deep-scrub", "ceph osd pool set scratch pg_num 128",
                     "systemctl start ceph-osd@4"):
        assert expected.replace("pg 2.1f deep-scrub", "pg deep-scrub 2.1f") in commands
    unfound = next(f for f in card.fixes if f.command.endswith("mark_unfound_lost revert"))
    assert unfound.last_resort and unfound.caution and unfound.doc
    assert (unfound.doc.url or "").endswith("#object-unfound")
    assert not set(commands) & {s.command for s in card.steps}  # changes are not next steps
    document = diagnosis_json(diagnosis, card)
    assert document["summary"] == card.summary and document["fixes"][0]["command"] == card.fixes[0].command
    assert all("fixes" in c for c in document["checks"])


def test_a_destructive_change_without_caution_is_refused() -> None:
    assert check_fix("ceph pg 2.4 mark_unfound_lost delete", "") is not None
    assert check_fix("ceph pg 2.4 mark_unfound_lost delete", "loses the objects") is None
    assert check_fix("ceph osd pool delete rbd rbd --yes-i-really-really-mean-it", "x") is not None
    assert check_fix("ceph osd unset noout; rm -rf /", "x") is not None
    assert check_fix("ceph -n client.admin osd unset noout", "x") is not None
    assert check_fix("rados rm obj", "x") is not None


def _report(*codes: tuple[str, str]) -> CephSnapshot:
    return CephSnapshot(health=HealthReport(status="HEALTH_WARN", checks=[
        HealthCheck(code=c, severity=s, summary=c.lower()) for c, s in codes]))


@pytest.mark.parametrize(("codes", "primary"), [
    ((("OSD_DOWN", "HEALTH_WARN"), ("OSD_HOST_DOWN", "HEALTH_WARN"), ("PG_DEGRADED", "HEALTH_WARN")), "OSD_HOST_DOWN"),
    ((("OSD_NEARFULL", "HEALTH_WARN"), ("OSD_FULL", "HEALTH_ERR"), ("POOL_NEAR_FULL", "HEALTH_WARN")), "OSD_FULL"),
    ((("PG_DEGRADED", "HEALTH_ERR"), ("PG_AVAILABILITY", "HEALTH_WARN")), "PG_AVAILABILITY"),
    ((("MON_DISK_LOW", "HEALTH_WARN"), ("MON_DISK_CRIT", "HEALTH_ERR")), "MON_DISK_CRIT"),
])
def test_primary_rules(codes: tuple[tuple[str, str], ...], primary: str) -> None:
    diagnosis = analyze(_report(*codes))
    assert diagnosis.primary == primary and diagnosis.checks[0].code == primary


def test_rules_name_catalogue_codes_and_a_cycle_ends() -> None:
    for rule in RULES:  # POOL_NEARFULL (the OSD-ratio pool check) is newer than the catalogue's page
        assert lookup(rule.prefer) is not None and rule.why
        assert all(lookup(c) is not None or c == "POOL_NEARFULL" for c in rule.over), rule.over
    checks = [("A", ""), ("B", "")]
    assert choose_primary(checks, []) == (0, "")
    cycle = [PrimaryRule(prefer="A", over=["B"], why="a"), PrimaryRule(prefer="B", over=["A"], why="b")]
    assert choose_primary(checks, cycle)[0] in (0, 1)


def test_a_flag_leads_only_when_it_explains_the_others() -> None:
    scrub = analyze(CephSnapshot(health=HealthReport(checks=[
        HealthCheck(code="PG_NOT_DEEP_SCRUBBED", summary="3 pgs not deep-scrubbed in time"),
        HealthCheck(code="OSDMAP_FLAGS", summary="noscrub,nodeep-scrub flag(s) set")])))
    assert scrub.primary == "OSDMAP_FLAGS"
    noout = analyze(CephSnapshot(health=HealthReport(checks=[
        HealthCheck(code="OSDMAP_FLAGS", summary="noout flag(s) set"),
        HealthCheck(code="PG_NOT_DEEP_SCRUBBED", summary="3 pgs not deep-scrubbed in time")])))
    assert noout.primary_reason == ""


def test_unfound_in_an_erasure_coded_pg_can_only_be_deleted_and_repair_is_for_inconsistent_pgs() -> None:
    paste = """HEALTH_ERR 1/20 objects unfound; Possible data damage: 2 pgs
[WRN] OBJECT_UNFOUND: 1/20 objects unfound (5.000%)
    pg 11.7 has 1 unfound objects
[ERR] PG_DAMAGED: Possible data damage: 1 pg recovery_unfound, 1 pg inconsistent
    pg 11.7 is active+recovery_unfound+undersized+degraded, acting [2,NONE,7,1], 1 unfound
    pg 3.1a is active+clean+inconsistent, acting [0,4,2]
"""
    card = diagnosis_card(diagnose_paste(paste, CephDiagnosisSettings()), target="paste")
    commands = [f.command for f in card.fixes]
    assert "ceph pg 11.7 mark_unfound_lost delete" in commands
    assert "ceph pg 11.7 mark_unfound_lost revert" not in commands  # the docs: not available for EC pools
    assert "ceph pg repair 3.1a" in commands and "ceph pg repair 11.7" not in commands


def test_a_hostile_id_never_makes_a_fix() -> None:
    paste = """HEALTH_WARN 1 pool(s) do not have an application enabled
[WRN] POOL_APP_NOT_ENABLED: 1 pool(s) do not have an application enabled
    application not enabled on pool 'x;rm -rf /'
"""
    card = diagnosis_card(diagnose_paste(paste, CephDiagnosisSettings()), target="paste")
    assert card.fixes == [] and all(f.fixes == [] for f in card.findings)
