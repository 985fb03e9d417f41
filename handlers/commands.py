"""The command registry: every slash command, described once.

A spec says what the command is called, how it is used, which handler builds its card, what the
LLM adds afterwards, and which mention text means it. Help, mention routing, the web intake and
the Celery tasks all read this registry. Adding `/postgres` is one handler module and one entry
in `COMMANDS`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from core.cards import Card
from handlers import ask, ceph, config_review, k8s, logs, postmortem, redis
from integrations.ceph.config import CephDiagnosisSettings
from integrations.opensearch.config import OpenSearchSettings
from integrations.redis.config import RedisDiagnosisSettings

UMBRELLA = "oncall"  # `/oncall NAME ...` reaches every command; `/oncall` alone is help
FALLBACK_INTENT = "ask"  # a mention that matches no command's rule is a question


class HelpNeeds(Protocol):
    """What the help card shows of the settings: configured clusters, instances and OpenSearch."""

    @property
    def ceph(self) -> CephDiagnosisSettings: ...

    @property
    def redis_diagnosis(self) -> RedisDiagnosisSettings: ...

    @property
    def opensearch(self) -> OpenSearchSettings: ...


class HandlerNeeds(ask.AskNeeds, ceph.CephNeeds, redis.RedisNeeds, logs.LogsNeeds, HelpNeeds, Protocol):
    """Everything the registered handlers read of the settings together (the bot's Settings has it all)."""


class LLMFollowUp(StrEnum):
    """What one LLM pass adds to a finished command card (queue llm), if anything."""

    none = "none"
    rerun = "rerun"  # the handler runs again with the LLM client: it writes part of the card itself
    explain = "explain"  # the card's findings get one explanation call (the diagnosis prompt)


@dataclass(frozen=True)
class IntentRule:
    """When a mention's text means this command: `pattern` found (and, with `multiline`, more than one line).
    Rules are tried by `priority`, lowest first: pasted output is recognised before a question's words."""

    priority: int
    pattern: re.Pattern[str]
    reason: str
    multiline: bool = False

    def matches(self, text: str) -> bool:
        return (not self.multiline or "\n" in text) and self.pattern.search(text) is not None


def _always(_: Card) -> bool:
    return True


@dataclass(frozen=True)
class CommandSpec:
    name: str
    usage: str  # how it is typed, as the help card shows it
    summary: str  # what it does, for the help card
    handle: Callable[..., Card]  # (Command, HandlerNeeds, **context) -> Card; never raises to the user
    follow_up: LLMFollowUp = LLMFollowUp.none
    explain_subject: str = ""  # for `explain`: what the card diagnoses ("Ceph cluster")
    llm_worth: Callable[[Card], bool] = _always  # whether a finished card is worth the LLM call
    wants_incident: bool = False  # the handler takes `incident=`: the card whose thread it was asked in
    intent: IntentRule | None = None
    help_note: Callable[[HelpNeeds], str] = field(default=lambda _: "")


def _clusters(settings: HelpNeeds) -> str:
    return "Clusters: " + (", ".join(sorted(settings.ceph.clusters)) or "none configured: paste output instead")


def _instances(settings: HelpNeeds) -> str:
    names = ", ".join(sorted(settings.redis_diagnosis.instances))
    return "Instances: " + (names or "none configured: paste output instead")


def _opensearch(settings: HelpNeeds) -> str:
    return "" if settings.opensearch.enabled else "OpenSearch: not configured"


# In the order the help card lists them.
COMMANDS: dict[str, CommandSpec] = {spec.name: spec for spec in (
    CommandSpec(
        name="ask", usage="/ask QUESTION", summary=ask.USAGE, handle=ask.handle_command,
        follow_up=LLMFollowUp.rerun, wants_incident=True,
    ),
    CommandSpec(
        name="logs", usage="/logs QUESTION [--index PATTERN]", summary=logs.USAGE, handle=logs.handle_command,
        follow_up=LLMFollowUp.rerun, llm_worth=logs.needs_llm, help_note=_opensearch,
        intent=IntentRule(40, re.compile(r"\b(?:logs?|log lines|5xx|4xx|error rate)\b|"
                                     r"(?:логи|логах|ошибк\w*\s+\d{3}|\dxx)", re.IGNORECASE),
                          "a question about logs"),
    ),
    CommandSpec(
        name="config", usage="/oncall config + pasted YAML or nginx config", summary=config_review.USAGE,
        handle=config_review.handle_command, follow_up=LLMFollowUp.rerun,
        intent=IntentRule(30, re.compile(r"^(?:receivers|exporters|processors|service|source|sink|- hosts|"
                                     r"server\s*\{|location\s)", re.MULTILINE),
                          "pasted configuration", multiline=True),
    ),
    CommandSpec(
        name="postmortem", usage="/postmortem TEXT | URL", summary=postmortem.USAGE,
        handle=postmortem.handle_command,
    ),
    CommandSpec(
        name="ceph", usage="/ceph [CLUSTER | pasted output]", summary=ceph.USAGE, handle=ceph.handle_command,
        follow_up=LLMFollowUp.explain, explain_subject="Ceph cluster", help_note=_clusters,
        intent=IntentRule(10, re.compile(r"\bHEALTH_(?:OK|WARN|ERR)\b|^\s*cluster:\s*$\s+id:|"
                                     r"\"(?:status|overall_status)\"\s*:\s*\"HEALTH_", re.MULTILINE),
                          "pasted Ceph status or health output"),
    ),
    CommandSpec(
        name="k8s", usage="/k8s + pasted kubectl output", summary=k8s.USAGE, handle=k8s.handle_command,
        follow_up=LLMFollowUp.explain, explain_subject="Kubernetes workload",
        intent=IntentRule(25, re.compile(r"^\s*(?:\S*[$#%>]\s*)?(?:kubectl|oc) (?:describe|get|logs|top|events)\b|"
                                     r"^NAME\s+READY\s+STATUS\s+RESTARTS|^(?:NAMESPACE\s+)?LAST SEEN\s+TYPE\s+REASON|"
                                     r"^Name:\s+\S+\s*$(?:\n.*){0,12}?\n(?:Namespace|Node|Roles|StorageClass):|"
                                     r"^apiVersion: (?:v1|apps/v1|batch/v1)\s*$", re.MULTILINE),
                          "pasted kubectl output", multiline=True),
    ),
    CommandSpec(
        name="redis", usage="/redis INSTANCE | pasted output", summary=redis.USAGE, handle=redis.handle_command,
        follow_up=LLMFollowUp.explain, explain_subject="Redis instance", help_note=_instances,
        intent=IntentRule(20, re.compile(r"^# (?:Server|Clients|Memory|Persistence|Stats|Replication|CPU|Keyspace)\s*$|"
                                     r"^(?:redis_version|used_memory|connected_clients|role):|"
                                     r"^\s*1\) 1\) \(integer\)|^\s*\d+\) 1\) \"[\w-]+\"\s*$", re.MULTILINE),
                          "pasted Redis INFO, SLOWLOG or LATENCY output"),
    ),
)}
