"""A triage card, its enrichment and LLM answers for the explanation tests."""

from __future__ import annotations

import json
from typing import Any

import redis as redis_lib

from core.cards import Card, CardKind, CardStatus
from core.enrichment import Enrichment
from core.models import Citation, Evidence, Finding, Severity, Step
from integrations.llm.client import LLMClient
from integrations.llm.config import LLMSettings
from tests.support.fakes.openai_api import FakeOpenAI

RUNBOOK = "If memory is full, look at the biggest keys:\n\n    redis-cli --bigkeys -i 0.1\n\nthen raise maxmemory."


def make_client(fake: FakeOpenAI, redis_client: redis_lib.Redis | None = None, **overrides: Any) -> LLMClient:
    return LLMClient(LLMSettings.model_validate({"url": fake.api_url, **overrides}), redis_client)


def make_card() -> Card:
    return Card(kind=CardKind.triage, status=CardStatus.firing, title="Redis cache is out of memory",
                severity=Severity.critical, summary="RedisOutOfMemory on cache", footer="investigating…")


def make_enrichment(docs: int = 2, evidence_chars: int = 300, doc_chars: int = 900) -> Enrichment:
    evidence = [Evidence(id="redis:cache", source="redis", title="Redis cache (live)",
                         text="used_memory: 2.0G, maxmemory: 2.0G, evicted_keys: 0\n" + "x" * evidence_chars),
                Evidence(id="k8s:pod", source="kubernetes", title="Pod cache-0", text="Running, 0 restarts")]
    citations = [Citation(source=f"runbooks/redis-{i}.md", title=f"Redis runbook {i}", section="Memory",
                          score=1 - i / 10) for i in range(docs)]
    evidence += [Evidence(id=f"knowledge:runbooks/redis-{i}.md#Memory", source="knowledge",
                          title=f"Redis runbook {i}", data={"source": f"runbooks/redis-{i}.md", "section": "Memory",
                                                            "text": RUNBOOK + "\n" + "y" * doc_chars})
                 for i in range(docs)]
    return Enrichment(
        evidence=evidence, citations=citations, timings_ms={"redis": 40},
        findings=[Finding(code="OUT_OF_MEMORY", severity=Severity.critical, title="used_memory reached maxmemory",
                          evidence_refs=["redis:cache"], steps=[Step(command="redis-cli INFO memory")])],
    )


def make_answer(**fields: Any) -> str:
    answer = {"probable_cause": "maxmemory is reached and the policy is noeviction.", "confidence": "medium",
              "evidence": ["redis:cache"], "next_steps": [], "citations": ["doc:1"]}
    return json.dumps({**answer, **fields})
