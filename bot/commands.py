"""Slash commands from every platform: the registry in handlers.commands, one way to run them.

`/oncall help` is answered inline (it needs no data). Everything else is acknowledged at once and
run by the `run_command` Celery task, which posts a "working" card and updates it with the result.
`/oncall ceph …`, `/oncall redis …` and `/oncall ask …` are the same as `/ceph …`, `/redis …` and
`/ask …`, so a workspace that registers only `/oncall` still reaches every command. A mention of
the bot becomes the command its text asks for.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.config import Settings
from core.cards import Card, CardKind, CardStatus
from core.events import Command, Mention
from core.models import Severity, Unavailable
from handlers.commands import COMMANDS, UMBRELLA
from handlers.help import help_card
from handlers.intents import route

log = logging.getLogger("opsbot.commands")

CommandHandler = Callable[[Command, Settings], Card]


def normalise(cmd: Command) -> Command:
    """`/oncall ceph prod` -> `ceph` with text `prod`; leading slashes and case are dropped."""
    name = cmd.name.lstrip("/").lower()
    text = cmd.text.strip()
    if name == UMBRELLA:
        first, rest = ([*text.split(None, 1), ""])[:2]  # "config\n<pasted yaml>" too
        if first.lower() in COMMANDS:
            return cmd.model_copy(update={"name": first.lower(), "text": rest.strip()})
        return cmd.model_copy(update={"name": UMBRELLA, "text": text})
    return cmd.model_copy(update={"name": name, "text": text})


def instant_reply(cmd: Command, settings: Settings) -> Card | None:
    """The card to answer with inside the acknowledgement, or None when a task must do the work."""
    if cmd.name in COMMANDS:
        return None
    if cmd.name == UMBRELLA and cmd.text.split(" ", 1)[0].lower() in ("", "help"):
        return help_card(settings)
    asked = f"/{cmd.name} {cmd.text}".strip()
    return help_card(settings, message=f"I don't know `{asked[:100]}`. Here is what I can do:")


def command_for_mention(mention: Mention) -> Command:
    """A mention becomes the command its text asks for (each command's intent rule in handlers.commands)."""
    intent = route(mention.text)
    name = UMBRELLA if intent.kind == "help" else intent.kind
    return Command(platform=mention.platform, channel=mention.channel, user=mention.user, name=name,
                   text=intent.text or "help", thread_id=mention.thread_id)


def working_card(cmd: Command) -> Card:
    preview = cmd.text.splitlines()[0][:80] if cmd.text else ""
    return Card(kind=CardKind.diagnosis, status=CardStatus.working, title=f"/{cmd.name} {preview}".strip(),
                summary=f"Working on it for {cmd.user or 'you'}…", footer=f"/{cmd.name}")


def execute(cmd: Command, settings: Settings, handler: CommandHandler | None = None) -> Card:
    """Run a command's handler (or `handler`, the same one with more context bound); a failure
    becomes a degraded card, never a traceback in the channel."""
    spec = COMMANDS.get(cmd.name)
    handler = handler or (spec.handle if spec else None)
    if handler is None:  # help and what this version cannot do yet (mentions are always queued)
        return instant_reply(cmd, settings) or help_card(settings)
    try:
        return handler(cmd, settings)
    except Exception as exc:  # the card must arrive whatever the handler does
        log.exception("/%s failed", cmd.name)
        return Card(kind=CardKind.diagnosis, status=CardStatus.degraded, severity=Severity.error,
                    title=f"/{cmd.name}: could not finish", summary=f"{type(exc).__name__}: {exc}"[:500],
                    unavailable=[Unavailable(source=cmd.name, reason=type(exc).__name__)], footer=f"/{cmd.name}")
