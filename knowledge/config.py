"""Knowledge-base settings: which embedding model, which Qdrant, which folders, how many citations.

Nested under `Settings.knowledge`, so every field is also an env var, e.g.
`OPSBOT_KNOWLEDGE__STORE=server`, `OPSBOT_KNOWLEDGE__QDRANT_URL=http://qdrant:6333`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

DocType = Literal["runbook", "postmortem", "doc"]
DOC_TYPES: tuple[DocType, ...] = ("runbook", "postmortem", "doc")


class Floor(BaseModel):
    """Least cosine similarity of a hybrid result: for `any` document, and for `scoped` ones (whose front
    matter lists the alerts they are for, not this one)."""

    any: float = 0.0
    scoped: float = 0.0

    def of(self, payload: dict[str, Any]) -> float:
        return max(self.any, self.scoped) if payload.get("alerts") else self.any


NO_FLOOR = Floor()


class KnowledgeFolder(BaseModel):
    """A folder (or file) of Markdown/RST to index; `doc_type` applies where front matter names none."""

    path: Path
    doc_type: DocType | None = None


class KnowledgeSettings(BaseModel):
    enabled: bool = Field(True, description="retrieve runbooks and post-mortems for triage cards")
    embedding: Literal["embedded", "openai"] = Field(
        "embedded", description="embedded: all-MiniLM-L6-v2 on CPU; openai: an OpenAI-compatible /v1/embeddings"
    )
    embedded_url: str = Field(
        "", description="where one process serves the embedded model to every other process of this host "
        "(`opsbot up` sets it; empty: each process loads its own copy)"
    )
    openai_url: str = Field("", description="API root of the embeddings server, e.g. http://127.0.0.1:11434/v1")
    openai_model: str = Field("", description="embedding model name the server knows")
    openai_api_key: SecretStr | None = None
    openai_timeout_s: float = Field(30.0, gt=0)
    store: Literal["edge", "local", "server"] = Field(
        "edge", description="edge: Qdrant Edge in process; local: qdrant-client on a path; server: a Qdrant URL"
    )
    qdrant_url: str = Field("", description="Qdrant server URL when store=server")
    qdrant_api_key: SecretStr | None = None
    collection: str = Field("opsbot-knowledge", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    bundled_runbooks: bool = Field(True, description="index the runbooks shipped with opsbot")
    folders: list[KnowledgeFolder] = Field(default_factory=list, description="extra folders ingested by `opsbot up`")
    k: int = Field(3, ge=1, le=20, description="runbook/doc citations per triage card")
    postmortems_k: int = Field(2, ge=0, le=10, description="similar post-mortems per triage card")
    min_similarity: float = Field(
        0.45, ge=0, le=1, description="relevance floor of triage citations (cosine of alert and section); a "
        "document naming the alert is cited whatever its similarity (calibrated on bench/knowledge_bench.py)"
    )
    scoped_min_similarity: float = Field(
        0.62, ge=0, le=1, description="the floor for a document whose front matter lists the alerts it is for, "
        "none of them this one (the bundled runbooks)"
    )
    postmortem_min_similarity: float = Field(
        0.0, ge=0, le=1, description="relevance floor of 'seen before' post-mortems"
    )
    chunk_tokens: int = Field(256, ge=32, le=8192, description="word-pieces per chunk, heading path included")
    chunk_overlap: int = Field(32, ge=0, le=256, description="word-pieces repeated from the previous chunk")
    batch_size: int = Field(32, ge=1, le=1024, description="chunks per embedding request")
    ask_k: int = Field(4, ge=1, le=10, description="sections an /ask answer draws on")
    ask_min_similarity: float = Field(
        0.45, ge=0, le=1, description="below this (question vs best section, cosine or term coverage) /ask says "
        "nothing was found and lists the nearest documents instead of answering"
    )
    answer_cache_ttl_s: int = Field(600, ge=0, description="identical /ask questions reuse the answer this long")
    drafts_dir: Path | None = Field(
        None, description="where the 'Draft post-mortem' button writes [default: DATA_DIR/postmortem-drafts]"
    )
    postmortem_hosts: list[str] = Field(
        default_factory=list, description="wiki hosts /postmortem may fetch a URL from (nothing else is fetched)"
    )

    def floors(self) -> tuple[Floor, Floor]:
        """The relevance floors of triage citations: runbooks and docs, post-mortems."""
        return (Floor(any=self.min_similarity, scoped=self.scoped_min_similarity),
                Floor(any=self.postmortem_min_similarity, scoped=self.postmortem_min_similarity))

    @field_validator("openai_url", "qdrant_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if value and urlsplit(value).scheme not in ("http", "https"):
            raise ValueError("expected an http:// or https:// URL")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _complete(self) -> KnowledgeSettings:
        if self.embedding == "openai" and not (self.openai_url and self.openai_model):
            raise ValueError("embedding=openai needs openai_url and openai_model")
        if self.store == "server" and not self.qdrant_url:
            raise ValueError("store=server needs qdrant_url")
        if self.chunk_overlap >= self.chunk_tokens // 2:
            raise ValueError("chunk_overlap must be less than half of chunk_tokens")
        return self
