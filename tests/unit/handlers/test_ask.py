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
