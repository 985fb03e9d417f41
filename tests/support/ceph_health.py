"""A `ceph health detail -f json` document with many codes, and its text rendering (Pacific's form)."""

from __future__ import annotations

from typing import Any


def many_checks() -> dict[str, Any]:
    """A `ceph health detail -f json` document with many codes, an ERR, a muted check and a long list."""
    pgs = [{"message": f"pg 3.{n:x} is active+undersized+degraded, acting [0,1]"} for n in range(40)]
    checks = {
        "MON_DOWN": ("HEALTH_WARN", "1/3 mons down, quorum a,b", ["mon.c (rank 2) addr [v2:10.0.0.3:3300/0] is down"]),
        "OSD_DOWN": ("HEALTH_WARN", "2 osds down", ["osd.4 (root=default,host=store2) is down",
                                                   "osd.5 (root=default,host=store2) is down"]),
        "OSD_HOST_DOWN": ("HEALTH_WARN", "1 host (2 osds) down", ["host store2 (root=default) (2 osds) is down"]),
        "PG_AVAILABILITY": ("HEALTH_ERR", "Reduced data availability: 2 pgs inactive",
                            ["pg 3.7 is stuck inactive for 61s, current state peering, last acting [4]"]),
        "PG_DEGRADED": ("HEALTH_WARN", "Degraded data redundancy: 80/240 objects degraded (33.333%), 40 pgs degraded",
                        [p["message"] for p in pgs]),
        "SLOW_OPS": ("HEALTH_WARN", "12 slow ops, oldest one blocked for 33 sec, daemons [osd.1,osd.3] have slow ops.",
                     []),
        "OSD_NEARFULL": ("HEALTH_WARN", "1 nearfull osd(s)", ["osd.3 is near full"]),
        "POOL_APP_NOT_ENABLED": ("HEALTH_WARN", "1 pool(s) do not have an application enabled",
                                 ["application not enabled on pool 'scratch'"]),
        "RECENT_CRASH": ("HEALTH_WARN", "1 daemons have recently crashed", ["osd.4 crashed on host store2 at x"]),
    }
    doc: dict[str, Any] = {"status": "HEALTH_ERR", "checks": {}, "mutes": [{"code": "RECENT_CRASH", "sticky": False}]}
    for code, (severity, summary, detail) in checks.items():
        doc["checks"][code] = {"severity": severity, "summary": {"message": summary, "count": max(1, len(detail))},
                               "detail": [{"message": d} for d in detail], "muted": code == "RECENT_CRASH"}
    return doc


def as_text(doc: dict[str, Any]) -> str:
    """Render a health detail document the way Pacific's `ceph health detail` prints it."""
    active = [c["summary"]["message"] for c in doc["checks"].values() if not c["muted"]]
    muted = [code for code, c in doc["checks"].items() if c["muted"]]
    lines = [f"{doc['status']} {'; '.join(active)}" + (f"; (muted: {' '.join(muted)})" if muted else "")]
    for code, check in doc["checks"].items():
        level = "ERR" if check["severity"] == "HEALTH_ERR" else "WRN"
        lines.append(f"{'(MUTED) ' if check['muted'] else ''}[{level}] {code}: {check['summary']['message']}")
        lines += [f"    {d['message']}" for d in check["detail"]]
    return "\n".join(lines)
