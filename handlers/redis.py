"""Redis diagnosis for chat, CLI and alert triage: live (a configured instance) or pasted output.

`diagnose_*` produce an analyzer `Diagnosis`; `diagnosis_card` turns it into the platform-neutral
card; `handle_command` serves `/redis`; `RedisEnricher` adds the live diagnosis to a Redis alert's
triage card.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any, Protocol

from core.cards import Card, CardField, CardKind, CardStatus
from core.enrichment import Enrichment
from core.events import AlertGroup, Command
from core.models import Citation, Evidence, Severity, Step, Unavailable
from handlers.shared import diagnosis as diagnosis_common
from handlers.shared.diagnosis import checked, strip_fences, unique_fixes, unique_steps
from integrations.redis.analyzer import analyze
from integrations.redis.client import RedisUnavailable
from integrations.redis.collector import collect
from integrations.redis.config import RedisDiagnosisSettings, RedisInstance
from integrations.redis.models import Diagnosis
from integrations.redis.parsers import PasteError, split_paste
from knowledge.service import KnowledgeNeeds

# Labels that may name a Redis server in an alert (redis_exporter uses `instance`, often as redis://host:port).
INSTANCE_LABELS = ("redis_instance", "instance", "addr", "redis", "service", "target")
MAX_INSTANCES_PER_ALERT = 3
log = logging.getLogger(__name__)
USAGE = ("`/redis INSTANCE [latency|memory|replication|clients] [symptom]` diagnoses a configured instance live; "
         "`/redis` followed by pasted INFO, SLOWLOG GET, LATENCY LATEST output or redis log lines diagnoses "
         "the paste.")


class RedisNeeds(KnowledgeNeeds, Protocol):
    """What the Redis diagnosis reads of the settings: the instances, and the knowledge base for citations."""

    @property
    def redis_diagnosis(self) -> RedisDiagnosisSettings: ...



class UnknownInstance(LookupError):
    """The name is not one of the configured Redis instances."""


def diagnose_instance(name: str, config: RedisDiagnosisSettings, *, symptom: str = "",
                      interval_s: float | None = None) -> Diagnosis:
    """Live diagnosis of a configured instance. Raises UnknownInstance or RedisUnavailable."""
    instance = config.instances.get(name)
    if instance is None:
        known = ", ".join(sorted(config.instances)) or "none configured"
        raise UnknownInstance(f"unknown Redis instance {name!r} (configured: {known})")
    return diagnose_url(instance, config, name=name, symptom=symptom, interval_s=interval_s)


def diagnose_url(instance: RedisInstance, config: RedisDiagnosisSettings, *, name: str, symptom: str = "",
                 interval_s: float | None = None) -> Diagnosis:
    interval = config.sample_interval_s if interval_s is None else interval_s
    snapshot = collect(instance, name=name, interval_s=interval, slowlog_entries=config.slowlog_entries)
    diagnosis = analyze(snapshot, config.thresholds, symptom)
    diagnosis.facts["collected in"] = f"{snapshot.took_ms:.0f} ms"
    return diagnosis


def diagnose_paste(text: str, config: RedisDiagnosisSettings, *, symptom: str = "") -> Diagnosis:
    """Diagnosis of pasted redis-cli output and log lines. Raises PasteError when nothing is recognised."""
    return analyze(split_paste(text).to_snapshot(), config.thresholds, symptom)


def diagnosis_card(diagnosis: Diagnosis, *, target: str, citations: Sequence[Citation] = (),
                   explanation: str | None = None) -> Card:
    """The diagnosis card: primary problem and its fix first, every finding with its evidence, the
    read-only commands to look further, documentation, retrieved knowledge and an optional explanation."""
    primary = diagnosis.primary
    ref = _evidence_id(diagnosis)
    findings = [checked(f.to_finding(ref)) for f in diagnosis.findings]
    steps = unique_steps(s for f in findings for s in f.steps)
    fixes = unique_fixes(x for f in findings for x in f.fixes)
    text = [f"Symptom: {diagnosis.symptom}"] if diagnosis.symptom else []
    if explanation:
        text.append(explanation)
    text += [f"Note: {n}" for n in diagnosis.notes]
    source = ("pasted output" if diagnosis.source != "live" else
              f"live, INFO sampled twice {diagnosis.window_s:g} s apart" if diagnosis.window_s else
              "live, one INFO sample")
    return Card(
        kind=CardKind.diagnosis,
        status=CardStatus.done,
        title=f"Redis {target}: {primary.title if primary else 'no problem found'}",
        severity=primary.severity if primary else Severity.info,
        summary=diagnosis.summary,
        text="\n".join(text),
        fields=[CardField(name=k, value=v) for k, v in diagnosis.facts.items()]
        + [CardField(name="findings", value=", ".join(f.code for f in diagnosis.findings) or "none", short=False)],
        findings=findings,
        steps=steps,
        fixes=fixes,
        citations=list(citations),
        footer=f"redis diagnosis · {source}",
    )


def diagnosis_json(diagnosis: Diagnosis, card: Card) -> dict[str, Any]:
    """The CLI's JSON: the analyzer's document plus what the card adds (title, the checked fixes, steps)."""
    return diagnosis_common.card_json(diagnosis.as_json(), "findings", card)


def unavailable_card(target: str, reason: str) -> Card:
    return diagnosis_common.unavailable_card("Redis", target, reason)


def usage_card(message: str = "") -> Card:
    return diagnosis_common.usage_card("/redis", USAGE, message)


def handle_command(cmd: Command, settings: RedisNeeds) -> Card:
    """`/redis NAME [focus] [symptom]` (live) or `/redis` + pasted output."""
    config = settings.redis_diagnosis
    text = strip_fences(cmd.text)
    if not text:
        return usage_card()
    first = text.split(None, 1)[0]
    rest = text[len(first):].strip()
    if first in config.instances:
        try:  # a focus word (latency|memory|replication|clients) ranks like a symptom in words
            diagnosis = diagnose_instance(first, config, symptom=rest)
        except RedisUnavailable as exc:
            return unavailable_card(first, str(exc))
        return diagnosis_card(diagnosis, target=first, citations=related_knowledge(diagnosis, settings))
    try:
        diagnosis = diagnose_paste(text, config)
    except PasteError as exc:
        if "\n" not in text and len(text.split()) <= 3:  # looks like a name, not a paste
            known = ", ".join(sorted(config.instances)) or "none configured"
            return usage_card(f"Unknown Redis instance {first!r} (configured: {known}).")
        return usage_card(str(exc))
    return diagnosis_card(diagnosis, target="(pasted output)", citations=related_knowledge(diagnosis, settings))


def related_knowledge(diagnosis: Diagnosis, settings: RedisNeeds) -> list[Citation]:
    """Runbooks and docs about the top findings."""
    if not diagnosis.findings:
        return []
    query = "Redis " + "; ".join(f"{f.code} {f.title}" for f in diagnosis.findings[:3])
    return diagnosis_common.related_knowledge(query, settings)


def _evidence_id(diagnosis: Diagnosis) -> str:
    return f"redis:{diagnosis.instance or 'pasted'}"


# --- alert triage ---------------------------------------------------------------------------------

def resolve_instances(labels: dict[str, str], config: RedisDiagnosisSettings) -> list[str]:
    """Names of configured instances an alert's labels point at (name, alias, host:port or URL)."""
    found: list[str] = []
    for label in INSTANCE_LABELS:
        value = _normalise(labels.get(label, ""))
        if not value:
            continue
        for name, instance in config.instances.items():
            candidates = {_normalise(name), _normalise(instance.url), _normalise(instance.address),
                          *(_normalise(a) for a in instance.aliases)}
            if value in candidates and name not in found:
                found.append(name)
    return found


def _normalise(value: str) -> str:
    value = re.sub(r"^rediss?://([^@/]*@)?", "", value.strip().lower())
    return value.split("/", 1)[0] if ":" in value else value


class RedisEnricher:
    """Adds the live Redis diagnosis to the triage card of an alert about a configured instance."""

    name = "redis"

    def __init__(self, config: RedisDiagnosisSettings) -> None:
        self.config = config

    def applies(self, group: AlertGroup) -> bool:
        return bool(self._targets(group))

    def collect(self, group: AlertGroup) -> Enrichment:
        result = Enrichment()
        symptom = " ".join(filter(None, [group.alertname, group.commonAnnotations.get("summary", "")]))
        for name in self._targets(group):
            try:
                diagnosis = diagnose_instance(name, self.config, symptom=symptom,
                                              interval_s=self.config.triage_sample_interval_s)
            except RedisUnavailable as exc:
                reason = f"{type(exc).__name__}: {exc}"
                result.evidence.append(Evidence(id=f"redis:{name}", source="redis", title=f"Redis {name}",
                                                error=reason))
                result.unavailable.append(Unavailable(source=f"redis:{name}", reason=reason))
                result.findings.append(diagnosis_common.unreachable_finding(
                    "REDIS_UNREACHABLE", f"Redis {name}", reason, f"redis:{name}", group,
                    _unreachable_steps(self.config.instances[name])))
                continue
            result.evidence.append(_evidence(diagnosis))
            result.findings += [checked(f.to_finding(_evidence_id(diagnosis))) for f in diagnosis.findings]
        return result

    def _targets(self, group: AlertGroup) -> list[str]:
        names: list[str] = []
        for labels in [group.commonLabels, *(a.labels for a in group.alerts)]:
            names += [n for n in resolve_instances(labels, self.config) if n not in names]
        return names[:MAX_INSTANCES_PER_ALERT]


def _unreachable_steps(instance: RedisInstance) -> list[Step]:
    where = instance.cli_options
    return [Step(command=f"redis-cli {where} PING", why="PONG when it is up; LOADING while it reads its data"),
            Step(command=f"redis-cli {where} INFO persistence", why="a restart still loading its RDB/AOF")]


def _evidence(diagnosis: Diagnosis) -> Evidence:
    facts = ", ".join(f"{k}: {v}" for k, v in diagnosis.facts.items())
    lines = [facts] + [f"{f.code} ({f.severity.value}): {f.title} [{f.evidence_text()}]" for f in diagnosis.findings]
    return Evidence(id=_evidence_id(diagnosis), source="redis", title=f"Redis {diagnosis.instance} (live)",
                    text="\n".join(lines), data={**diagnosis.as_json(), "reports": diagnosis.reports})


def enricher_factory(settings: RedisNeeds) -> RedisEnricher | None:
    config = settings.redis_diagnosis
    return RedisEnricher(config) if config.instances else None
