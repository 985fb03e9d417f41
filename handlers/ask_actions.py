"""Action-first answers: for "how do I … / what should I check / что делать" questions, what to do comes first.

Whether a question asks for action is read from its wording (English and Russian phrases of asking
how to debug, check, fix); which sections say what to do is read from the best document's headings
(first checks, diagnosis, troubleshooting; then mitigation, fixes, remediation). Those sections are
quoted first, lines and commands as written, then the other sections as context. A Russian question
gets Russian framing; the quoted text and its commands stay as they are.
"""

from __future__ import annotations

import re

from knowledge.retrieval import Retriever, SearchResult
from knowledge.sections import section_kind
from knowledge.sparse import is_russian

QUOTE_CHARS = 1500  # a first-checks section is a handful of commands: quote it whole
MAX_ACTION_SECTIONS = 2
_ASKS_ACTION = re.compile(
    r"\bhow\s+(do|can|should|would|to)\b|\bwhat\s+(should|do|can|must)\s+(i|we)\s+(check|do|look|run)\b"
    r"|\bwhat\s+to\s+(check|do|look\s+at|run)\b|\bwhere\s+(do|should|can)\s+(i|we)\s+(start|look|begin)\b"
    r"|\b(debug|troubleshoot|diagnos|investigat|fix|mitigat|remediat|repair|resolv|recover)\w*"
    r"|\bкак\b|\bчто\s+(делать|проверить|проверять|смотреть|посмотреть|сделать)\b|\bс\s+чего\s+начать\b"
    r"|\bкуда\s+смотреть\b|\b(почин|исправ|отлад|диагност|разобрать|устран)\w*",
    re.IGNORECASE,
)


def asks_for_action(question: str) -> bool:
    return _ASKS_ACTION.search(question) is not None


def topic_words(question: str) -> str:
    """The question without its asking-for-action phrase (what the relevance check should match)."""
    return " ".join(_ASKS_ACTION.sub(" ", question).split())


def action_sections(retriever: Retriever, best: SearchResult, question: str) -> list[SearchResult]:
    """The best document's what-to-check section first, then its what-to-change one (the best match of each)."""
    sections = retriever.sections_of(best, question)
    picked = [next((s for s in sections if section_kind(s.section) == kind), None) for kind in ("check", "fix")]
    return [s for s in picked if s is not None][:MAX_ACTION_SECTIONS]


def quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """A section as written (its lines and commands), without heading lines, cut at a line boundary."""
    lines = [line.rstrip() for line in text.splitlines() if not line.lstrip().startswith("#")]
    body = "\n".join(lines).strip()
    if len(body) <= limit:
        return body
    cut = body[:limit]
    return cut[: cut.rfind("\n")].rstrip() + "\n…" if "\n" in cut else cut.rstrip() + " …"


def lead(question: str, sections: list[SearchResult]) -> str:
    """The action part of the answer: each section under a framing line in the question's language."""
    russian = is_russian(question)
    parts = []
    for section in sections:
        where = f"{section.title} › {section.section}" if section.section else section.title
        if section_kind(section.section) == "check":
            frame = f"Что проверить в первую очередь ({where}):" if russian else f"First checks ({where}):"
        else:
            frame = f"Что делать дальше ({where}):" if russian else f"Then, to fix it ({where}):"
        parts.append(f"{frame}\n{quote(section.text)}")
    return "\n\n".join(parts)


def context_heading(question: str) -> str:
    return "Контекст:" if is_russian(question) else "Context:"
