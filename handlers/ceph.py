"""Ceph diagnosis for chat, CLI and alert triage: live (a configured cluster) or pasted output.

`diagnose_cluster` / `diagnose_paste` produce an analyzer `CephDiagnosis`; `diagnosis_card` turns it
into the platform-neutral card; `handle_command` serves `/ceph`; `CephEnricher` adds the live
diagnosis to the triage card of a Ceph alert.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol

from core.cards import Card, CardField, CardKind, CardStatus, Link
from core.enrichment import Enrichment
from core.events import AlertGroup, Command
from core.models import Citation, Evidence, Step, Unavailable
from handlers.shared import diagnosis as diagnosis_common
from handlers.shared.diagnosis import checked, strip_fences, unique_fixes, unique_steps
from integrations.ceph.analyzer import CephDiagnosis, analyze
from integrations.ceph.catalogue import code_for_summary
from integrations.ceph.config import CephDiagnosisSettings
from integrations.ceph.parsers import PasteError, parse_paste
from integrations.ceph.transports import CephUnavailable, collect
from knowledge.service import KnowledgeNeeds

log = logging.getLogger(__name__)
MAX_CARD_CHECKS = 12
# labels that may name a cluster in an alert (ceph-mixin alerts carry the exporter's job/cluster)
CLUSTER_LABELS = ("ceph_cluster", "cluster", "fsid", "ceph_fsid", "job")
USAGE = ("`/ceph` diagnoses the default cluster live, `/ceph CLUSTER` a configured cluster, and `/ceph` followed "
         "by pasted `ceph health detail` or `ceph -s` output (text or -f json) diagnoses the paste.")


class CephNeeds(KnowledgeNeeds, Protocol):
    """What the Ceph diagnosis reads of the settings: the clusters, and the knowledge base for citations."""

    @property
    def ceph(self) -> CephDiagnosisSettings: ...



class UnknownCluster(LookupError):
    """The name is not one of the configured clusters (or no default is configured)."""


def diagnose_cluster(name: str | None, config: CephDiagnosisSettings) -> CephDiagnosis:
    """Live diagnosis. Raises UnknownCluster, CephUnavailable, or CommandRefused."""
    name = name or config.default
    known = ", ".join(sorted(config.clusters)) or "none configured"
    if name is None:
        raise UnknownCluster(f"no default Ceph cluster: name one of {known}")
    cluster = config.clusters.get(name)
    if cluster is None:
        raise UnknownCluster(f"unknown Ceph cluster {name!r} (configured: {known})")
    snapshot = collect(cluster, name=name)
    diagnosis = analyze(snapshot, docs_url=config.docs_url, max_detail=config.max_detail_lines)
    diagnosis.facts["collected"] = f"{snapshot.transport}, {snapshot.took_ms:.0f} ms"
    return diagnosis


def diagnose_paste(text: str, config: CephDiagnosisSettings) -> CephDiagnosis:
    """Diagnosis of pasted `ceph health detail` / `ceph -s`. Raises PasteError."""
    snapshot = parse_paste(strip_fences(text), code_for_summary)
    return analyze(snapshot, docs_url=config.docs_url, max_detail=config.max_detail_lines)


def evidence_id(diagnosis: CephDiagnosis) -> str:
    return f"ceph:{diagnosis.cluster or 'pasted'}"


def diagnosis_card(diagnosis: CephDiagnosis, *, target: str, citations: Sequence[Citation] = (),
                   explanation: str | None = None) -> Card:
    """Status, the primary problem in one sentence, every check with its (trimmed) detail lines, the
    commands to run, cautions, doc links, retrieved runbooks and an optional LLM explanation."""
    ref = evidence_id(diagnosis)
    findings = [checked(c.to_finding(ref)) for c in diagnosis.checks[:MAX_CARD_CHECKS]]
    active = [c for c in diagnosis.checks if not c.muted]
    steps = unique_steps(s for c in active for s in c.commands)
    fixes = unique_fixes(f for c in active for f in c.fixes)
    text: list[str] = []
    if explanation:
        text.append(explanation)
    for check in diagnosis.checks[:MAX_CARD_CHECKS]:
        label = f"{check.code} [{check.ceph_severity}{', muted' if check.muted else ''}]"
        text.append(f"{label}: {check.summary}")
        text += [f"    {line}" for line in check.detail]
    if len(diagnosis.checks) > MAX_CARD_CHECKS:
        text.append(f"… and {len(diagnosis.checks) - MAX_CARD_CHECKS} more checks")
    links: list[Link] = []
    for check in diagnosis.checks:
        link = Link(title=f"Ceph docs: {check.section.heading}", url=check.section.url)
        if link not in links:
            links.append(link)
    source = f"live via {diagnosis.transport}" if diagnosis.source == "live" else "pasted output"
    return Card(
        kind=CardKind.diagnosis,
        status=CardStatus.done,
        title=f"Ceph {target}: {diagnosis.status}" + (f", {diagnosis.primary}" if diagnosis.primary else ""),
        severity=diagnosis.severity,
        summary=diagnosis_summary(diagnosis),
        text="\n".join(text),
        fields=[CardField(name="status", value=diagnosis.status),
                CardField(name="primary", value=diagnosis.primary or "none")]
        + [CardField(name=k, value=v) for k, v in diagnosis.facts.items()]
        + [CardField(name="checks", value=", ".join(c.code + (" (muted)" if c.muted else "") for c in diagnosis.checks)
                     or "none", short=False)],
        findings=findings,
        steps=steps,
        fixes=fixes,
        citations=list(citations),
        links=links,
        footer=f"ceph diagnosis · {source}",
    )


def diagnosis_json(diagnosis: CephDiagnosis, card: Card) -> dict[str, Any]:
    """The CLI's JSON: the analyzer's document plus what the card adds (the summary with cautions, the
    checked steps and fixes)."""
    return diagnosis_common.card_json(diagnosis.as_json(), "checks", card)


def diagnosis_summary(diagnosis: CephDiagnosis) -> str:
    """The card's summary (and the JSON's): the headline, why this check leads, the primary's cautions."""
    primary = diagnosis.primary_check
    why = f" It leads because {diagnosis.primary_reason}." if diagnosis.primary_reason else ""
    return diagnosis.headline + why + "".join(f" Caution: {c}" for c in (primary.cautions if primary else []))


def unavailable_card(target: str, reason: str) -> Card:
    return diagnosis_common.unavailable_card("Ceph", target, reason)


def usage_card(message: str = "") -> Card:
    return diagnosis_common.usage_card("/ceph", USAGE, message)


def handle_command(cmd: Command, settings: CephNeeds) -> Card:
    """`/ceph` (default cluster, live), `/ceph CLUSTER`, or `/ceph` + pasted output."""
    config = settings.ceph
    text = strip_fences(cmd.text)
    if "\n" in text or text.startswith("{") or text.startswith("HEALTH_") or "cluster:" in text:
        try:
            diagnosis = diagnose_paste(text, config)
        except PasteError as exc:
            return usage_card(str(exc))
        return diagnosis_card(diagnosis, target="(pasted output)", citations=related_knowledge(diagnosis, settings))
    name = text.split()[0] if text else None
    try:
        diagnosis = diagnose_cluster(name, config)
    except UnknownCluster as exc:
        return usage_card(str(exc.args[0]))
    except (CephUnavailable, PermissionError) as exc:
        return unavailable_card(name or config.default or "?", str(exc))
    return diagnosis_card(diagnosis, target=diagnosis.cluster or "?", citations=related_knowledge(diagnosis, settings))


def related_knowledge(diagnosis: CephDiagnosis, settings: CephNeeds) -> list[Citation]:
    """Runbooks about the top active checks."""
    active = [c for c in diagnosis.checks if not c.muted][:3]
    if not active:
        return []
    return diagnosis_common.related_knowledge("Ceph " + "; ".join(f"{c.code} {c.summary}" for c in active), settings)


# --- alert triage ---------------------------------------------------------------------------------

def is_ceph_alert(labels: dict[str, str]) -> bool:
    """ceph-mixin names (CephHealthWarning, CephOSDDown, CephPGsDegraded, ...) or any ceph label."""
    if labels.get("alertname", "").lower().startswith("ceph"):
        return True
    return any(k.lower().startswith("ceph") or "ceph" in v.lower() for k, v in labels.items() if k != "alertname")


def resolve_cluster(labels: dict[str, str], config: CephDiagnosisSettings) -> str | None:
    """The configured cluster an alert is about: a label naming it (or an alias, or its fsid), else the default."""
    for label in CLUSTER_LABELS:
        value = labels.get(label, "").strip().lower()
        if not value:
            continue
        for name, cluster in config.clusters.items():
            if value == name.lower() or value in (a.lower() for a in cluster.aliases):
                return name
    return config.default


# When the monitors do not answer, commands with a timeout and the daemons' own state say why.
UNREACHABLE_STEPS = [
    Step(command="ceph -s --connect-timeout 10", why="whether any monitor answers at all"),
    Step(command="ceph mon stat --connect-timeout 10", why="which monitors are in quorum"),
    Step(command="systemctl status 'ceph-mon@*'", why="on a monitor host: is the daemon running (read-only)"),
]


class CephEnricher:
    """Adds the live Ceph diagnosis to the triage card of a Ceph alert."""

    name = "ceph"

    def __init__(self, config: CephDiagnosisSettings) -> None:
        self.config = config

    def applies(self, group: AlertGroup) -> bool:
        alerts = [group.commonLabels, *(a.labels for a in group.alerts)]
        return any(is_ceph_alert(labels) for labels in alerts) and self._target(group) is not None

    def _target(self, group: AlertGroup) -> str | None:
        for labels in [group.commonLabels, *(a.labels for a in group.alerts)]:
            name = resolve_cluster(labels, self.config)
            if name:
                return name
        return None

    def collect(self, group: AlertGroup) -> Enrichment:
        result = Enrichment()
        name = self._target(group)
        if name is None:
            return result
        try:
            diagnosis = diagnose_cluster(name, self.config)
        except (CephUnavailable, PermissionError, UnknownCluster) as exc:
            reason = f"{type(exc).__name__}: {exc}"
            result.evidence.append(Evidence(id=f"ceph:{name}", source="ceph", title=f"Ceph {name}", error=reason))
            result.unavailable.append(Unavailable(source=f"ceph:{name}", reason=reason))
            result.findings.append(diagnosis_common.unreachable_finding(
                "CEPH_UNREACHABLE", f"Ceph cluster {name}", reason, f"ceph:{name}", group, UNREACHABLE_STEPS))
            return result
        result.evidence.append(_evidence(diagnosis))
        result.findings += [checked(c.to_finding(evidence_id(diagnosis))) for c in diagnosis.checks if not c.muted]
        return result


def _evidence(diagnosis: CephDiagnosis) -> Evidence:
    facts = ", ".join(f"{k}: {v}" for k, v in diagnosis.facts.items())
    lines = [f"{diagnosis.status}; primary {diagnosis.primary or 'none'}", facts]
    for check in diagnosis.checks:
        lines.append(f"{check.code} ({check.ceph_severity}{', muted' if check.muted else ''}): {check.summary}")
        lines += [f"  {d}" for d in check.detail]
    return Evidence(id=evidence_id(diagnosis), source="ceph", title=f"Ceph {diagnosis.cluster} (live)",
                    text="\n".join(line for line in lines if line), data=diagnosis.as_json())


def enricher_factory(settings: CephNeeds) -> CephEnricher | None:
    config = settings.ceph
    return CephEnricher(config) if config.clusters else None
