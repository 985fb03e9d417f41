"""Typed records of what Redis said (a snapshot) and what the analyzer concluded (a diagnosis)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from core.models import DocRef, Finding, Fix, Severity, Step

InfoValue = int | float | str
Info = dict[str, InfoValue]


class SlowlogEntry(BaseModel):
    id: int
    timestamp: int
    duration_us: int
    args: list[str]

    @property
    def command(self) -> str:
        return self.args[0].upper() if self.args else ""

    @property
    def key(self) -> str | None:
        return self.args[1] if len(self.args) > 1 else None

    def shown(self, limit: int = 80) -> str:
        """Command and first argument only: the rest may hold values (kept out of cards)."""
        text = " ".join(self.args[:2])
        extra = len(self.args) - 2
        text = text if len(text) <= limit else text[: limit - 1] + "…"
        return f"{text} (+{extra} args)" if extra > 0 else text


class LatencyEvent(BaseModel):
    """One row of LATENCY LATEST: event name, when, latest and all-time max latency in ms."""

    event: str
    timestamp: int
    latest_ms: int
    max_ms: int


class ClientSummary(BaseModel):
    """CLIENT LIST reduced to counts: no addresses, names or commands of single clients."""

    total: int = 0
    by_flag: dict[str, int] = Field(default_factory=dict)
    by_command: dict[str, int] = Field(default_factory=dict)
    idle_buckets: dict[str, int] = Field(default_factory=dict)
    query_buffer_bytes: int = 0
    output_buffer_bytes: int = 0
    max_output_buffer_bytes: int = 0
    clients_with_output_backlog: int = 0


class LogLine(BaseModel):
    """One Redis log line: `pid:role dd Mon yyyy hh:mm:ss.mmm level message`."""

    role: str = ""
    time: str = ""
    level: str = ""
    message: str


class Snapshot(BaseModel):
    """Everything collected from one instance (live) or pasted by a user; absent parts stay empty."""

    source: str = Field(description="'live' or 'pasted'")
    instance: str = ""
    info: Info = Field(default_factory=dict)
    info_later: Info = Field(default_factory=dict, description="a second INFO sample, live only")
    peers: list[Info] = Field(default_factory=list,
                              description="INFO of the other side of the replication pair (replica or master)")
    connection: str = Field("", description="redis-cli's connection options for this instance (-h H -p P)")
    interval_s: float = 0.0
    slowlog: list[SlowlogEntry] = Field(default_factory=list)
    slowlog_len: int | None = None
    latency: list[LatencyEvent] = Field(default_factory=list)
    latency_doctor: str = ""
    memory_stats: dict[str, Any] = Field(default_factory=dict)
    memory_doctor: str = ""
    clients: ClientSummary | None = None
    config: dict[str, str] = Field(default_factory=dict)
    role: list[Any] = Field(default_factory=list)
    dbsize: int | None = None
    log: list[LogLine] = Field(default_factory=list)
    errors: dict[str, str] = Field(default_factory=dict, description="command -> why it gave no answer")
    took_ms: float = 0.0

    def has_info(self) -> bool:
        return bool(self.info)

    @property
    def all_info(self) -> list[Info]:
        """This instance's latest INFO, then its peers' (a master and its replica pasted together)."""
        return [self.latest, *self.peers] if self.has_info() else list(self.peers)

    def cli_connection(self, peer_port: int | None = None) -> str:
        """-h/-p when known: the instance's address live, the INFO's tcp_port for a paste; for evidence
        from the peer's INFO, that INFO's tcp_port (its host is for the operator to add)."""
        if peer_port is not None and peer_port != self.latest.get("tcp_port"):
            return f"-p {peer_port}"
        if self.connection:
            return self.connection
        port = self.latest.get("tcp_port")
        return f"-p {port}" if isinstance(port, int) and port > 0 else ""

    def delta(self, field: str) -> int | None:
        """Growth of a counter between the two INFO samples; None without a second sample."""
        if not self.info_later:
            return None
        before, after = self.info.get(field), self.info_later.get(field)
        if isinstance(before, int | float) and isinstance(after, int | float):
            return int(after - before)
        return None

    @property
    def latest(self) -> Info:
        """The most recent INFO values (gauges are read from here)."""
        return self.info_later or self.info


class RedisFinding(BaseModel):
    """A finding with the fields that show it, a one-line fix and a documentation link."""

    code: str
    severity: Severity
    title: str
    evidence: dict[str, Any]
    fix: str
    doc: DocRef
    steps: list[Step] = Field(default_factory=list)
    fixes: list[Fix] = Field(default_factory=list)
    explains_symptom: bool = False
    peer_port: int | None = Field(None, description="the evidence is the peer's INFO (the replica's): its tcp_port")
    only_if_asked: bool = Field(False, description="an answer to a question, not a problem: shown when the symptom "
                                                   "is about its area")

    def evidence_text(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.evidence.items())

    @property
    def cautions(self) -> list[str]:
        return [f.caution for f in self.fixes if f.caution]

    def to_finding(self, evidence_ref: str | None = None) -> Finding:
        return Finding(  # the evidence names each INFO field (or slow-log/latency figure) with its value
            code=self.code, severity=self.severity, title=self.title,
            explanation=f"Evidence: {self.evidence_text()}\nFix: {self.fix}",
            evidence_refs=[evidence_ref] if evidence_ref else [],
            steps=self.steps, fixes=self.fixes, docs=[self.doc],
        )

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity.value, "title": self.title,
                "evidence_fields": list(self.evidence), "evidence": self.evidence, "fix": self.fix,
                "doc": self.doc.url, "doc_title": self.doc.title, "explains_symptom": self.explains_symptom,
                "steps": [s.model_dump() for s in self.steps],
                "fixes": [f.model_dump(mode="json") for f in self.fixes], "cautions": self.cautions}


class Diagnosis(BaseModel):
    """The analyzer's answer: the primary finding first, then the rest by rank."""

    instance: str = ""
    source: str = "pasted"
    window_s: float = Field(0.0, description="seconds between the two INFO samples (0: one sample)")
    symptom: str = ""
    findings: list[RedisFinding] = Field(default_factory=list)
    facts: dict[str, str] = Field(default_factory=dict, description="role, version, memory, clients for the card")
    notes: list[str] = Field(default_factory=list, description="what could not be read, and why")
    reports: dict[str, str] = Field(default_factory=dict, description="MEMORY/LATENCY DOCTOR text, for an LLM")

    @property
    def primary(self) -> RedisFinding | None:
        return self.findings[0] if self.findings else None

    @property
    def summary(self) -> str:
        """What the card's summary says: the primary finding's fix, or that nothing was found."""
        if self.primary is None:
            return "None of the checks found a problem in what was read."
        return f"Fix: {self.primary.fix}"

    def as_json(self) -> dict[str, Any]:
        """The CLI's document: everything the text card shows (summary, symptom, facts, notes, and each
        finding's evidence fields, steps, fixes and cautions)."""
        return {
            "primary": self.primary.code if self.primary else None,
            "summary": self.summary, "symptom": self.symptom, "instance": self.instance, "source": self.source,
            "facts": self.facts, "notes": self.notes,
            "findings": [f.as_json() for f in self.findings],
        }
