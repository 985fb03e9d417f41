"""Parsers for `ceph health detail` and `ceph -s`, text and JSON, on real captured output and on a
many-codes document rendered in both forms."""

from __future__ import annotations

import json

import pytest

from integrations.ceph.catalogue import code_for_summary
from integrations.ceph.parsers import (
    UNRECOGNISED,
    PasteError,
    parse_health_json,
    parse_health_text,
    parse_paste,
    parse_status_text,
)
from tests.support.ceph_health import as_text, many_checks
from tests.support.paths import TEST_DATA

DATA = TEST_DATA / "ceph"
REAL_CODES = ["AUTH_INSECURE_GLOBAL_ID_RECLAIM_ALLOWED", "MGR_MODULE_DEPENDENCY", "OSDMAP_FLAGS", "OSD_DOWN",
              "OSD_NO_DOWN_OUT_INTERVAL", "PG_DEGRADED", "POOL_APP_NOT_ENABLED"]


def test_json_and_text_forms_agree_on_many_codes() -> None:
    doc = many_checks()
    from_json = parse_health_json(doc)
    from_text = parse_health_text(as_text(doc))
    assert from_json.status == from_text.status == "HEALTH_ERR"
    assert [c.code for c in from_json.checks] == [c.code for c in from_text.checks] == list(doc["checks"])
    for a, b in zip(from_json.checks, from_text.checks, strict=True):
        assert (a.severity, a.summary, a.detail, a.muted) == (b.severity, b.summary, b.detail, b.muted)
    assert from_text.check("PG_DEGRADED") is not None and len(from_text.check("PG_DEGRADED").detail) == 40  # type: ignore[union-attr]
    assert from_text.check("RECENT_CRASH").muted and from_text.mutes == ["RECENT_CRASH"]  # type: ignore[union-attr]
    assert from_text.check("PG_AVAILABILITY").severity == "HEALTH_ERR"  # type: ignore[union-attr]


@pytest.mark.parametrize("name", ["health-detail-osd-down.txt", "health-detail-osd-down.json",
                                  "dashboard-health-minimal.json"])
def test_real_health_detail(name: str) -> None:
    snapshot = parse_paste((DATA / name).read_text(), code_for_summary)
    assert snapshot.health.status == "HEALTH_WARN"
    assert sorted(c.code for c in snapshot.health.checks) == REAL_CODES
    muted = [c.code for c in snapshot.health.checks if c.muted]
    assert muted == ["OSD_NO_DOWN_OUT_INTERVAL"]
    degraded = snapshot.health.check("PG_DEGRADED")
    assert degraded is not None and degraded.detail[0].startswith("pg 2.3 is active+undersized+degraded")
    # the POOL_APP_NOT_ENABLED detail has two lines (the pool, then a hint)
    assert len(snapshot.health.check("POOL_APP_NOT_ENABLED").detail) == 2  # type: ignore[union-attr]


def test_real_status_text_maps_summaries_to_codes() -> None:
    snapshot = parse_paste((DATA / "status-osd-down.txt").read_text(), code_for_summary)
    codes = sorted(c.code for c in snapshot.health.checks)
    assert codes == REAL_CODES  # every summary line mapped back, the muted one from "(muted: ...)"
    ctx = snapshot.context
    assert ctx is not None
    assert (ctx.osds, ctx.osds_up, ctx.osds_in) == (3, 2, 3)
    assert ctx.osd_flags == ["noout"] and ctx.quorum == ["a"] and ctx.mgr_active == "x"
    assert (ctx.pools, ctx.pgs) == (2, 9)
    assert ctx.pg_states == {"active+undersized": 6, "active+undersized+degraded": 2, "active+clean": 1}
    assert ctx.degraded == "2/6 objects degraded (33.333%)"


def test_real_status_json() -> None:
    snapshot = parse_paste((DATA / "status-osd-down.json").read_text(), code_for_summary)
    ctx = snapshot.context
    assert ctx is not None and (ctx.osds, ctx.osds_up, ctx.osds_in, ctx.pgs) == (3, 2, 3, 9)
    assert ctx.pg_states["active+undersized+degraded"] == 2
    assert ctx.degraded is not None and ctx.degraded.startswith("2/6 objects degraded")
    assert sorted(c.code for c in snapshot.health.checks) == REAL_CODES


def test_paste_of_both_outputs_keeps_detail_and_context() -> None:
    for suffix in ("txt", "json"):
        status = (DATA / f"status-osd-down.{suffix}").read_text()
        both = status + "\n" + (DATA / f"health-detail-osd-down.{suffix}").read_text()
        snapshot = parse_paste(both, code_for_summary)
        assert snapshot.context is not None and snapshot.context.osds_up == 2
        assert snapshot.health.check("OSD_DOWN").detail == ["osd.2 (root=default,host=vm) is down"]  # type: ignore[union-attr]


def test_status_text_with_io_recovery_and_unknown_summary() -> None:
    text = """  cluster:
    id:     0a1b
    health: HEALTH_ERR
            something nobody has seen before
            1 full osd(s)

  services:
    mon: 3 daemons, quorum a,b,c (age 2h)
    mgr: a(active, since 2h), standbys: b
    osd: 6 osds: 6 up (since 2h), 6 in (since 2h)

  data:
    pools:   3 pools, 96 pgs
    objects: 1.2k objects, 4.5 GiB
    usage:   14 GiB used, 1.2 GiB / 15 GiB avail
    pgs:     120/3600 objects misplaced (3.333%)
             90 active+clean
             6  active+remapped+backfill_toofull

  io:
    client:   1.2 MiB/s rd, 300 KiB/s wr, 20 op/s rd, 5 op/s wr
    recovery: 2.0 MiB/s, 1 objects/s
"""
    health, ctx = parse_status_text(text, code_for_summary)
    assert health.status == "HEALTH_ERR"
    assert [c.code for c in health.checks] == [UNRECOGNISED, "OSD_FULL"]
    assert ctx.quorum == ["a", "b", "c"] and ctx.mgr_active == "a"
    assert ctx.pg_states == {"active+clean": 90, "active+remapped+backfill_toofull": 6}
    assert ctx.misplaced == "120/3600 objects misplaced (3.333%)"
    assert ctx.client_io is not None and ctx.client_io.startswith("1.2 MiB/s rd")
    assert ctx.recovery == "2.0 MiB/s, 1 objects/s"


def test_healthy_and_older_text_forms() -> None:
    assert parse_health_text("HEALTH_OK").checks == []
    old = parse_health_text("HEALTH_WARN 1 osds down\nOSD_DOWN 1 osds down\n    osd.1 (root=default,host=h) is down\n")
    assert [(c.code, c.detail) for c in old.checks] == [("OSD_DOWN", ["osd.1 (root=default,host=h) is down"])]


@pytest.mark.parametrize("text", ["", "hello world", '{"foo": 1}', "ceph: command not found"])
def test_garbage_is_refused_clearly(text: str) -> None:
    with pytest.raises(PasteError):
        parse_paste(text, code_for_summary)


def test_dashboard_list_form() -> None:
    doc = json.loads((DATA / "dashboard-health-minimal.json").read_text())
    health = parse_health_json(doc["health"])
    assert health.check("OSD_DOWN") is not None and health.check("OSD_DOWN").count == 1  # type: ignore[union-attr]


@pytest.mark.parametrize("prompt", ["[root@ceph-admin ~]# ceph health detail",
                                    "$ sudo cephadm shell -- ceph health detail",
                                    "admin@mon1:~$ ceph health detail -f json-pretty"])
def test_the_command_line_a_paste_starts_with_is_not_output(prompt: str) -> None:
    snapshot = parse_paste(f"{prompt}\nHEALTH_WARN noout flag(s) set\n[WRN] OSDMAP_FLAGS: noout flag(s) set\n",
                           code_for_summary)
    assert [c.code for c in snapshot.health.checks] == ["OSDMAP_FLAGS"]
    assert parse_paste(f"{prompt}\nHEALTH_OK", code_for_summary).health.status == "HEALTH_OK"
