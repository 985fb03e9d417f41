"""`kubectl describe` output as a tree: `Key:  value` lines nested by indentation, the tables kubectl
prints under `Conditions:` and `Events:` kept as rows. `describe_kind` says which object it is from the
keys only that kind's describer prints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from integrations.kubernetes.paste import columns

_KEY = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z][\w .()/-]*?):(?:\s+(?P<value>.*?))?\s*$")


@dataclass
class Node:
    key: str
    value: str
    indent: int
    children: list[Node] = field(default_factory=list)
    rows: list[str] = field(default_factory=list)  # lines that are no `Key: value` (table rows, continuations)
    line: str = ""

    def get(self, *path: str) -> Node | None:
        node: Node | None = self
        for key in path:
            node = next((c for c in node.children if c.key == key), None) if node else None
        return node

    def value_of(self, *path: str) -> str:
        found = self.get(*path)
        return found.value if found else ""

    def table(self) -> list[dict[str, str]]:
        """The rows under this key as {column: cell}, from its header (and dashes) line."""
        rows = [r for r in self.rows if r.strip()]
        if not rows:
            return []
        header = columns.header_columns(rows[0])
        return [columns.split_row(r, header) for r in rows[1:] if not columns.is_dashes(r)]


def parse(lines: list[str]) -> Node:
    """The tree of one describe block; `Events:` (always last) keeps every following line as rows."""
    root = Node(key="", value="", indent=-1)
    stack = [root]
    in_events = False
    for raw in lines:
        line = raw.expandtabs(8).rstrip()
        if not line.strip():
            continue
        if in_events:
            stack[1].rows.append(line)
            continue
        match = _KEY.match(line)
        indent = len(line) - len(line.lstrip())
        # a row of a table (no colon after its first word), or a value continued on the next line
        if match is None or "  " in match.group("key").strip():
            while len(stack) > 1 and stack[-1].indent >= indent:
                stack.pop()
            stack[-1].rows.append(line)
            continue
        node = Node(key=match.group("key").strip(), value=(match.group("value") or "").strip(), indent=indent,
                    line=line)
        while len(stack) > 1 and stack[-1].indent >= indent:
            stack.pop()
        stack[-1].children.append(node)
        stack.append(node)
        if indent == 0 and node.key == "Events":
            in_events = True
            stack = [root, node]
    return root


# keys only one describer prints (first match wins, most specific first)
KIND_KEYS = (
    ("HorizontalPodAutoscaler", ("Reference", "Max replicas")),
    ("PersistentVolumeClaim", ("StorageClass", "Access Modes")),
    ("CronJob", ("Schedule", "Concurrency Policy")),
    ("Job", ("Completions", "Pods Statuses")),
    ("Job", ("Backoff Limit",)),
    ("Node", ("Roles",)),
    ("Node", ("System Info",)),
    ("Node", ("Taints", "Unschedulable")),
    ("Deployment", ("StrategyType",)),
    ("StatefulSet", ("Update Strategy", "Pods Status")),
    ("DaemonSet", ("Desired Number of Nodes Scheduled",)),
    ("ReplicaSet", ("Replicas", "Pods Status")),
    ("Pod", ("Containers",)),
    ("Pod", ("QoS Class",)),
    ("Pod", ("Controlled By", "Status")),
    ("Service", ("Endpoints", "Port")),
    ("PersistentVolume", ("Claim", "Reclaim Policy")),
)


def describe_kind(root: Node) -> str:
    keys = {c.key for c in root.children}
    return next((kind for kind, needed in KIND_KEYS if all(k in keys for k in needed)), "")


def events_rows(root: Node) -> list[dict[str, str]]:
    node = root.get("Events")
    if node is None or node.value == "<none>":
        return []
    return node.table()
