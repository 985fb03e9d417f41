"""Every JSON schema the project sends to an LLM server, built as the code builds it, with realistic
arguments (the most ids a card shows: 6 evidence items, 6 runbook sections; the most index fields the
/logs prompt lists). A new `schema=` in the code belongs here too: tests/integration/test_llm_schemas.py
sends each one to the real llama.cpp server, tests/contract/test_llm_schema_fallback.py checks their
bounds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.cli.llm_cmd import CHECK_SCHEMA
from handlers import config_review
from handlers.llm import ask_answer, explain, log_clauses

EVIDENCE_IDS = ["redis:cache", "k8s:pod/shop/cache-0", "k8s:events/shop/cache-0", "prometheus:used_memory",
                "opensearch:errors/shop", "diagnosis"]
DOC_IDS = [f"doc:{i}" for i in range(1, 7)]
LOG_FIELDS = sorted({"@timestamp", "message", "log.level", "host.name", "service.name", "http.request.method",
                     "http.response.status_code", "url.path", "client.ip", "event.duration", "user_agent.original",
                     "kubernetes.namespace", "kubernetes.pod.name", "kubernetes.container.name"}
                    | {f"labels.custom_{i:03d}" for i in range(log_clauses.MAX_FIELDS_SHOWN - 14)})


@dataclass(frozen=True)
class SentSchema:
    name: str  # the schema_name the code sends it under
    schema: dict[str, Any]
    where: str  # the builder


def sent_schemas() -> list[SentSchema]:
    return [
        SentSchema("triage_explanation", explain.answer_schema(EVIDENCE_IDS, DOC_IDS), "handlers.llm.explain"),
        SentSchema("diagnosis_explanation", explain.answer_schema(EVIDENCE_IDS[-1:], []),
                   "handlers.llm.explain (a diagnosis card without runbooks)"),
        SentSchema("answer", ask_answer.answer_schema(DOC_IDS), "handlers.llm.ask_answer"),
        SentSchema("log_clauses", log_clauses.clauses_schema(LOG_FIELDS), "handlers.llm.log_clauses"),
        SentSchema("config_review", config_review.review_schema(), "handlers.config_review"),
        SentSchema("check", CHECK_SCHEMA, "bot.cli.llm_cmd (opsbot llm check)"),
    ]
