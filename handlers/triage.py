"""Alert triage: an Alertmanager group becomes a triage card.

`first_card` is deterministic and instant (what fired, where, severity, links). `enrich` runs the
configured enrichers (collectors + analyzers of each integration) in parallel, each with its own
timeout inside a total budget, and `enriched_card` folds what they found into the card. A source
that is slow or fails becomes an "unavailable" line; the card never waits for it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime
from urllib.parse import quote

from core.cards import DRAFT_BUTTON, Button, Card, CardField, CardKind, CardStatus, Link
from core.enrichment import Enricher, Enrichment
from core.events import AlertGroup
from core.models import Evidence, Severity, Unavailable

LOCATION_LABELS = ("cluster", "namespace", "pod", "container", "node", "instance", "job", "service")
MAX_ALERT_LINES = 10
EVIDENCE_LINES = 4  # per evidence item in the card's summary; the full text stays in the evidence
EVIDENCE_LINE_CHARS = 200
EVIDENCE_CHARS = 2800  # under Slack's 3000-character section limit




def severity_of(group: AlertGroup) -> Severity:
    levels = [Severity.parse(a.labels.get("severity")) for a in group.firing or group.alerts]
    return max(levels, key=lambda s: s.rank)


def location_fields(labels: dict[str, str]) -> list[CardField]:
    return [CardField(name=name, value=labels[name]) for name in LOCATION_LABELS if labels.get(name)]


def silence_url(group: AlertGroup) -> str | None:
    """Alertmanager's 'new silence' page prefilled with the group's common labels."""
    if not group.externalURL:
        return None
    labels = group.commonLabels or group.groupLabels
    matchers = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return f"{group.externalURL.rstrip('/')}/#/silences/new?filter={quote('{' + matchers + '}', safe='')}"


def first_card(group: AlertGroup, *, first_seen: datetime | None = None) -> Card:
    """The card posted at once: what fired, where, severity, summary, links."""
    annotations = group.commonAnnotations or group.alerts[0].annotations
    firing = group.firing
    resolved = group.status == "resolved"
    started = min(a.startsAt for a in group.alerts)
    fields = [
        CardField(name="alert", value=group.alertname),
        CardField(name="severity", value=severity_of(group).value),
        *location_fields(group.commonLabels or group.alerts[0].labels),
        CardField(name="alerts", value=f"{len(firing)} firing, {len(group.alerts) - len(firing)} resolved"
                  + (f", {group.truncatedAlerts} more not shown" if group.truncatedAlerts else "")),
        CardField(name="started", value=started.strftime("%Y-%m-%d %H:%M:%S UTC")),
    ]
    if resolved:
        ended = max((a.ended_at or a.startsAt) for a in group.alerts)
        since = min(first_seen, started) if first_seen else started
        fields.append(CardField(name="resolved", value=ended.strftime("%Y-%m-%d %H:%M:%S UTC")))
        fields.append(CardField(name="duration", value=format_duration((ended - since).total_seconds())))
    text_lines = [annotations.get("description", "")]
    if len(group.alerts) > 1:
        text_lines.append(_alert_list(group))
    return Card(
        kind=CardKind.triage,
        status=CardStatus.resolved if resolved else CardStatus.firing,
        title=annotations.get("summary") or group.alertname,
        severity=severity_of(group),
        summary=annotations.get("summary", ""),
        text="\n".join(line for line in text_lines if line),
        fields=fields,
        links=_links(group),
        buttons=[Button(action=DRAFT_BUTTON, label="Draft post-mortem", value=group.incident_key)] if resolved else [],
        footer="resolved" if resolved else "investigating…",
    )


def enrich(group: AlertGroup, enrichers: Sequence[Enricher], *, per_source_s: float, total_s: float) -> Enrichment:
    """Run every applicable enricher in parallel; none may hold the card past its timeout."""
    result = Enrichment()
    todo = [e for e in enrichers if e.applies(group)]
    if not todo:
        return result
    pool = ThreadPoolExecutor(max_workers=len(todo), thread_name_prefix="enrich")
    started = time.monotonic()
    futures: dict[Future[Enrichment], Enricher] = {pool.submit(e.collect, group): e for e in todo}
    pending = set(futures)
    deadline = started + min(per_source_s, total_s)
    while pending:
        done, pending = wait(pending, timeout=max(0.0, deadline - time.monotonic()), return_when=FIRST_COMPLETED)
        for future in done:
            enricher = futures[future]
            result.timings_ms[enricher.name] = round((time.monotonic() - started) * 1000, 1)
            try:
                result.merge(future.result())
            except Exception as exc:  # a failing source is a line on the card, never a lost card
                result.unavailable.append(Unavailable(source=enricher.name, reason=f"{type(exc).__name__}: {exc}"))
        if time.monotonic() >= deadline:
            break
    for future in pending:
        result.unavailable.append(
            Unavailable(source=futures[future].name, reason=f"no answer within {min(per_source_s, total_s):g} s")
        )
    pool.shutdown(wait=False, cancel_futures=True)
    return result


def enriched_card(card: Card, enrichment: Enrichment) -> Card:
    """Fold findings, the hypothesis, steps, citations and unavailable sources into the card (findings
    first; the LLM's hypothesis under them; deterministic steps before any the LLM added)."""
    findings = sorted(enrichment.findings, key=lambda f: -f.severity.rank)
    steps = list(card.steps)
    for step in [s for f in findings for s in f.steps] + enrichment.steps:
        if step not in steps:
            steps.append(step)
    fixes = list(card.fixes)  # the findings' documented changes only: no LLM pass can add one
    fixes += [fix for f in findings for fix in f.fixes if fix not in fixes]
    timings = ", ".join(f"{name} {ms:.0f} ms" for name, ms in sorted(enrichment.timings_ms.items()))
    footer = card.footer if card.status is CardStatus.resolved else "triaged"
    footer = " · ".join([footer, *([timings] if timings else []), *enrichment.notes])
    return card.model_copy(update={
        "evidence": evidence_summary(enrichment.evidence),
        "findings": findings,
        "hypothesis": enrichment.hypothesis,
        "steps": steps,
        "fixes": fixes,
        "citations": card.citations + enrichment.citations,
        "unavailable": card.unavailable + enrichment.unavailable,
        "images": card.images + enrichment.images,
        "footer": footer,
    })


def evidence_summary(evidence: Sequence[Evidence], lines_per_item: int = EVIDENCE_LINES,
                     max_chars: int = EVIDENCE_CHARS) -> str:
    """What each source saw, a few lines each (already redacted; `data["summary"]` where the collector
    wrote one, else the start of the text), within a size cap."""
    parts = []
    for item in evidence:
        summary = str(item.data.get("summary") or item.text)
        if not item.available or not summary:
            continue
        lines = [line if len(line) <= EVIDENCE_LINE_CHARS else line[:EVIDENCE_LINE_CHARS - 1] + "…"
                 for line in summary.splitlines()[:lines_per_item]]
        parts.append(f"▸ {item.title} ({item.took_ms:.0f} ms)\n" + "\n".join(f"  {line}" for line in lines))
    if not parts:
        return ""
    text = "\n".join(parts)
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"


def format_duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{minutes}m" if minutes else ""]
    text = " ".join(p for p in parts if p)
    return text or f"{secs}s"


def _links(group: AlertGroup) -> list[Link]:
    links: list[Link] = []
    runbook = group.commonAnnotations.get("runbook_url") or group.alerts[0].annotations.get("runbook_url")
    if runbook:
        links.append(Link(title="Runbook", url=runbook))
    if group.alerts[0].generatorURL:
        links.append(Link(title="Graph", url=group.alerts[0].generatorURL))
    silence = silence_url(group)
    if silence:
        links.append(Link(title="Silence", url=silence))
    return links


def _alert_list(group: AlertGroup) -> str:
    lines = []
    for alert in group.alerts[:MAX_ALERT_LINES]:
        where = " ".join(f"{k}={alert.labels[k]}" for k in LOCATION_LABELS if alert.labels.get(k))
        lines.append(f"• {alert.status}: {alert.name} {where}".rstrip())
    if len(group.alerts) > MAX_ALERT_LINES:
        lines.append(f"… and {len(group.alerts) - MAX_ALERT_LINES} more")
    return "\n".join(lines)
