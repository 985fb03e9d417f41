"""The enricher registry: which evidence sources a triage runs, built from the settings.

One entry per source that can add evidence to an alert's card; a factory returns None when its
system is not configured. Adding a source is one factory and one line here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from core.enrichment import Enricher
from handlers import ceph, redis
from handlers.enrichers import evidence
from handlers.enrichers.knowledge import KnowledgeLinkNeeds, knowledge_enricher


class EnricherNeeds(ceph.CephNeeds, redis.RedisNeeds, evidence.EvidenceNeeds, KnowledgeLinkNeeds, Protocol):
    """Everything the registered enrichers read of the settings together."""


EnricherFactory = Callable[[EnricherNeeds], Enricher | None]

# In the order their results appear on a card.
ENRICHERS: dict[str, EnricherFactory] = {
    "redis": redis.enricher_factory,
    "knowledge": knowledge_enricher,
    "ceph": ceph.enricher_factory,
    "kubernetes": evidence.kubernetes_factory,
    "prometheus": evidence.prometheus_factory,
    "opensearch": evidence.opensearch_factory,
}


def build_enrichers(settings: EnricherNeeds) -> list[Enricher]:
    return [e for e in (factory(settings) for factory in ENRICHERS.values()) if e is not None]
