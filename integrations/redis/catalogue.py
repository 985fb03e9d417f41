"""The finding codes: what each means, its one-line fix, where the documentation explains it,
which symptoms it can explain and which read-only commands show more.

The entries live in catalogue.yaml (data, in opsbot's own words); this module validates them
into `Entry` models once, at import, so a broken file fails at start rather than on an alert.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from core.models import DocRef, Step

CATALOGUE_FILE = Path(__file__).with_name("catalogue.yaml")
AREAS = frozenset({"latency", "memory", "replication", "clients", "persistence"})


class Entry(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    fix: str = Field(min_length=1)
    doc: DocRef
    areas: frozenset[str]  # latency, memory, replication, clients, persistence
    checks: tuple[str, ...] = Field(min_length=1)  # read-only redis-cli commands that show more

    @property
    def steps(self) -> list[Step]:
        return [Step(command=f"redis-cli {c}", why="read-only; shows the evidence again") for c in self.checks]


class CatalogueFile(BaseModel):
    docs_root: str
    codes: list[Entry]
    symptom_words: dict[str, tuple[str, ...]]


def load_catalogue(path: Path = CATALOGUE_FILE) -> CatalogueFile:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    for entry in raw.get("codes", []):
        entry["doc"]["url"] = entry["doc"]["url"].replace("{docs}", raw["docs_root"].rstrip("/"))
    loaded = CatalogueFile.model_validate(raw)
    unknown = {area for entry in loaded.codes for area in entry.areas} | set(loaded.symptom_words)
    if unknown - AREAS:
        raise ValueError(f"{path}: unknown areas {sorted(unknown - AREAS)}")
    return loaded


_LOADED = load_catalogue()
CATALOGUE: dict[str, Entry] = {entry.code: entry for entry in _LOADED.codes}
ORDER = {code: i for i, code in enumerate(CATALOGUE)}
# Words in a user's symptom (or the /redis focus argument) -> areas whose findings explain it.
SYMPTOM_WORDS: dict[str, tuple[str, ...]] = _LOADED.symptom_words


def symptom_areas(symptom: str) -> set[str]:
    text = symptom.lower()
    return {area for area, words in SYMPTOM_WORDS.items() if any(w in text for w in words)}
