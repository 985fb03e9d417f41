"""The health-check catalogue: what every Ceph health check code means and what to do first.

The entries live in catalogue.yaml (data, in opsbot's own words); this module validates them into
`CheckInfo` models and looks them up by code, including the OSD_<crush type>_DOWN family and the
codes-free summaries of `ceph -s`.
"""

from __future__ import annotations

import re
import string
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

from core.models import Severity

DOC_PAGE = "rados/operations/health-checks/"


class CommandHint(BaseModel):
    command: str  # a read-only `ceph ...` template with {placeholders}
    why: str


class FixHint(BaseModel):
    """A documented change, as a template: a human runs it, opsbot never does."""

    command: str  # a `ceph ...` (or host) command with {placeholders}
    why: str
    caution: str = ""  # required when the change is destructive (a test checks every entry)
    last_resort: bool = False
    replicated_only: bool = False  # not for an erasure-coded PG (the docs: revert is not available there)
    when: str = ""  # a regex the check's summary or detail must match (POOL_FULL: quota, not space)


class CheckInfo(BaseModel):
    code: str
    section: str
    meaning: str
    causes: list[str] = Field(default_factory=list)
    commands: list[CommandHint] = Field(default_factory=list)
    cautions: list[str] = Field(default_factory=list)
    fixes: list[FixHint] = Field(default_factory=list)
    follows_from: tuple[str, ...] = ()
    floor: Severity | None = None  # at least this severity whatever Ceph says (data unavailable, full)
    cap: Severity | None = None  # at most this (advice, not an incident)
    summary_re: str | None = None  # recognises the check in `ceph -s` text, which shows no codes
    heading: str | None = None  # the doc heading when it is not the code itself

    @property
    def doc_heading(self) -> str:
        return self.heading or self.code

    @property
    def placeholders(self) -> list[str]:
        names: list[str] = []
        for template in [h.command for h in self.commands] + [f.command for f in self.fixes]:
            for _, field, _, _ in string.Formatter().parse(template):
                if field and field not in names:
                    names.append(field)
        return names

    def doc_url(self, docs_root: str) -> str:
        anchor = re.sub(r"[^a-z0-9]+", "-", self.doc_heading.lower()).strip("-")
        return f"{docs_root.rstrip('/')}/{DOC_PAGE}#{anchor}"


CATALOGUE_FILE = Path(__file__).with_name("catalogue.yaml")


def _load() -> list[CheckInfo]:
    entries = yaml.safe_load(CATALOGUE_FILE.read_text(encoding="utf-8"))
    return [CheckInfo.model_validate(entry) for entry in entries]


CATALOGUE: list[CheckInfo] = _load()
_BY_CODE = {info.code: info for info in CATALOGUE}
_CRUSH_DOWN = re.compile(r"^OSD_(?!CRUSH_TYPE)[A-Z]+_DOWN$")


def lookup(code: str) -> CheckInfo | None:
    """The entry for a code; OSD_HOST_DOWN, OSD_RACK_DOWN, ... all use the OSD_<crush type>_DOWN entry."""
    if code in _BY_CODE:
        return _BY_CODE[code]
    if _CRUSH_DOWN.match(code):
        return _BY_CODE["OSD_CRUSH_TYPE_DOWN"]
    return None


def unknown(code: str) -> CheckInfo:
    """A generic entry for codes outside the RADOS page (MDS_*, CEPHADM_*, ...) or newer releases."""
    return CheckInfo(
        code=code, section="", meaning=f"{code} is not in opsbot's catalogue; read its detail lines.",
        commands=[CommandHint(command="ceph health detail", why="every raised check with its detail lines"),
                  CommandHint(command="ceph status", why="the overall state")],
        cautions=["Read the documentation for this code before changing anything."])


@cache
def _summary_patterns() -> list[tuple[re.Pattern[str], str]]:
    # longest patterns first, so "critically low" wins over "low"
    entries = sorted((i for i in CATALOGUE if i.summary_re), key=lambda i: -len(i.summary_re or ""))
    return [(re.compile(i.summary_re or "", re.IGNORECASE), i.code) for i in entries]


def code_for_summary(summary: str) -> str | None:
    """Map a `ceph -s` health line (no code shown) back to its check code."""
    for pattern, code in _summary_patterns():
        if pattern.search(summary):
            if code == "OSD_CRUSH_TYPE_DOWN":
                match = re.match(r"\d+ (\w+?)s? ", summary)
                return f"OSD_{match.group(1).upper()}_DOWN" if match else code
            return code
    return None
