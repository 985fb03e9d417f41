"""Russian words for the parts of index field names (field_words.yaml): "в базе billing" names `db.name`,
"кроме кластера X" `upstream_cluster`. The vocabulary stems them and matches a question word's stem."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

FIELD_WORDS = Path(__file__).resolve().parent / "field_words.yaml"


@cache
def russian_parts() -> dict[str, tuple[str, ...]]:
    """Russian word (any form, lower case) -> the English name parts it names ("задача": job, task)."""
    data = yaml.safe_load(FIELD_WORDS.read_text(encoding="utf-8")) or {}
    found: dict[str, tuple[str, ...]] = {}
    for part, words in data.items():
        for word in words:
            key = str(word).lower().replace("ё", "е")
            found[key] = (*found.get(key, ()), str(part))
    return found
