"""/ask without the knowledge index: usage, excerpts, and an answer cache that cannot be reached."""

from __future__ import annotations

import redis as redis_lib

from bot.config import load_settings
from core.events import Command
from handlers.ask import AskAnswerCache, AskResult, excerpt, handle_command


def test_unreachable_cache_is_skipped() -> None:
    cache = AskAnswerCache(redis_lib.Redis(port=1, socket_connect_timeout=0.2), ttl_s=60)
    assert cache.get("opsbot:ask:x") is None
    cache.put("opsbot:ask:x", AskResult(question="q", answer="a", found=False))  # no exception


def test_empty_question_is_usage() -> None:
    card = handle_command(Command(platform="slack", channel="C1", name="ask", text="  "), load_settings())
    assert card.kind == "help" and "/ask QUESTION" in card.text


def test_excerpt_cuts_at_a_sentence() -> None:
    text = "## Heading\n" + "First sentence is here. " * 30
    cut = excerpt(text, 100)
    assert cut.endswith(". …") or cut.endswith(" …")
    assert "Heading" not in cut and len(cut) <= 102


def test_a_long_message_is_judged_on_the_words_the_documents_know() -> None:
    from handlers.ask import known_words
    from knowledge.query_terms import word_groups
    from knowledge.retrieval import SearchResult

    pool = [SearchResult(source="node-clock.md", title="Node clock skew", section="What it means", score=1.0,
                         text="The host's clock is behind the reference; log timestamps from it are off.",
                         doc_type="runbook")]
    long_message = word_groups("logs from worker-12 are 6 min behind every other host clock, makes correlating "
                               "the incident impossible")
    kept = known_words(long_message, pool)
    assert frozenset({"imposs"}) in long_message and frozenset({"imposs"}) not in kept
    assert frozenset({"clock"}) in kept and len(kept) < len(long_message)
    mostly_unknown = word_groups("our coffee machine leaks water on the floor of the clock room")
    assert known_words(mostly_unknown, pool) == mostly_unknown  # about something else: judged whole
