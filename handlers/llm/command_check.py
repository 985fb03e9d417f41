"""Checks on what an LLM suggests: only read-only commands reach a card.

A suggested command is kept when it passes one of opsbot's read-only allowlists (Ceph, Redis,
kubectl's reading verbs) or when it appears verbatim in a runbook excerpt the answer cites: the
runbook's authors vouched for it, the model did not invent it.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable

from integrations.ceph.allowlist import CommandRefused
from integrations.ceph.allowlist import check_command as check_ceph
from integrations.redis.client import CommandNotAllowed
from integrations.redis.client import check_allowed as check_redis

KUBECTL_READ_VERBS = frozenset({"get", "describe", "logs", "top", "events", "explain", "api-resources", "version"})
# kubectl flags that write or exec whatever the verb (e.g. `get --raw` may POST, `--edit`).
_KUBECTL_BAD_FLAGS = ("--raw", "--edit", "--overwrite", "-o=go-template", "--kubeconfig")
_SHELL = re.compile(r"[;&|<>`$\\\n]|\$\(")
_SPACES = re.compile(r"\s+")


def normalise(command: str) -> str:
    return _SPACES.sub(" ", command.strip().strip("`").strip())


def allowlisted(command: str) -> bool:
    """True when the command is read-only by one of opsbot's allowlists (and has no shell syntax)."""
    command = normalise(command)
    if not command or _SHELL.search(command):
        return False
    try:
        words = shlex.split(command)
    except ValueError:
        return False
    if not words:
        return False
    head = words[0]
    if head == "ceph":
        try:
            check_ceph(words)
        except CommandRefused:
            return False
        return True
    if head == "redis-cli":
        return _redis_cli(words[1:])
    if head in ("kubectl", "oc"):
        return _kubectl(words[1:])
    return False


def _redis_cli(args: list[str]) -> bool:
    # connection options (-h host -p port --tls ...) are fine; what is sent must be allowlisted
    rest = list(args)
    while rest and rest[0].startswith("-"):
        option = rest.pop(0)
        if option in ("-h", "-p", "-n", "--user", "-u", "--sni", "--cacert") and rest:
            rest.pop(0)
        elif option in ("-a", "--pass", "--eval", "-x", "--pipe", "--rdb", "--functions-rdb"):
            return False
    if not rest:
        return False
    try:
        check_redis(rest)
    except CommandNotAllowed:
        return False
    return True


# Global and common kubectl flags that take the next word as their value (unless written --flag=value):
# `kubectl -n get delete ns prod` has the verb `delete`, not `get`.
_KUBECTL_VALUE_FLAGS = frozenset({"-n", "--namespace", "-c", "--container", "-l", "--selector", "-o", "--output",
                                  "--context", "--cluster", "--user", "-s", "--server", "--token", "--as",
                                  "--as-group", "--tail", "--since", "--since-time", "--field-selector",
                                  "--sort-by", "--request-timeout", "--chunk-size"})


def _kubectl(args: list[str]) -> bool:
    words = list(args)
    verb = None
    while words:
        word = words.pop(0)
        if word in _KUBECTL_VALUE_FLAGS:
            if not words:
                return False
            words.pop(0)
        elif not word.startswith("-"):
            verb = word
            break
    if verb not in KUBECTL_READ_VERBS:
        return False
    return not any(a.startswith(_KUBECTL_BAD_FLAGS) for a in args)


def quoted_in(command: str, texts: Iterable[str]) -> bool:
    """True when the command appears verbatim (whitespace aside) in one of the texts."""
    wanted = normalise(command)
    return bool(wanted) and any(wanted in normalise(text) for text in texts)


def command_allowed(command: str, cited_texts: Iterable[str]) -> str | None:
    """None when the command may be shown; else why it was dropped."""
    if allowlisted(command):
        return None
    if quoted_in(command, cited_texts):
        return None
    return "not on the read-only allowlist and not quoted in a cited runbook"
