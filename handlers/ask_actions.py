"""Action-first answers: for "how do I … / what should I check / что делать" questions, what to do comes first.

Whether a question asks for action is read from its grammar (an interrogative with the reader as
subject or followed by an infinitive, "why", verbs of repair and diagnosis; English and Russian).
In an on-call channel a message that reports trouble wants what to do even when it only says what
is seen ("redis-01 and redis-02 both say role:master", "etcd: mvcc: database space exceeded ??"),
so a question asks for action unless its form asks what something is or how it works ("what does
X mean", "which policies does Redis have", "how is X configured", "что означает", "как работает",
"когда был"): the default is action, the exception is explanation. Which sections say what to do
is read from the best document's headings (first checks, diagnosis, troubleshooting; then
mitigation, fixes, remediation). Those sections are quoted first, lines and commands as written,
then the other sections as context. A Russian question gets Russian framing; the quoted text and
its commands stay as they are.
"""

from __future__ import annotations

import re

from knowledge.retrieval import Retriever, SearchResult
from knowledge.sections import section_kind
from knowledge.sparse import is_russian

QUOTE_CHARS = 1500  # a first-checks section is a handful of commands: quote it whole
MAX_ACTION_SECTIONS = 2
ALL_SECTIONS = 64  # action sections are looked for among all of the document's sections
# English: an interrogative whose subject is the reader ("how do I", "what should we", "where can
# one") or that asks how to ("what to", "how to"), with the verb and its particle; "why"; verbs of
# repair and diagnosis anywhere; "what now / what next", "what's going on" (a diagnosis, like "why").
# Russian: an interrogative followed (within a few words) by an infinitive ("что делать", "куда
# смотреть", "как его поднять", "с чего начать"); "почему", "из-за чего", "что теперь / дальше /
# происходит"; verbs of repair and diagnosis, and requests for advice ("подскажите").
_PARTICLE = r"(?:\s+(?:out|at|for|into|up|on|with|first))?"
_EN = (r"\b(?:how|what|where|which)\s+(?:do|does|did|should|shall|can|could|must|would|will|might)\s+"
       r"(?:i|we|you|one)\s+\w+" + _PARTICLE
       + r"|\b(?:how|what|where)\s+to\s+\w+" + _PARTICLE + r"|\bwhy\b"
       r"|\bwhat(?:'s|s|\s+is)\s+(?:wrong|going\s+on|happening)\b|\bwhat\s+(?:now|next)\b|\bnow\s+what\b"
       r"|\b(?:debug|troubleshoot|diagnos|investigat|fix|mitigat|remediat|repair|resolv|recover)\w*"
       r"|\b(?:figure|find|track)\s+(?:out|down)\b|\b(?:first|next)\s+(?:steps?|things?\s+to)\b")
# An infinitive: -ть/-ться (not a noun in -ость/-есть, nor one of the common nouns in -ть), -йти/-сти, -чь.
_INFINITIVE = (r"(?!(?:память|сеть|часть|путь|треть|власть|смерть|нить|очередь)\b)"
               r"\w+(?:(?<!ос)(?<!ес)ть(?:ся)?|йти|(?<!о)сти|чь(?:ся)?)\b")
_RU = (r"\b(?:как|что|чего|куда|где|чем|каким\s+образом)\b(?:\s+\w+){0,3}?\s+" + _INFINITIVE
       + r"|\b(?:почему|отчего)\b|\bиз-за\s+чего\b|\bв\s+ч[её]м\s+(?:причина|дело|проблема)\b"
       r"|\bчто\s+(?:теперь|дальше|происходит|случилось)\b"
       r"|\b(?:почин|исправ|отлад|диагност|устран|разобрат|разбират|траблшут|дебаж|дебаг|подскаж|посоветуй"
       r"|помоги)\w*")
_ASKS_ACTION = re.compile(f"{_EN}|{_RU}", re.IGNORECASE)
# Asking what something is, how it works or when something was: "what does X mean", a short "what is
# X?", "which policies does X have", "how is/does X work / configured", "when was", "explain",
# "difference between"; Russian "что такое / значит / означает", "как работает / устроен / настроен",
# "какие … есть / бывают", "когда был", "зачем нужен", "в чём разница". A report that merely opens
# with "when" or "which" ("when I apply it fails …", "which pod eats the memory") is not one.
_ASKS_ABOUT = re.compile(
    r"\bwhat\s+(?:does|do|is|are)\b.*\bmean|\bmeaning\s+of\b|\bexplain\b|\bdifference\s+between\b"
    r"|^\W*what\s+(?:is|are)\s+(?:an?\s+|the\s+)?[\w.\-]+(?:\s+[\w.\-]+){0,2}\W*$"
    r"|\b(?:which|what)\b.*\b(?:does|do)\s+\S+(?:\s+\S+)?\s+(?:have|support|offer)\b"
    r"|\bhow\s+(?:is|are|does|do)\s+(?!(?:i|we|you|one)\b)\S+(?:\s+\S+){0,3}?\s+"
    r"(?:work|configured|set\s+up|implemented|calculated|computed|defined)\b"
    r"|^\W*when\s+(?:was|were|did|is|are|will)\b|\btell\s+me\s+about\b"
    r"|^\W*что\s+(?:такое|есть)\b|\bчто\s+(?:значит|означает)\b|\bкак\s+(?:работает|работают|устроен\w*|настроен\w*)\b"
    r"|^\W*какие\b(?:\s+\S+){0,4}?\s+(?:есть|бывают|поддерживает)\b|^\W*когда\s+(?:был\w*|будет)\b"
    r"|\bзачем\s+нуж\w*|\bв\s+ч[её]м\s+разница\b|^\W*расскажи\b",
    re.IGNORECASE)


def asks_for_action(question: str) -> bool:
    """Whether the question asks what to do or check (read from its grammar, in English or Russian):
    it says so, or it does not ask what something is, how it works or when something was."""
    return _ASKS_ACTION.search(question) is not None or _ASKS_ABOUT.search(question) is None


# What the asking itself is made of: interrogatives, "do I", and the verbs of looking and checking
# (a content verb stays: "how do I restart an OSD" is about restarting).
_ASKING_WORDS = re.compile(
    r"\b(?:how|what|where|which|why|when)\b|\b(?:do|does|did|should|shall|can|could|must|would|will|might)\s+"
    r"(?:i|we|you|one)\b|\b(?:check|look(?:\s+at)?|start|begin|debug\w*|troubleshoot\w*|diagnos\w*|investigat\w*"
    r"|fix|figure\s+out|find(?:\s+out)?|track\s+down|tell|see|do|first|next\s+steps?|things?\s+to)\b"
    r"|\bwhat(?:'s|s|\s+is)(?:\s+wrong)?\b"
    r"|\b(?:как|что|чего|куда|где|чем|почему|отчего|из-за|делать|сделать|проверить|проверять|смотреть|посмотреть"
    r"|понять|начать|искать|найти|выяснить|узнать|разобраться|чинить|починить|исправить|диагностировать|поступить"
    r"|подскаж\w*|помоги\w*|посоветуй\w*|мне|нам)\b|\bв\s+первую\s+очередь\b",
    re.IGNORECASE,
)


def topic_words(question: str) -> str:
    """The question without its asking-for-action words (what the relevance check should match)."""
    return " ".join(_ASKING_WORDS.sub(" ", question).split())


def action_sections(retriever: Retriever, best: SearchResult, question: str) -> list[SearchResult]:
    """The best document's what-to-check section first, then its what-to-change one (the best match of each)."""
    sections = retriever.sections_of(best, question, ALL_SECTIONS)
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
