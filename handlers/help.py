"""`/oncall help`: what the bot can do here, with the commands this deployment has configured."""

from __future__ import annotations

from core.cards import Card, CardField, CardKind, CardStatus
from handlers.commands import COMMANDS, UMBRELLA, HelpNeeds

INTRO = ("I post a triage card for every Alertmanager notification routed to me and keep it up to date: "
         "joins, resolves (with the duration) and a note in the card's thread. Commands:")


def help_card(settings: HelpNeeds, message: str = "") -> Card:
    fields = [CardField(name=f"/{UMBRELLA} help", value="this card", short=False)]
    for spec in COMMANDS.values():
        note = spec.help_note(settings)
        fields.append(CardField(name=spec.usage, value=f"{spec.summary}\n{note}" if note else spec.summary,
                                short=False))
    footer = ("Read-only: I never change your systems. Commands also work as `/oncall ceph …`, `/oncall ask …`; "
              "mention me with a question, a log question or pasted `ceph health detail` / Redis INFO and I answer "
              "the same way.")
    return Card(kind=CardKind.help, status=CardStatus.done, title="opsbot: what I can do",
                summary=message or INTRO, fields=fields, footer=footer)
