"""State written by the previous version (0.1, before core/) still loads: incidents in Redis and
queued Celery messages. The data files were written by that version's own code (IncidentStore.save
and Celery's send_task against a real Redis), so they are the real wire shape, not a copy of ours."""

from __future__ import annotations

import base64
import inspect
import json
from pathlib import Path
from typing import Any

import redis as redis_lib

import bot.command_tasks
import bot.tasks  # noqa: F401 - registers the alert tasks
from bot.celery_app import celery_app
from bot.incidents import IncidentStore
from core.cards import CardStatus
from core.events import AlertGroup, Command
from integrations.slack import render_slack

STORED = Path(__file__).resolve().parents[1] / "data" / "stored"


def _old_incident() -> dict[str, Any]:
    return json.loads((STORED / "incident-v0.1.json").read_text())


def _old_messages() -> list[dict[str, Any]]:
    return json.loads((STORED / "celery-messages-v0.1.json").read_text())


def test_an_incident_stored_by_the_previous_version_loads_and_renders(clean_redis: redis_lib.Redis) -> None:
    stored = _old_incident()
    clean_redis.hset(stored["redis_key"], mapping=stored["hash"])
    key = stored["redis_key"].removeprefix("opsbot:incident:")

    meta = IncidentStore(clean_redis).load(key)

    assert meta is not None and meta.key == key and meta.version == 2
    assert meta.enrichment is not None and meta.enrichment.findings[0].code == "OOMKilled"
    card = meta.card
    assert card is not None and card.status is CardStatus.firing
    assert [f.code for f in card.findings] == ["OOMKilled"]
    assert any("describe pod" in s.command for s in card.steps)
    assert card.unavailable[0].source == "prometheus"
    assert render_slack(card)  # every platform can still show it
    IncidentStore(clean_redis).save(meta)  # and the new version writes it back in a shape it reads
    assert IncidentStore(clean_redis).load(key) == meta


def test_celery_messages_queued_by_the_previous_version_name_tasks_that_exist_and_carry_valid_args() -> None:
    messages = _old_messages()
    assert {m["message"]["headers"]["task"] for m in messages} == {
        "bot.tasks.process_alert_group", "bot.tasks.run_command", "bot.tasks.deliver_card"}
    for queued in messages:
        message = queued["message"]
        name = message["headers"]["task"]
        assert name in celery_app.tasks, name
        args, kwargs, _ = json.loads(base64.b64decode(message["body"]))
        if name == "bot.tasks.process_alert_group":
            assert AlertGroup.model_validate(args[0]).alerts
        if name == "bot.tasks.run_command":
            assert Command.model_validate(args[1]).name == "ask"
        inspect.signature(celery_app.tasks[name].run).bind(*args, **kwargs)  # the task still takes them
