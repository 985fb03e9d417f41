"""The LLM audit log stores no prompt, only its hash; every text field it does store is redacted as it is
written (a server's error message can quote the request)."""

from __future__ import annotations

from typing import Any

from integrations.llm.audit import STREAM, AuditLog, AuditRecord


class Stream:
    def __init__(self) -> None:
        self.added: list[dict[str, str]] = []

    def xadd(self, name: str, fields: dict[str, str], **_: Any) -> None:
        assert name == STREAM
        self.added.append(fields)


def test_every_text_field_is_redacted() -> None:
    stream = Stream()
    secret = "sk-proj-abcdefghijklmnopqrstuvwxyz0123"
    AuditLog(stream, 100).write(AuditRecord(  # type: ignore[arg-type]
        at=1.0, task="triage", model=f"m {secret}", outcome="error", prompt_tokens=812,
        detail=f"HTTP 400: bad request api_key={secret}", prompt_sha256="ab" * 32))
    (fields,) = stream.added
    assert secret not in str(fields)
    assert fields["detail"] == "HTTP 400: bad request api_key=[redacted]"
    assert fields["prompt_tokens"] == "812" and fields["prompt_sha256"] == "ab" * 32
    assert set(fields) == set(AuditRecord.model_fields)  # no prompt, no answer
