"""The worker side of the OpenAI-compatible endpoint: run one command, hand its card back as Markdown.

`answer_openai` runs the command the way `run_command` does (the COMMANDS registry, `execute`), but the
card goes back to the waiting web request (a Redis list it BLPOPs) instead of a chat channel. With an
LLM whose competence check passed, a command whose LLM pass re-runs the handler (/ask, /logs, a config
review) runs with the LLM at once; such requests are queued on the `llm` queue, the rest on `collect`.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from bot.celery_app import celery_app
from bot.commands import execute
from bot.runtime import runtime
from bot.tasks import llm_client, llm_gate
from core.events import Command
from handlers.commands import COMMANDS, LLMFollowUp
from integrations.neutralise import LinkPolicy
from integrations.webchat.markdown import card_markdown

REPLY_TTL_S = 300


def wants_llm(name: str, llm_configured: bool) -> bool:
    spec = COMMANDS.get(name)
    return llm_configured and spec is not None and spec.follow_up is LLMFollowUp.rerun


@celery_app.task(name="bot.tasks.answer_openai")
def answer_openai(reply_key: str, payload: dict[str, Any]) -> str:
    rt = runtime()
    cmd = Command.model_validate(payload)
    handler = None
    spec = COMMANDS.get(cmd.name)
    if spec is not None and wants_llm(cmd.name, rt.settings.llm.configured):
        client = llm_client()
        if llm_gate(rt, client).show:
            handler = partial(spec.handle, llm=client, **({"incident": None} if spec.wants_incident else {}))
    card = execute(cmd, rt.settings, handler)
    answer = {"markdown": card_markdown(card, LinkPolicy.of(rt.settings.link_hosts)), "status": card.status.value}
    pipe = rt.redis.pipeline()
    pipe.rpush(reply_key, json.dumps(answer, ensure_ascii=False))
    pipe.expire(reply_key, REPLY_TTL_S)
    pipe.execute()
    return card.status.value
