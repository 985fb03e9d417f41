"""The kubectl changes a documented fix may suggest: what a human runs, never opsbot (which reads only).

`handlers.shared.commands.check_fix` asks this table whether `kubectl ARGS` is a change kubectl knows,
with only the flags that change takes, and whether it is destructive (pods replaced or deleted, capacity
removed): a destructive fix must carry its caution on the card. Credential and endpoint flags are
refused here as in steps.
"""

from __future__ import annotations

import re


class ChangeRefused(ValueError):
    """Not a kubectl change a fix may show."""


_COMMON = frozenset({"-n", "--namespace", "--context", "--cluster", "--request-timeout"})
# (verb, subverb or None) -> (flags that take a value, switches, destructive)
_CHANGES: dict[tuple[str, str | None], tuple[frozenset[str], frozenset[str], bool]] = {
    ("rollout", "undo"): (frozenset({"--to-revision"}), frozenset(), True),
    ("rollout", "restart"): (frozenset(), frozenset(), True),
    ("rollout", "resume"): (frozenset(), frozenset(), False),
    ("delete", None): (frozenset({"-l", "--selector", "--field-selector", "--grace-period"}),
                       frozenset({"--wait", "--ignore-not-found"}), True),
    ("scale", None): (frozenset({"--replicas", "--current-replicas"}), frozenset(), True),
    ("set", "resources"): (frozenset({"-c", "--containers", "--limits", "--requests"}), frozenset(), False),
    ("set", "image"): (frozenset(), frozenset(), False),
    ("set", "env"): (frozenset({"-c", "--containers", "--from"}), frozenset(), False),
    ("patch", None): (frozenset({"-p", "--patch", "--type"}), frozenset(), False),
    ("edit", None): (frozenset(), frozenset(), False),
    ("create", "configmap"): (frozenset({"--from-literal", "--from-file", "--from-env-file"}), frozenset(), False),
    ("create", "secret"): (frozenset({"--from-literal", "--from-file", "--from-env-file"}), frozenset(), False),
    ("create", "job"): (frozenset({"--from"}), frozenset(), False),
    ("uncordon", None): (frozenset(), frozenset(), False),
    ("cordon", None): (frozenset(), frozenset(), False),
    ("drain", None): (frozenset({"--grace-period", "--timeout", "-l", "--selector"}),
                      frozenset({"--ignore-daemonsets", "--delete-emptydir-data"}), True),
}
_SUBVERBS = {"rollout", "set", "create"}
_NAME = re.compile(r"^[\w./:=@,{}\"' -]+$")


def _verb(args: list[str]) -> tuple[str, str | None]:
    words = [w for i, w in enumerate(args) if not w.startswith("-") and not (i and args[i - 1] in _COMMON)]
    if not words:
        raise ChangeRefused("`kubectl` without a command")
    return words[0], (words[1] if words[0] in _SUBVERBS and len(words) > 1 else None)


def check_change(args: list[str]) -> bool:
    """Whether `kubectl ARGS` is destructive; raises ChangeRefused when it is no change a fix may show."""
    verb, sub = _verb(args)
    entry = _CHANGES.get((verb, sub))
    if entry is None:
        raise ChangeRefused(f"`kubectl {verb}{' ' + sub if sub else ''}` is not a change opsbot suggests")
    values, switches, destructive = entry
    positionals: list[str] = []
    i = 0
    while i < len(args):
        word = args[i]
        name, eq, _ = word.partition("=")
        if not word.startswith("-") or word == "-":
            positionals.append(word)
        elif name in _COMMON or name in values:
            if not eq:
                if i + 1 >= len(args):
                    raise ChangeRefused(f"{name} needs a value")
                i += 1
        elif name not in switches:
            raise ChangeRefused(f"unknown or unsupported flag {name} for kubectl {verb}")
        i += 1
    rest = positionals[2 if sub else 1:]
    if not rest and not (verb == "delete" and len(positionals) >= 1):
        raise ChangeRefused(f"`kubectl {verb}` names no object")
    if any(not _NAME.match(word) for word in rest):
        raise ChangeRefused("an object name or setting with characters kubectl names do not have")
    return destructive
