"""What the Ceph and Redis diagnosis benches share: loading a case folder, micro F1, command matching."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from core.cards import Card
from handlers.shared.commands import check, check_fix

CASES = Path(__file__).parent / "cases"
_CHOICE = re.compile(r"^<[^<>]+>$")  # a value the operator chooses (<ratio>, <bytes>): any word matches it


def load_cases(system: str, half: str) -> list[dict[str, Any]]:
    folder = CASES / system / half
    return [yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.yaml"))]


@dataclass
class F1:
    """Micro-averaged over cases: true positives, false positives, false negatives."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, case_id: str, expected: Iterable[str], got: Iterable[str]) -> None:
        want, have = set(expected), set(got)
        self.tp += len(want & have)
        self.fp += len(have - want)
        self.fn += len(want - have)
        if want != have:
            self.misses.append(f"{case_id}: missing {sorted(want - have)} extra {sorted(have - want)}")

    @property
    def value(self) -> float:
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp + self.fp + self.fn else 1.0


def words(command: str) -> list[str]:
    return command.split()


def command_matches(expected: str, shown: str) -> bool:
    """Whitespace-normalised equality, where an expected `<token>` stands for any one word."""
    want, have = words(expected), words(shown)
    return len(want) == len(have) and all(_CHOICE.match(w) or w == h for w, h in zip(want, have, strict=True))


def found(expected: str, shown: Iterable[str]) -> bool:
    return any(command_matches(expected, s) for s in shown)


def unknown_commands(case_id: str, card: Card) -> list[str]:
    """Commands the card shows although the project's parser refuses them (steps: read-only; fixes: a
    known change, with its caution when destructive)."""
    return ([f"{case_id}: {s.command}: {why}" for s in card.steps if (why := check(s.command))]
            + [f"{case_id}: {f.command}: {why}" for f in card.fixes if (why := check_fix(f.command, f.caution))])


def cli(run: Callable[[str, bool], dict[str, float]], doc: str) -> None:
    """`--half dev|test|fresh` (default dev: tune there; test once, at the end; fresh: a later blind set,
    measured before and after the change it prompts) and `--verbose` (every miss)."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--half", choices=["dev", "test", "fresh"], default="dev")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    run(args.half, args.verbose)
