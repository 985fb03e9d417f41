"""Checks on what an LLM suggests: only read-only commands reach a card.

A suggested command is kept when the command parser (`handlers.shared.commands`) finds it read-only,
or when it appears verbatim in a runbook excerpt the answer cites *and* the parser's refusal was
only "a program opsbot does not know": the runbook's authors vouched for it, the model did not
invent it. A quote never vouches for shell syntax, control characters, a write verb, a Secret read,
a credential flag or a known destructive program, and the string checked is the string shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from handlers.shared.commands import assess

_SPACES = re.compile(r"[ \t\r\n\f\v]+")


def _normalise(text: str) -> str:
    return _SPACES.sub(" ", text.strip())


def quoted_in(command: str, texts: Iterable[str]) -> bool:
    """True when the command appears verbatim (runs of whitespace aside) in one of the texts."""
    wanted = _normalise(command)
    return bool(wanted) and any(wanted in _normalise(text) for text in texts)


def command_allowed(command: str, cited_texts: Iterable[str]) -> str | None:
    """None when the command may be shown; else why it was dropped."""
    verdict = assess(command)
    if verdict.reason is None:
        return None
    if not verdict.final and quoted_in(command, cited_texts):
        return None
    if verdict.final:
        return f"not read-only: {verdict.reason}"
    return f"not on the read-only allowlist and not quoted in a cited runbook ({verdict.reason})"
