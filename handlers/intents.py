"""Which command a chat mention is: each command's intent rule (handlers.commands), by priority.

Pasted `ceph health detail` / `ceph -s` goes to the Ceph diagnosis, pasted INFO / SLOWLOG /
LATENCY output to the Redis one, pasted configuration (OpenTelemetry Collector, Data Prepper,
Ansible, nginx) to the config review, a log question to /logs, a question to /ask. No LLM is
consulted: these rules decide every case, and a mention that matches no rule is a question.
"""

from __future__ import annotations

import re

from pydantic import BaseModel

from handlers.commands import COMMANDS, FALLBACK_INTENT

_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>|(?:^|\s)@[\w.-]+")
HELP_WORDS = ("help", "помощь", "?")
_RULES = sorted(((spec.intent, name) for name, spec in COMMANDS.items() if spec.intent is not None),
                key=lambda rule: rule[0].priority)


class Intent(BaseModel):
    kind: str  # "help" or a command name of the registry
    text: str
    reason: str


def strip_mentions(text: str) -> str:
    return _MENTION.sub(" ", text).strip()


def route(text: str) -> Intent:
    body = strip_mentions(text)
    if not body or body.lower() in HELP_WORDS:
        return Intent(kind="help", text="", reason="empty or help")
    for rule, name in _RULES:
        if rule.matches(body):
            return Intent(kind=name, text=body, reason=rule.reason)
    return Intent(kind=FALLBACK_INTENT, text=body, reason="a question")
