"""The audit log: one record per LLM call in a Redis stream trimmed to a bounded length.

A record holds what was asked and how it went, never the prompt itself: the hash of the redacted
prompt lets an operator match a call to a card without the stream becoming a copy of every log line.
Every text field (task, model, outcome, detail: a server's error message can quote the request) is
redacted again as it is written.
"""

from __future__ import annotations

from typing import Any, cast

import redis
from pydantic import BaseModel

from integrations.redaction import redact

STREAM = "opsbot:llm:audit"


class AuditRecord(BaseModel):
    at: float
    task: str
    model: str
    outcome: str  # ok | cached | repaired | rejected | timeout | unavailable | error
    prompt_tokens: int = 0
    completion_tokens: int = 0
    ttft_s: float | None = None
    decode_tokens_per_s: float | None = None
    duration_s: float = 0.0
    prompt_sha256: str = ""
    detail: str = ""


class AuditLog:
    def __init__(self, client: redis.Redis, max_len: int) -> None:
        self.redis = client
        self.max_len = max_len

    def write(self, record: AuditRecord) -> None:
        fields = {k: ("" if v is None else redact(v) if isinstance(v, str) else str(v))
                  for k, v in record.model_dump().items()}
        self.redis.xadd(STREAM, fields, maxlen=self.max_len, approximate=True)  # type: ignore[arg-type]

    def latest(self, count: int = 20) -> list[AuditRecord]:
        raw = cast("list[tuple[bytes, dict[bytes, bytes]]]", self.redis.xrevrange(STREAM, count=count))
        return [_record(fields) for _, fields in raw]


def _record(fields: dict[bytes, bytes]) -> AuditRecord:
    values: dict[str, Any] = {k.decode(): v.decode() for k, v in fields.items()}
    for key in ("ttft_s", "decode_tokens_per_s"):
        if values.get(key) == "":
            values[key] = None
    return AuditRecord.model_validate(values)
