"""Cut a paste into parts of one kind each: by the `kubectl ...` lines pasted with the output when there
are any, and by each output's own shape (a `Name:` block, a table header, a YAML or JSON document, log
lines) inside and without them. What fits no shape becomes an `unknown` part.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import shlex

from integrations.kubernetes import signals
from integrations.kubernetes.paste.parts import Part

COMMAND = re.compile(r"^\s*(?:[\w@.:~/()\[\]-]*[$#%>]\s*)?(?P<program>kubectl|oc)\s+(?P<args>\S.*)$")
DESCRIBE_START = re.compile(r"^Name:\s+\S")
DESCRIBE_KEY = re.compile(r"^[A-Z][\w .()/-]*:(\s|$)")
# a describe cut at the top (grep -A, sed -n, tail) starts with one of its sections
DESCRIBE_SECTION = re.compile(r"^(?:Containers|Init Containers|Conditions|Events|Volumes|Readiness Gates|Replicas|"
                              r"Pods Statuses|Pods Status|Taints|Allocated resources|Capacity|Allocatable|"
                              r"Non-terminated Pods|Pod Template|Metrics|Controlled By|Status|Node|Namespace):(\s|$)")
# event rows without their header: describe's (Type Reason Age From Message) and get's (LAST SEEN TYPE ...)
DESCRIBE_EVENT = re.compile(r"^\s*(?:(?:Normal|Warning)\s{2,}\w+\s{2,}\S|"
                            r"Type\s{2,}Reason\s{2,}Age\s{2,}From\s{2,}Message)")
GET_EVENT = re.compile(r"^\s*(?:\d+(?:\.\d+)?[smhdy]\w*|<unknown>)\s{2,}(?:Normal|Warning)\s{2,}\w+\s{2,}\w+/\S+")
# `get pods` rows whose header was cut (`| grep Crash`): NAME READY STATUS RESTARTS AGE, optionally -A / wide
POD_ROW = re.compile(r"^(?:[a-z0-9][\w.-]*\s{2,})?[a-z0-9][\w.-]*\s{2,}\d+/\d+\s{2,}[A-Z][\w:]*\s{2,}\d+"
                     r"(?: \([^)]*\))?\s{2,}\S+")
YAML_START = re.compile(r"^(?:apiVersion|kind|items|metadata):|^---\s*$")
YAML_LINE = re.compile(r"^(?:[\w.\"'-]+:|- |---|\.\.\.)")
JSON_START = re.compile(r"^\s*[\[{]\s*(?:$|\")")

# table headers (with -A a NAMESPACE column first); the first words are enough to know the table
TABLES = (
    ("pods", re.compile(r"^(?:NAMESPACE\s+)?NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\b")),
    ("events", re.compile(r"^(?:NAMESPACE\s+)?LAST SEEN\s+(?:TYPE\s+REASON\s+OBJECT|FIRST SEEN\s+COUNT)")),
    ("top-nodes", re.compile(r"^NAME\s+CPU\(cores\)\s+CPU(?:%|\(%\))\s+MEMORY\(bytes\)")),
    ("top-pods", re.compile(r"^(?:NAMESPACE\s+)?(?:POD\s+)?NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)")),
    ("hpas", re.compile(r"^(?:NAMESPACE\s+)?NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS")),
    ("nodes", re.compile(r"^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\b")),
    ("pvcs", re.compile(r"^(?:NAMESPACE\s+)?NAME\s+STATUS\s+VOLUME\s+CAPACITY\s+ACCESS MODES")),
    ("deployments", re.compile(r"^(?:NAMESPACE\s+)?NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\b")),
    ("jobs", re.compile(r"^(?:NAMESPACE\s+)?NAME\s+(?:STATUS\s+)?COMPLETIONS\s+DURATION\s+AGE\b")),
)
_WORD = r"[A-Z][A-Z()%-]*(?: [A-Z][A-Z()%-]*)?"
OTHER_TABLE = re.compile(rf"^{_WORD}(?:\s{{2,}}{_WORD})+\s*$")

# what `kubectl get RESOURCE` prints as a table we read
GET_TABLES = {"pods": "pods", "pod": "pods", "po": "pods", "events": "events", "event": "events", "ev": "events",
              "hpa": "hpas", "horizontalpodautoscalers": "hpas", "horizontalpodautoscaler": "hpas",
              "nodes": "nodes", "node": "nodes", "no": "nodes", "pvc": "pvcs", "persistentvolumeclaims": "pvcs",
              "persistentvolumeclaim": "pvcs", "deployments": "deployments", "deployment": "deployments",
              "deploy": "deployments", "jobs": "jobs", "job": "jobs"}
VALUE_FLAGS = frozenset({"-n", "--namespace", "-c", "--container", "-o", "--output", "-l", "--selector", "--context",
                         "--tail", "--since", "--field-selector", "--sort-by", "--cluster", "--since-time",
                         "--limit-bytes", "--for", "--types"})

LOG_LINE = re.compile(
    r"^\s*(?:\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}|[IWEF]\d{4} \d{2}:\d{2}|\[?\d{2}:\d{2}:\d{2}|time=|level=|ts=|"
    r"\{.*\"(?:level|msg|message|severity|@timestamp)\"|at [\w$.<>]+\(|Traceback |File \"|panic:|goroutine \d|"
    r"Caused by:|Exception in thread)|\b(?:ERROR|WARN(?:ING)?|INFO|DEBUG|FATAL|CRITICAL|Error|Exception)\b")


def command_of(args: str) -> tuple[str, dict[str, str]]:
    """The part kind a `kubectl ARGS` line prints, and its hints: namespace, pod, container, previous."""
    words = args.split()
    if "'" in args or '"' in args:  # a quoted jsonpath or selector: split as the shell does
        with contextlib.suppress(ValueError):
            words = shlex.split(args)
    flags: dict[str, str] = {}
    positionals: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word.startswith("-") and "=" in word:
            name, _, value = word.partition("=")
            flags[name] = value
        elif word in VALUE_FLAGS and i + 1 < len(words):
            flags[word] = words[i + 1]
            i += 1
        elif word.startswith("-"):
            flags[word] = ""
        else:
            positionals.append(word)
        i += 1
    hints = {"namespace": flags.get("-n") or flags.get("--namespace") or ""}
    verb, rest = (positionals[0], positionals[1:]) if positionals else ("", [])
    output = flags.get("-o") or flags.get("--output") or ""
    if verb == "logs":
        hints.update(pod=rest[0] if rest else "", container=flags.get("-c") or flags.get("--container") or "",
                     previous="1" if "-p" in flags or "--previous" in flags else "")
        return "logs", hints
    if verb == "describe":
        target = rest[0] if rest else ""
        kind, _, name = target.partition("/")
        hints.update(kind=kind.lower(), name=name or (rest[1] if len(rest) > 1 else ""))
        return "describe", hints
    if verb == "get" and len(rest) > 1 and not rest[0].count("/"):
        hints.update(kind=rest[0].lower(), name=rest[1])
    elif verb == "get" and rest and "/" in rest[0]:
        kind, _, name = rest[0].partition("/")
        hints.update(kind=kind.lower(), name=name)
    if verb == "get" and (output in ("yaml", "json") or output.startswith(("jsonpath", "go-template"))):
        hints["path"] = output
        return ("yaml" if output == "yaml" else "json"), hints
    if verb == "get":
        resource = rest[0].split(",")[0].split("/")[0].lower() if rest else ""
        return GET_TABLES.get(resource, "table"), hints
    if verb == "events":
        return "events", hints
    if verb == "top":
        return ("top-nodes" if rest and rest[0].startswith("no") else "top-pods"), hints
    return "unknown", hints


def table_kind(line: str) -> str | None:
    return next((kind for kind, header in TABLES if header.match(line.strip())), None)


def split(lines: list[str]) -> list[Part]:
    """Every part of the paste, in order. Lines are the paste's (1-based numbers kept)."""
    parts: list[Part] = []
    i, n = 0, len(lines)
    while i < n:
        match = COMMAND.match(lines[i])
        if match is None:
            j = _next_command(lines, i)
            parts += _by_shape(lines[i:j], i + 1)
            i = j
            continue
        j = _next_command(lines, i + 1)
        kind, hints = command_of(match.group("args"))
        command = lines[i].strip()
        body = lines[i + 1:j]
        if kind in ("logs", "yaml", "json") and any(line.strip() for line in body):
            found = [Part(kind, body, i + 2)]
        elif kind == "describe":
            found = _describe_blocks(body, i + 2)
        else:
            found = _by_shape(body, i + 2)
        for part in found:
            part.command, part.namespace, part.hints = command, hints.get("namespace", ""), hints
        parts += found
        i = j
    return [p for p in parts if any(line.strip() for line in p.lines)]


def _describe_blocks(lines: list[str], first: int) -> list[Part]:
    """The output of one `kubectl describe`: one block per `Name:` (a block cut at the top by grep, sed or
    tail has none and takes its name from the command)."""
    starts = [k for k, line in enumerate(lines) if DESCRIBE_START.match(line)]
    if not starts or any(line.strip() for line in lines[:starts[0]]):
        starts = [0, *starts]
    bounds = [*starts, len(lines)]
    return [Part("describe", lines[a:b], first + a) for a, b in itertools.pairwise(bounds) if a < b]


def _next_command(lines: list[str], start: int) -> int:
    return next((k for k in range(start, len(lines)) if COMMAND.match(lines[k])), len(lines))


def _by_shape(lines: list[str], first: int) -> list[Part]:
    parts: list[Part] = []
    loose: list[str] = []
    loose_start = first
    i = 0

    def flush() -> None:
        nonlocal loose
        parts.extend(_paragraphs(loose, loose_start))
        loose = []

    while i < len(lines):
        line = lines[i]
        end = _shape_end(lines, i)
        if end is None:
            if not loose:
                loose_start = first + i
            loose.append(line)
            i += 1
            continue
        kind, stop = end
        flush()
        parts.append(Part(kind, lines[i:stop], first + i))
        i = stop
    flush()
    return parts


def _paragraphs(lines: list[str], first: int) -> list[Part]:
    """Lines of no known shape, by paragraph: log lines, or unknown; neighbours of one kind stay one part."""
    found: list[Part] = []
    start = 0
    for end in [*(k for k, line in enumerate(lines) if not line.strip()), len(lines)]:
        block = lines[start:end]
        if any(line.strip() for line in block):
            kind = "logs" if looks_like_logs(block) else "unknown"
            if found and found[-1].kind == kind and found[-1].end == first + start - 2:
                found[-1].lines += ["", *block]
            else:
                found.append(Part(kind, block, first + start))
        start = end + 1
    return found


def _shape_end(lines: list[str], i: int) -> tuple[str, int] | None:
    """(kind, end index) when a part of a known shape starts at line i."""
    line = lines[i]
    kind = table_kind(line) or ("table" if OTHER_TABLE.match(line) else None)
    if kind:
        j = i + 1
        while j < len(lines) and lines[j].strip() and not _starts_part(lines[j]):
            j += 1
        return kind, j
    if POD_ROW.match(line):
        j = i + 1
        while j < len(lines) and POD_ROW.match(lines[j]):
            j += 1
        return "pods-rows", j
    if DESCRIBE_EVENT.match(line) or GET_EVENT.match(line):
        j = i + 1
        while j < len(lines) and lines[j].strip() and not _starts_part(lines[j]):
            j += 1  # continuation lines of a multi-line message (mount output) stay with their event
        return ("describe-events" if DESCRIBE_EVENT.match(line) else "events-rows"), j
    if DESCRIBE_START.match(line) or DESCRIBE_SECTION.match(line):
        j = i + 1
        while j < len(lines) and not DESCRIBE_START.match(lines[j]) and (
                not lines[j].strip() or lines[j][0] == " " or DESCRIBE_KEY.match(lines[j]) or _elided(lines[j])):
            j += 1
        return "describe", j
    if YAML_START.match(line):
        j = i + 1
        while j < len(lines) and (not lines[j].strip() or lines[j][0] == " " or YAML_LINE.match(lines[j])) \
                and not DESCRIBE_START.match(lines[j]):
            j += 1
        return "yaml", j
    if JSON_START.match(line):
        text = "\n".join(lines[i:])
        try:
            _, used = json.JSONDecoder().raw_decode(text.lstrip())
        except ValueError:
            return None
        consumed = text[: used + len(text) - len(text.lstrip())]
        return "json", i + consumed.count("\n") + 1
    return None


def _elided(line: str) -> bool:
    return line.strip() in ("...", "…", "[...]")


def _starts_part(line: str) -> bool:
    return bool(table_kind(line) or DESCRIBE_START.match(line) or YAML_START.match(line))


MAX_SAMPLE = 200  # lines of a block looked at to tell logs from prose


def looks_like_logs(lines: list[str]) -> bool:
    """Most lines look like log lines (timestamps, levels, JSON logs, stack traces) or carry a signal."""
    content = [line for line in lines if line.strip()][:MAX_SAMPLE]
    if not content:
        return False
    hits = sum(1 for line in content if LOG_LINE.search(line) or signals.DNS_FAILED.search(line)
               or signals.REFUSED.search(line) or signals.COMMAND_FAILED.search(line))
    return hits * 2 >= len(content)
