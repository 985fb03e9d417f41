"""Which command a chat mention is: rules on the text, in order, first match wins.

Pasted `ceph health detail` / `ceph -s` goes to the Ceph diagnosis, pasted INFO / SLOWLOG /
LATENCY output to the Redis one, pasted configuration (OpenTelemetry Collector, Data Prepper,
Ansible, nginx) to the config review, a log question to /logs, a question to /ask. No LLM is
consulted: these rules decide every case, and a mention that matches no rule is a question.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel

IntentKind = Literal["help", "ceph", "redis", "logs", "config", "ask"]

_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>|(?:^|\s)@[\w.-]+")
_CEPH = re.compile(r"\bHEALTH_(?:OK|WARN|ERR)\b|^\s*cluster:\s*$\s+id:|\"(?:status|overall_status)\"\s*:\s*\"HEALTH_",
                   re.MULTILINE)
_REDIS = re.compile(r"^# (?:Server|Clients|Memory|Persistence|Stats|Replication|CPU|Keyspace)\s*$|"
                    r"^(?:redis_version|used_memory|connected_clients|role):|^\s*1\) 1\) \(integer\)|"
                    r"^\s*\d+\) 1\) \"[\w-]+\"\s*$", re.MULTILINE)
_CONFIG = re.compile(r"^(?:receivers|exporters|processors|service|source|sink|- hosts|server\s*\{|location\s)",
                     re.MULTILINE)
_LOGS = re.compile(r"\b(?:logs?|log lines|5xx|4xx|error rate)\b|(?:логи|логах|ошибк\w*\s+\d{3}|\dxx)",
                   re.IGNORECASE)


class Intent(BaseModel):
    kind: IntentKind
    text: str
    reason: str


def strip_mentions(text: str) -> str:
    return _MENTION.sub(" ", text).strip()


def route(text: str) -> Intent:
    body = strip_mentions(text)
    if not body or body.lower() in ("help", "помощь", "?"):
        return Intent(kind="help", text="", reason="empty or help")
    if _CEPH.search(body):
        return Intent(kind="ceph", text=body, reason="pasted Ceph status or health output")
    if _REDIS.search(body):
        return Intent(kind="redis", text=body, reason="pasted Redis INFO, SLOWLOG or LATENCY output")
    if "\n" in body and _CONFIG.search(body):
        return Intent(kind="config", text=body, reason="pasted configuration")
    if _LOGS.search(body):
        return Intent(kind="logs", text=body, reason="a question about logs")
    return Intent(kind="ask", text=body, reason="a question")
