"""Words that rank: superlatives that sort on a measure ("slowest", "самые большие", "крупнейшие") and
those that rank values by count ("busiest", "самые шумные", "top 5")."""

from __future__ import annotations

import re
from typing import Literal

from integrations.opensearch.question_tokens import Token

DEFAULT_TOP = 10  # values a grouping shows when no "top N" says
TOP_N = re.compile(r"^(?:top|топ)-?(\d+)$", re.IGNORECASE)


SUPERLATIVES: dict[str, tuple[str | None, Literal["asc", "desc"]]] = {
    "slowest": ("duration", "desc"), "longest": ("duration", "desc"), "fastest": ("duration", "asc"),
    "quickest": ("duration", "asc"), "largest": ("bytes", "desc"), "biggest": ("bytes", "desc"),
    "heaviest": ("bytes", "desc"), "smallest": ("bytes", "asc"), "highest": (None, "desc"), "lowest": (None, "asc"),
    "медленн": ("duration", "desc"), "долг": ("duration", "desc"), "быстр": ("duration", "asc"),
    "больш": ("bytes", "desc"), "крупн": ("bytes", "desc"), "тяжел": ("bytes", "desc"), "тяжёл": ("bytes", "desc"),
    "маленьк": ("bytes", "asc"), "жирн": ("bytes", "desc"), "толст": ("bytes", "desc"),
    "высок": (None, "desc"), "максимальн": (None, "desc"), "минимальн": (None, "asc"),
    "наибольш": (None, "desc"), "наименьш": (None, "asc"),
    # the measure is named next ("worst lag", "худшее время ответа"); "time": the hits' own age
    "worst": (None, "desc"), "худш": (None, "desc"), "стар": ("time", "asc"), "ранн": ("time", "asc"),
    "нов": ("time", "desc"), "свеж": ("time", "desc"), "поздн": ("time", "desc"),
}
_RU_SUPERLATIVE = re.compile(r"[а-я]{3,}(?:ейш|айш)[а-я]+$")  # "крупнейшие", "длиннейших": superlative by suffix
_RU_RANKS = ("наибольш", "наименьш", "максимальн", "минимальн")  # superlatives without "самые"
FALLBACK_MEASURE = {"bytes": "money"}  # "largest transactions" where there are no sizes
_CYRILLIC_WORD = re.compile(r"^[а-яё]+(?:ые|ых|ий|ый|ая|ое)$")


COUNT_WORDS = {"числу", "количеству", "кол-ву", "number", "count", "amount"}
MOST = {"самые", "самых", "самый", "самая", "самое", "наиболее", "top", "топ"}


def superlative_of(token: Token, previous: Token | None) -> tuple[str | None, Literal["asc", "desc"]] | None:
    low = token.low
    if (low in SUPERLATIVES and low.endswith("est")) or low == "worst":
        return SUPERLATIVES[low]
    if (previous is not None and previous.low in MOST) or low.startswith(_RU_RANKS) or _RU_SUPERLATIVE.search(low):
        return next((v for prefix, v in SUPERLATIVES.items() if not prefix.endswith("est") and low.startswith(prefix)),
                    None)
    return None


def ranks_by_count(token: Token, previous: Token | None) -> bool:
    """A superlative that ranks by count: "busiest", "noisiest", "самые шумные"."""
    low = token.low
    if token.kind != "word" or not low.isalpha():
        return False
    if previous is not None and previous.low == "most" and low.isascii():
        return True  # "most active pods", "most noisy hosts"
    return (low.endswith("iest") or low.endswith("most")) or (previous is not None and previous.low in MOST
                                                               and _CYRILLIC_WORD.match(low) is not None)
