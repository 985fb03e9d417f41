"""What an evidence source adds to a triage card, and the protocol every such source implements."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, Field

from core.cards import Hypothesis, Image
from core.events import AlertGroup
from core.models import Citation, Evidence, Finding, Step, Unavailable


class Enrichment(BaseModel):
    """What enrichers added to a triage card."""

    evidence: list[Evidence] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    steps: list[Step] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    unavailable: list[Unavailable] = Field(default_factory=list)
    images: list[Image] = Field(default_factory=list, description="graphs (PNG data URLs) for the card")
    timings_ms: dict[str, float] = Field(default_factory=dict)
    hypothesis: Hypothesis | None = Field(None, description="the LLM pass's, when shown")
    notes: list[str] = Field(default_factory=list, description="footer lines (the LLM's cost, why it says nothing)")

    def merge(self, other: Enrichment) -> None:
        self.evidence += other.evidence
        self.findings += other.findings
        self.steps += [s for s in other.steps if s not in self.steps]
        self.citations += other.citations
        self.unavailable += other.unavailable
        self.images += other.images
        self.timings_ms.update(other.timings_ms)
        self.notes += [n for n in other.notes if n not in self.notes]


class Enricher(Protocol):
    """One source of evidence for triage (Kubernetes, Prometheus, Ceph, Redis, knowledge, ...)."""

    name: str

    def applies(self, group: AlertGroup) -> bool: ...

    def collect(self, group: AlertGroup) -> Enrichment: ...
