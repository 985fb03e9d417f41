"""The finding codes: what each means, its one-line fix, where the documentation explains it,
which symptoms it can explain and which read-only commands show more.

The entries live in catalogue.yaml (data, in opsbot's own words); this module validates them
into `Entry` models once, at import, so a broken file fails at start rather than on an alert.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from core.models import DocRef, Fix, Step
from core.primary_rules import PrimaryRule

CATALOGUE_FILE = Path(__file__).with_name("catalogue.yaml")
AREAS = frozenset({"latency", "memory", "replication", "clients", "persistence"})


class CheckHint(BaseModel):
    model_config = ConfigDict(frozen=True)

    command: str  # read-only redis-cli arguments
    why: str = Field(min_length=1)  # what this command shows about this finding


class FixHint(BaseModel):
    model_config = ConfigDict(frozen=True)

    command: str  # redis-cli arguments (or, on_host, a host command) with {placeholders}
    why: str = Field(min_length=1)
    caution: str = ""
    last_resort: bool = False
    on_host: bool = False


class Entry(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    fix: str = Field(min_length=1)
    doc: DocRef
    areas: frozenset[str]  # latency, memory, replication, clients, persistence
    checks: tuple[CheckHint, ...] = Field(min_length=1)  # read-only redis-cli commands that show more
    fixes: tuple[FixHint, ...] = ()

    @property
    def steps(self) -> list[Step]:
        return self.steps_for()

    def steps_for(self, connection: str = "") -> list[Step]:
        """The read-only commands, with `-h HOST -p PORT` when the instance is known."""
        cli = " ".join(w for w in ("redis-cli", connection) if w)
        return [Step(command=f"{cli} {c.command}", why=c.why) for c in self.checks]

    def fixes_for(self, values: dict[str, str], connection: str = "") -> list[Fix]:
        """The documented changes filled with the snapshot's values; one whose value is unknown is left out."""
        cli = " ".join(w for w in ("redis-cli", connection) if w)
        fixes: list[Fix] = []
        for hint in self.fixes:
            try:
                command = hint.command.format(**values)
            except KeyError:
                continue
            fixes.append(Fix(command=command if hint.on_host else f"{cli} {command}", why=hint.why,
                             caution=hint.caution, last_resort=hint.last_resort, doc=self.doc))
        return fixes


class CatalogueFile(BaseModel):
    docs_root: str
    codes: list[Entry]
    primary_rules: list[PrimaryRule] = Field(default_factory=list)
    symptom_words: dict[str, tuple[str, ...]]


def load_catalogue(path: Path = CATALOGUE_FILE) -> CatalogueFile:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    for entry in raw.get("codes", []):
        entry["doc"]["url"] = entry["doc"]["url"].replace("{docs}", raw["docs_root"].rstrip("/"))
    loaded = CatalogueFile.model_validate(raw)
    unknown = {area for entry in loaded.codes for area in entry.areas} | set(loaded.symptom_words)
    if unknown - AREAS:
        raise ValueError(f"{path}: unknown areas {sorted(unknown - AREAS)}")
    codes = {entry.code for entry in loaded.codes}
    named = {code for rule in loaded.primary_rules for code in [rule.prefer, *rule.over]}
    if named - codes:
        raise ValueError(f"{path}: primary rules name unknown codes {sorted(named - codes)}")
    return loaded


_LOADED = load_catalogue()
CATALOGUE: dict[str, Entry] = {entry.code: entry for entry in _LOADED.codes}
ORDER = {code: i for i, code in enumerate(CATALOGUE)}
PRIMARY_RULES: list[PrimaryRule] = _LOADED.primary_rules
# Words in a user's symptom (or the /redis focus argument) -> areas whose findings explain it.
SYMPTOM_WORDS: dict[str, tuple[str, ...]] = _LOADED.symptom_words


def symptom_areas(symptom: str) -> set[str]:
    text = symptom.lower()
    return {area for area, words in SYMPTOM_WORDS.items() if any(w in text for w in words)}
