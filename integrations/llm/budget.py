"""The prompt token budget: keep the most relevant context, trim the least relevant first.

Context is a list of parts, most relevant first within each group. `fit` applies trimming steps in
order (drop extra documents, shorten the least relevant evidence, drop it, shorten documents, ...)
until the rendered prompt fits, and says what it trimmed so the card can show it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from pydantic import BaseModel

from integrations.llm.types import estimate_tokens

SHORT_CHARS = 400


class Part(BaseModel):
    group: str  # "evidence" | "document"
    key: str
    text: str
    label: str  # how the trim note names it: "evidence item", "runbook excerpt"


class Context(BaseModel):
    evidence: list[Part]
    documents: list[Part]


def shorten(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[:chars].rstrip() + " …[trimmed]"


def _plural(label: str, count: int) -> str:
    return f"{count} {label}{'s' if count != 1 else ''}"


def fit(context: Context, render: Callable[[Context], str], budget: int, *, min_documents: int = 3) -> tuple[
        Context, list[str]]:
    """Trim `context` until `render(context)` is within `budget` tokens; return it and the notes."""
    ctx = context.model_copy(deep=True)
    dropped: Counter[str] = Counter()
    shortened: Counter[str] = Counter()

    def over() -> bool:
        return estimate_tokens(render(ctx)) > budget

    def drop_last(parts: list[Part], keep: int) -> bool:
        if len(parts) > keep:
            dropped[parts.pop().label] += 1
            return True
        return False

    def shorten_last(parts: list[Part]) -> bool:
        for part in reversed(parts):
            if len(part.text) > SHORT_CHARS + 20:
                part.text = shorten(part.text, SHORT_CHARS)
                shortened[part.label] += 1
                return True
        return False

    steps: list[Callable[[], bool]] = [
        lambda: drop_last(ctx.documents, min_documents),
        lambda: shorten_last(ctx.evidence),
        lambda: drop_last(ctx.evidence, 1),
        lambda: shorten_last(ctx.documents),
        lambda: drop_last(ctx.documents, 0),
        lambda: drop_last(ctx.evidence, 0),
    ]
    while over():
        if not any(step() for step in steps):
            break  # what is left is the alert and findings: sent as is, the server's context is larger
    notes = [f"{_plural(label, n)} dropped" for label, n in dropped.items()]
    notes += [f"{_plural(label, n)} shortened" for label, n in shortened.items()]
    return ctx, notes
