"""Domain records shared by every layer: evidence, findings, citations.

A leaf module: pure pydantic, imports nothing from the project, so integrations, handlers and
bot can all depend on it without breaking the one direction of flow.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class Severity(StrEnum):
    """Ordered from least to most urgent; `rank` gives the order."""

    info = "info"
    warning = "warning"
    error = "error"
    critical = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    @classmethod
    def parse(cls, value: str | None, default: Severity | None = None) -> Severity:
        """Map the many spellings alert rules use (page, high, err, ...) onto our four levels."""
        fallback = default if default is not None else cls.warning
        if not value:
            return fallback
        return _SEVERITY_ALIASES.get(value.strip().lower(), fallback)


_SEVERITY_RANK = {Severity.info: 0, Severity.warning: 1, Severity.error: 2, Severity.critical: 3}
_SEVERITY_ALIASES = {
    "info": Severity.info, "informational": Severity.info, "none": Severity.info, "low": Severity.info,
    "notice": Severity.info, "ok": Severity.info,
    "warning": Severity.warning, "warn": Severity.warning, "medium": Severity.warning,
    "minor": Severity.warning, "health_warn": Severity.warning,
    "error": Severity.error, "err": Severity.error, "high": Severity.error, "major": Severity.error,
    "critical": Severity.critical, "crit": Severity.critical, "page": Severity.critical,
    "fatal": Severity.critical, "emergency": Severity.critical, "disaster": Severity.critical,
    "health_err": Severity.critical,
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Step(BaseModel):
    """A suggested next step: a read-only command and why to run it."""

    command: str
    why: str = ""


class DocRef(BaseModel):
    """A pointer into documentation: a heading and, when known, a URL with its anchor."""

    title: str
    url: str | None = None


class Fix(BaseModel):
    """A documented change that fixes the problem. A human runs it; opsbot never does."""

    command: str
    why: str = ""
    caution: str = Field("", description="what can go wrong; required for destructive changes")
    last_resort: bool = Field(False, description="only when nothing else worked (e.g. giving up unfound objects)")
    doc: DocRef | None = Field(None, description="the documentation section the fix comes from")


class Evidence(BaseModel):
    """What one source said (or that it could not be consulted). Text is already redacted."""

    id: str
    source: str
    title: str
    text: str = ""
    data: dict[str, Any] = Field(default_factory=dict)
    fetched_at: datetime = Field(default_factory=utcnow)
    took_ms: float = 0.0
    error: str | None = None

    @property
    def available(self) -> bool:
        return self.error is None


class Finding(BaseModel):
    """A conclusion a deterministic analyzer drew from evidence, with a stable code."""

    code: str
    severity: Severity = Severity.warning
    title: str
    explanation: str = ""
    evidence_refs: list[str] = Field(default_factory=list)
    steps: list[Step] = Field(default_factory=list)
    fixes: list[Fix] = Field(default_factory=list, description="changes a human runs; never run by opsbot")
    docs: list[DocRef] = Field(default_factory=list)


class Citation(BaseModel):
    """A retrieved document the card relies on."""

    source: str
    title: str
    section: str = ""
    score: float = 0.0
    url: str | None = None


class Unavailable(BaseModel):
    """A source that could not be consulted for this card, and why."""

    source: str
    reason: str
