"""The LLM layer's plain types (no LangChain import, so callers that only handle results stay light)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal, Protocol

from pydantic import BaseModel

Role = Literal["system", "user", "assistant"]


class Message(BaseModel):
    role: Role
    content: str


class CallResult(BaseModel):
    text: str
    model: str
    flavour: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    ttft_s: float | None = None
    duration_s: float = 0.0
    wait_s: float = 0.0
    cached: bool = False
    prompt_sha256: str = ""

    @property
    def decode_tokens_per_s(self) -> float | None:
        if self.ttft_s is None or self.completion_tokens < 2 or self.duration_s <= self.ttft_s:
            return None
        return round((self.completion_tokens - 1) / (self.duration_s - self.ttft_s), 1)

    @property
    def generation_s(self) -> float:
        """Time the server spent on this answer (what the bot cannot make faster)."""
        return 0.0 if self.cached else self.duration_s


class LLMError(Exception):
    """The call produced no answer; `kind` is what the card says (unavailable or timeout)."""

    kind = "unavailable"


class LLMUnavailable(LLMError):
    kind = "unavailable"


class LLMTimeout(LLMError):
    kind = "timeout"


class Metrics(Protocol):
    def inc(self, name: str, labels: Sequence[str], amount: float = 1.0) -> None: ...

    def observe(self, name: str, labels: Sequence[str], value: float) -> None: ...


def estimate_tokens(texts: str | Iterable[str]) -> int:
    """A tokenizer-free estimate (about 3.5 characters per token for English and logs), used for the
    prompt budget and when a server reports no usage. Errs on the high side, so budgets hold."""
    if isinstance(texts, str):
        texts = [texts]
    return sum(len(t) * 2 // 7 + 1 for t in texts)


