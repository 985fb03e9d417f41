"""Primary-problem rules: which of several findings names the problem, written as data beside each
catalogue (integrations/ceph/primary.yaml, the `primary_rules` of integrations/redis/catalogue.yaml).

A leaf module like `core.models`: pure pydantic and the standard library.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field


class PrimaryRule(BaseModel):
    """A present `prefer` finding wins over every present finding in `over`, whatever their severities."""

    prefer: str
    over: list[str]
    why: str
    when: str = ""  # a regex the preferred finding's text must match (e.g. which flags are set)
    unless: list[str] = Field(default_factory=list)  # codes whose presence means an independent failure

    def applies(self, current: str, present: dict[str, str]) -> bool:
        return (current in self.over and self.prefer in present and not set(self.unless) & set(present)
                and (not self.when or re.search(self.when, present[self.prefer]) is not None))


def choose_primary(findings: list[tuple[str, str]], rules: list[PrimaryRule]) -> tuple[int, str]:
    """Index of the primary among `findings` ((code, its text), already ranked by severity) and the rule's
    reason. Starts from the first; the first rule that prefers a present finding over the current one moves
    the primary there, until no rule applies (a cycle in the rules ends where it started)."""
    codes = [code for code, _ in findings]
    present = {code: text for code, text in reversed(findings)}
    current, reason, seen = 0, "", {0}
    while True:
        better = next(((codes.index(rule.prefer), rule.why) for rule in rules if rule.applies(codes[current], present)),
                      None)
        if better is None or better[0] in seen:
            return current, reason
        current, reason = better
        seen.add(current)
