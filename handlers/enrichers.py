"""Which enrichers a triage runs, built from the settings.

Each integration that can add evidence to an alert's card contributes one factory here; a factory
returns None when its system is not configured.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.config import Settings
from handlers import ceph as ceph_handler
from handlers import evidence as evidence_handler
from handlers import redis as redis_handler
from handlers.knowledge_enricher import knowledge_enricher
from handlers.triage import Enricher

EnricherFactory = Callable[[Settings], Enricher | None]

FACTORIES: list[EnricherFactory] = []
FACTORIES.append(redis_handler.enricher_factory)
FACTORIES.append(knowledge_enricher)
FACTORIES.append(ceph_handler.enricher_factory)
FACTORIES += [evidence_handler.kubernetes_factory, evidence_handler.prometheus_factory,
              evidence_handler.opensearch_factory]


def build_enrichers(settings: Settings) -> list[Enricher]:
    return [e for e in (factory(settings) for factory in FACTORIES) if e is not None]
