"""`/oncall help`: what the bot can do here, with the commands this deployment has configured."""

from __future__ import annotations

from bot.cards import Card, CardField, CardKind, CardStatus
from bot.config import Settings
from handlers import ask, ceph, config_review, logs, postmortem, redis

INTRO = ("I post a triage card for every Alertmanager notification routed to me and keep it up to date: "
         "joins, resolves (with the duration) and a note in the card's thread. Commands:")


def help_card(settings: Settings, message: str = "") -> Card:
    clusters = ", ".join(sorted(settings.ceph.clusters)) or "none configured: paste output instead"
    instances = ", ".join(sorted(settings.redis_diagnosis.instances)) or "none configured: paste output instead"
    fields = [
        CardField(name="/oncall help", value="this card", short=False),
        CardField(name="/ask QUESTION", value=ask.USAGE, short=False),
        CardField(name="/logs QUESTION [--index PATTERN]", value=logs.USAGE + (
            "" if settings.opensearch.enabled else "\nOpenSearch: not configured"), short=False),
        CardField(name="/oncall config + pasted YAML or nginx config", value=config_review.USAGE, short=False),
        CardField(name="/postmortem TEXT | URL", value=postmortem.USAGE, short=False),
        CardField(name="/ceph [CLUSTER | pasted output]", value=f"{ceph.USAGE}\nClusters: {clusters}", short=False),
        CardField(name="/redis INSTANCE | pasted output", value=f"{redis.USAGE}\nInstances: {instances}", short=False),
    ]
    footer = ("Read-only: I never change your systems. Commands also work as `/oncall ceph …`, `/oncall ask …`; "
              "mention me with a question, a log question or pasted `ceph health detail` / Redis INFO and I answer "
              "the same way.")
    return Card(kind=CardKind.help, status=CardStatus.done, title="opsbot: what I can do",
                summary=message or INTRO, fields=fields, footer=footer)
