"""Triage enrichers for the evidence sources: Kubernetes, Prometheus and OpenSearch.

Each enricher maps the alert onto its source (pod/node/workload, expression, log filters),
collects read-only within its timeouts, redacts, and runs the analyzers. A failing source gives an
Evidence item with `error` and an Unavailable line; `handlers.triage.enrich` bounds the time.
When at least one of the three is configured, the others say "not configured" on cards they would
have helped with, so the reader knows what was not consulted.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol, cast

from core.cards import Image
from core.enrichment import Enricher, Enrichment
from core.events import Alert, AlertGroup
from core.models import Evidence, Unavailable
from integrations.images import png_data_url
from integrations.kubernetes.analyzer import analyze_kubernetes
from integrations.kubernetes.client import ReadOnlyKube, api_client
from integrations.kubernetes.collector import KubeCollector, Target, target_of
from integrations.kubernetes.config import KubernetesSettings
from integrations.kubernetes.evidence import to_evidence
from integrations.opensearch.collector import LogCollector
from integrations.opensearch.collector import connect as connect_opensearch
from integrations.opensearch.collector import result_summary as log_result_summary
from integrations.opensearch.collector import result_text as log_result_text
from integrations.opensearch.config import OpenSearchSettings
from integrations.opensearch.query import LogQuery
from integrations.prometheus.analyzer import analyze_metrics
from integrations.prometheus.collector import (
    EXPRESSION_KEY,
    PrometheusCollector,
    QueryResult,
    result_summary,
    result_text,
)
from integrations.prometheus.collector import connect as connect_prometheus
from integrations.prometheus.config import PrometheusSettings
from integrations.prometheus.graph import expression_graph
from integrations.prometheus.queries import RelatedQuery, expression_of, related_queries
from integrations.redaction import redact, redact_data

log = logging.getLogger(__name__)
MAX_TARGETS = 3  # distinct pods/nodes/workloads examined per alert group


class EvidenceNeeds(Protocol):
    """What the evidence enrichers read of the settings: each source's connection."""

    @property
    def kubernetes(self) -> KubernetesSettings: ...

    @property
    def prometheus(self) -> PrometheusSettings: ...

    @property
    def opensearch(self) -> OpenSearchSettings: ...



def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


def _reason(exc: BaseException) -> str:
    status = getattr(exc, "status", None)
    text = f"HTTP {status} {getattr(exc, 'reason', '') or ''}".strip() if status else f"{type(exc).__name__}: {exc}"
    return redact(text)[:300]


def _clean(enrichment: Enrichment) -> Enrichment:
    """Second line of defence: structured evidence data is redacted too, not only the texts."""
    for item in enrichment.evidence:
        item.data = cast(dict[str, Any], redact_data(item.data))
    return enrichment


def _firing(group: AlertGroup) -> list[Alert]:
    return group.firing or group.alerts


def _failed(source: str, evidence_id: str, title: str, reason: str, took_ms: float) -> Enrichment:
    return Enrichment(evidence=[Evidence(id=evidence_id, source=source, title=title, error=reason, took_ms=took_ms)],
                      unavailable=[Unavailable(source=source, reason=reason)])


# --- Kubernetes ---------------------------------------------------------------------------------

_clients: dict[tuple[str, ...], ReadOnlyKube] = {}
_clients_lock = threading.Lock()


def kube_for(name: str, config: KubernetesSettings) -> ReadOnlyKube:
    """One API client per configured cluster and process (connection pools are reused across triages)."""
    cluster = config.clusters[name]
    token = cluster.token.get_secret_value() if cluster.token else ""  # the JSON dump masks it
    key = (name, cluster.model_dump_json(), token, str(config.request_timeout_s))
    with _clients_lock:
        if key not in _clients:
            _clients[key] = ReadOnlyKube(api_client(cluster), config.request_timeout_s)
        return _clients[key]


class KubernetesEnricher:
    name = "kubernetes"

    def __init__(self, config: KubernetesSettings, kube_factory: Callable[[str], ReadOnlyKube] | None = None) -> None:
        self.config = config
        self.kube_factory = kube_factory or (lambda name: kube_for(name, config))

    def targets(self, group: AlertGroup) -> list[tuple[str | None, Target]]:
        found: list[tuple[str | None, Target]] = []
        for alert in _firing(group):
            target = target_of(alert.labels)
            if target is None:
                continue
            cluster = self.config.resolve(alert.labels.get(self.config.cluster_label))
            if (cluster, target) not in found:
                found.append((cluster, target))
        return found[:MAX_TARGETS]

    def applies(self, group: AlertGroup) -> bool:
        return bool(self.targets(group))

    def collect(self, group: AlertGroup) -> Enrichment:
        result = Enrichment()
        alert_start = min(a.startsAt for a in _firing(group))
        for cluster, target in self.targets(group):
            where = f"{target.kind} {target.namespace + '/' if target.namespace else ''}{target.name}"
            started = time.monotonic()
            if cluster is None:
                label = self.config.cluster_label
                result.unavailable.append(Unavailable(source=self.name, reason=f"no configured cluster for {where} "
                                                      f"(set the {label!r} label or kubernetes.default_cluster)"))
                continue
            try:
                snapshot = KubeCollector(self.kube_factory(cluster), self.config, cluster).collect(target)
            except Exception as exc:  # the API said no (404, 403) or is unreachable: a line on the card
                result.merge(_failed(self.name, f"k8s:{cluster}:{where}", f"Kubernetes {where}", _reason(exc),
                                     _ms(started)))
                continue
            result.evidence += to_evidence(snapshot, _ms(started))
            result.findings += analyze_kubernetes(snapshot, alert_start, self.config.rollout_window_s)
        return _clean(result)


# --- Prometheus ---------------------------------------------------------------------------------

class PrometheusEnricher:
    name = "prometheus"

    def __init__(self, config: PrometheusSettings, client: Any | None = None) -> None:
        self.config = config
        self.client = client

    def queries(self, group: AlertGroup) -> list[RelatedQuery]:
        first = _firing(group)[0]
        queries = []
        expression = expression_of(first.generatorURL)
        if expression:
            queries.append(RelatedQuery(EXPRESSION_KEY, f"Alert expression ({first.name})", expression))
        return queries + related_queries(first.labels)

    def applies(self, group: AlertGroup) -> bool:
        return bool(self.queries(group))

    def collect(self, group: AlertGroup) -> Enrichment:
        started = time.monotonic()
        results = PrometheusCollector(self.config, self.client).run(self.queries(group))
        if results and all(r.error for r in results):
            return _failed(self.name, "prom:query", "Prometheus", results[0].error or "failed", _ms(started))
        evidence = [_query_evidence(r) for r in results]
        refs = {r.key: e.id for r, e in zip(results, evidence, strict=True)}
        expression_failed = any(r.key == EXPRESSION_KEY and r.error for r in results)  # its evidence says why
        images, unavailable = self.graph(group) if self.config.graphs and not expression_failed else ([], [])
        return _clean(Enrichment(evidence=evidence, findings=analyze_metrics(results, refs), images=images,
                                 unavailable=unavailable))

    def graph(self, group: AlertGroup) -> tuple[list[Image], list[Unavailable]]:
        """The alert's expression over the last hour as a PNG (integrations.prometheus.graph), or why not."""
        first = _firing(group)[0]
        expression = expression_of(first.generatorURL)
        if not expression:
            return [], []
        drawn = expression_graph(self.config, expression, starts_at=first.startsAt, client=self.client)
        if drawn.png is None:
            return [], [Unavailable(source="prometheus graph", reason=drawn.error)] if drawn.error else []
        return [Image(title=f"{first.name}: {expression} (last hour)", url=png_data_url(drawn.png))], []


def _query_evidence(result: QueryResult) -> Evidence:
    return Evidence(id=f"prom:{result.key}", source="prometheus", title=f"Prometheus: {result.title}",
                    text=redact(result_text(result)),
                    data=result.model_dump(mode="json") | {"summary": redact(result_summary(result))},
                    took_ms=result.took_ms, error=result.error)


# --- OpenSearch ---------------------------------------------------------------------------------

class OpenSearchEnricher:
    name = "opensearch"

    def __init__(self, config: OpenSearchSettings, client: Any | None = None) -> None:
        self.config = config
        self.client = client

    def query(self, group: AlertGroup) -> LogQuery | None:
        first = _firing(group)[0]
        labels = first.labels
        namespace = labels.get("namespace")
        pod = labels.get("pod")
        workload = next((labels[k] for k in ("deployment", "statefulset", "daemonset", "job_name") if labels.get(k)),
                        None)
        if not namespace or not (pod or workload):
            return None
        config = self.config
        return LogQuery.around(first.startsAt, before_s=config.before_s, after_s=config.after_s, namespace=namespace,
                               pod=pod, workload=None if pod else workload, levels=config.error_levels,
                               size=config.max_hits, top_messages=config.top_messages)

    def applies(self, group: AlertGroup) -> bool:
        return self.query(group) is not None

    def collect(self, group: AlertGroup) -> Enrichment:
        query = self.query(group)
        if query is None:
            return Enrichment()
        where = f"{query.namespace}/{query.pod or query.workload}"
        started = time.monotonic()
        try:
            found = LogCollector(self.config, self.client).search(query)
        except Exception as exc:
            return _failed(self.name, f"logs:{where}", f"Error logs of {where}", _reason(exc), _ms(started))
        evidence = Evidence(id=f"logs:{where}", source=self.name, title=f"Error logs of {where}",
                            text=redact(log_result_text(found)),
                            data=found.model_dump(mode="json") | {"summary": redact(log_result_summary(found))},
                            took_ms=found.took_ms)
        return _clean(Enrichment(evidence=[evidence]))


# --- factories ----------------------------------------------------------------------------------

class NotConfigured:
    """Stands in for a source that is not configured: one "unavailable" line where it would have helped."""

    def __init__(self, name: str, would_apply: Callable[[AlertGroup], bool], setting: str) -> None:
        self.name = name
        self._would_apply = would_apply
        self.setting = setting

    def applies(self, group: AlertGroup) -> bool:
        return self._would_apply(group)

    def collect(self, group: AlertGroup) -> Enrichment:
        return Enrichment(unavailable=[Unavailable(source=self.name, reason=f"not configured ({self.setting})")])


def _any_evidence_source(settings: EvidenceNeeds) -> bool:
    return bool(settings.kubernetes.clusters) or settings.prometheus.enabled or settings.opensearch.enabled


def kubernetes_factory(settings: EvidenceNeeds) -> Enricher | None:
    if settings.kubernetes.clusters:
        for name in settings.kubernetes.clusters:  # import the client and load credentials outside the time budget
            try:
                kube_for(name, settings.kubernetes)
            except Exception as exc:  # a broken kubeconfig: collect() reports it on the card
                log.warning("kubernetes cluster %s: %s", name, _reason(exc))
        return KubernetesEnricher(settings.kubernetes)
    if not _any_evidence_source(settings):
        return None
    return NotConfigured("kubernetes", lambda g: any(target_of(a.labels) for a in _firing(g)),
                         "OPSBOT_KUBERNETES__CLUSTERS")


def prometheus_factory(settings: EvidenceNeeds) -> Enricher | None:
    if settings.prometheus.enabled:  # the client is made here, outside the time budget (imports, session)
        return PrometheusEnricher(settings.prometheus, connect_prometheus(settings.prometheus))
    if not _any_evidence_source(settings):
        return None
    return NotConfigured("prometheus", PrometheusEnricher(settings.prometheus).applies, "OPSBOT_PROMETHEUS__URL")


def opensearch_factory(settings: EvidenceNeeds) -> Enricher | None:
    if settings.opensearch.enabled:
        return OpenSearchEnricher(settings.opensearch, connect_opensearch(settings.opensearch))
    if not _any_evidence_source(settings):
        return None
    return NotConfigured("opensearch", OpenSearchEnricher(settings.opensearch).applies, "OPSBOT_OPENSEARCH__URL")
