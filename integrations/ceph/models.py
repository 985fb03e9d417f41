"""What a Ceph cluster said about its health, whichever way it was read (live or pasted)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

CephStatus = Literal["HEALTH_OK", "HEALTH_WARN", "HEALTH_ERR"]
STATUS_RANK: dict[str, int] = {"HEALTH_OK": 0, "HEALTH_WARN": 1, "HEALTH_ERR": 2}


class HealthCheck(BaseModel):
    """One raised health check: `ceph health detail` reports it by code."""

    code: str
    severity: CephStatus = "HEALTH_WARN"
    summary: str = ""
    count: int = 0
    detail: list[str] = Field(default_factory=list)
    muted: bool = False


class HealthReport(BaseModel):
    """`ceph health detail` (or the health part of `ceph -s`)."""

    status: CephStatus = "HEALTH_OK"
    checks: list[HealthCheck] = Field(default_factory=list)
    mutes: list[str] = Field(default_factory=list)

    def check(self, code: str) -> HealthCheck | None:
        return next((c for c in self.checks if c.code == code), None)


class ClusterContext(BaseModel):
    """The `ceph -s` numbers that frame the checks; None where the source did not say."""

    fsid: str | None = None
    osds: int | None = None
    osds_up: int | None = None
    osds_in: int | None = None
    osd_flags: list[str] = Field(default_factory=list)
    mons: int | None = None
    quorum: list[str] = Field(default_factory=list)
    mgr_active: str | None = None
    pools: int | None = None
    pgs: int | None = None
    pg_states: dict[str, int] = Field(default_factory=dict)
    degraded: str | None = None
    misplaced: str | None = None
    unfound: str | None = None
    recovery: str | None = None
    client_io: str | None = None
    usage: str | None = None
    progress: list[str] = Field(default_factory=list)

    def facts(self) -> dict[str, str]:
        """Short name -> value pairs for a card, only what is known."""
        facts: dict[str, str] = {}
        if self.osds is not None:
            facts["OSDs"] = f"{self.osds} total, {self.osds_up} up, {self.osds_in} in"
        if self.osd_flags:
            facts["OSD flags"] = ",".join(self.osd_flags)
        if self.mons is not None:
            facts["mons"] = f"{self.mons}, quorum {','.join(self.quorum) or 'none'}"
        if self.pgs is not None:
            states = ", ".join(f"{n} {s}" for s, n in sorted(self.pg_states.items(), key=lambda kv: -kv[1]))
            facts["PGs"] = f"{self.pgs} in {self.pools} pools" + (f": {states}" if states else "")
        for name, value in (("degraded", self.degraded), ("misplaced", self.misplaced), ("unfound", self.unfound),
                            ("recovery", self.recovery), ("client I/O", self.client_io), ("usage", self.usage)):
            if value:
                facts[name] = value
        if self.progress:
            facts["progress"] = "; ".join(self.progress)
        return facts


class CephSnapshot(BaseModel):
    """Everything one diagnosis reads: health, optional `ceph -s` context, and where it came from."""

    source: Literal["live", "pasted"] = "pasted"
    cluster: str | None = None
    transport: str | None = None
    health: HealthReport
    context: ClusterContext | None = None
    raw: dict[str, Any] = Field(default_factory=dict)
    took_ms: float = 0.0
