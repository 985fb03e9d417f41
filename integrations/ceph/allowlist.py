"""The read-only command allowlist: the only Ceph commands opsbot ever sends or suggests.

A command is a sequence of words as typed after `ceph` (`osd pool get rbd size`). It is allowed only
when it matches one pattern below word for word, `{name}` standing for one argument; anything else
(`osd out 3`, `health mute X`, `osd pool get rbd size extra`) is refused before it leaves the process.
A match also yields the mon command JSON that librados and the restful module take.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from pydantic import BaseModel

# pattern -> extra fixed JSON fields; the JSON prefix is the pattern's literal words. `None` marks
# commands that are not mon/mgr commands (sent to an OSD or daemon): the CLI can run them, librados
# mon_command cannot.
_PATTERNS: dict[str, dict[str, Any] | None] = {
    "status": {}, "health": {}, "health detail": {"detail": "detail"},
    "df": {}, "df detail": {"detail": "detail"},
    "versions": {}, "features": {}, "progress": {}, "progress json": {},
    "mon stat": {}, "mon dump": {}, "quorum_status": {}, "time-sync-status": {},
    "mgr stat": {}, "mgr module ls": {}, "mgr services": {},
    "osd stat": {}, "osd tree": {}, "osd df": {}, "osd df tree": {"output_method": "tree"}, "osd dump": {},
    "osd perf": {}, "osd blocked-by": {}, "osd find {id}": {}, "osd metadata {id}": {},
    "osd crush tree": {}, "osd crush rule dump": {},
    "osd pool ls": {}, "osd pool ls detail": {"detail": "detail"}, "osd pool stats": {},
    "osd pool autoscale-status": {}, "osd pool get {pool} {var}": {},
    "pg stat": {}, "pg dump_stuck": {}, "pg dump_stuck {stuckops}": {}, "pg ls": {}, "pg ls {states}": {},
    "pg ls-by-pool {poolstr}": {}, "pg ls-by-osd {osd}": {}, "pg map {pgid}": {},
    "pg {pgid} query": None, "pg {pgid} list_unfound": None,
    "crash ls": {}, "crash ls-new": {}, "crash info {id}": {},
    "device ls": {}, "device info {devid}": {}, "device ls-by-daemon {who}": {},
    "config get {who} {key}": {}, "balancer status": {}, "fs status": {}, "mds stat": {},
    "tell {target} dump_ops_in_flight": None, "tell {target} dump_historic_ops": None,
    "tell {target} dump_blocked_ops": None,
}
# words that would change the JSON prefix (the `detail`, `tree` choices) are folded in above
_FOLDED = {"health detail": "health", "df detail": "df", "osd df tree": "osd df", "osd pool ls detail": "osd pool ls"}
_ARG = re.compile(r"^[A-Za-z0-9_.:=@/+,*-]{1,128}$")  # one plain token: no spaces, quotes or shell syntax
_FORMAT_OPTS = {"-f", "--format"}


class CommandRefused(PermissionError):
    """opsbot refused a Ceph command that is not on the read-only allowlist."""


class AllowedCommand(BaseModel):
    """A command that passed the allowlist: its words, its pattern, and the mon command JSON."""

    words: list[str]
    pattern: str
    mon_json: dict[str, Any] | None

    @property
    def text(self) -> str:
        return " ".join(self.words)


def _words(command: str | list[str]) -> list[str]:
    try:
        words = shlex.split(command) if isinstance(command, str) else list(command)
    except ValueError as exc:
        raise CommandRefused(f"cannot parse command: {exc}") from None
    if words and words[0] == "ceph":
        words = words[1:]
    cleaned: list[str] = []
    skip = False
    for i, word in enumerate(words):  # a --format option is ours to choose; drop it
        if skip:
            skip = False
            continue
        if word in _FORMAT_OPTS and i + 1 < len(words):
            skip = True
            continue
        if word.startswith("--format="):
            continue
        cleaned.append(word)
    return cleaned


def check_command(command: str | list[str]) -> AllowedCommand:
    """Return the allowed command, or raise CommandRefused. Nothing is sent before this passes."""
    words = _words(command)
    if not words:
        raise CommandRefused("empty command")
    for pattern, extra in _PATTERNS.items():
        parts = pattern.split()
        if len(parts) != len(words):
            continue
        args: dict[str, Any] = {}
        for part, word in zip(parts, words, strict=True):
            if part.startswith("{"):
                if not _ARG.match(word) or word.startswith("-"):
                    break
                args[part[1:-1]] = word
            elif part != word:
                break
        else:
            mon_json = None
            if extra is not None:
                literal = _FOLDED.get(pattern, " ".join(p for p in parts if not p.startswith("{")))
                mon_json = {"prefix": literal, **extra, **args}
            return AllowedCommand(words=words, pattern=pattern, mon_json=mon_json)
    raise CommandRefused(f"`ceph {' '.join(words)}` is not on opsbot's read-only allowlist")


def allowed_patterns() -> list[str]:
    return list(_PATTERNS)
