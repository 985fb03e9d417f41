"""What a paste was cut into: parts of one kind each, and what became of them."""

from __future__ import annotations

from dataclasses import dataclass, field

# The kinds a part can be; `unknown` parts are listed on the card, never guessed at.
KINDS = ("describe", "yaml", "json", "pods", "events", "top-pods", "top-nodes", "hpas", "nodes", "pvcs",
         "deployments", "jobs", "logs", "unknown")


@dataclass
class Part:
    kind: str
    lines: list[str]
    start: int  # 1-based line number in the paste
    command: str = ""  # the `kubectl ...` line that introduced it, if pasted
    namespace: str = ""  # from the command's -n, if any
    hints: dict[str, str] = field(default_factory=dict)  # from the command: kind, name, pod, container, previous
    objects: list[str] = field(default_factory=list)  # evidence ids of what it described
    note: str = ""  # why it was not (fully) read

    @property
    def end(self) -> int:
        return self.start + len(self.lines) - 1

    @property
    def label(self) -> str:
        return f"lines {self.start}-{self.end}" if self.end > self.start else f"line {self.start}"

    def first_line(self) -> str:
        return next((line.strip() for line in self.lines if line.strip()), "")
