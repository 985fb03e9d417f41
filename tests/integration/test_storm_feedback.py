"""Feedback on Slack and Mattermost through the wire-format fakes: the buttons on the posted card, the
signed press through the real web routes, the worker's vote (membership asked of the platform), the
tally on the card, and the ranking change in the next card of that alert."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlencode

import pytest
import redis as redis_lib
from aiohttp.test_utils import TestClient, TestServer

from bot import tasks
from bot.runtime import Runtime
from bot.web import create_app
from core.cards import FEEDBACK_DOWN, FEEDBACK_UP
from handlers.enrichers.knowledge import KnowledgeEnricher
from handlers.feedback import rank_adjuster, read_verdicts
from integrations.chat import ChatChannel
from integrations.mattermost import MattermostChannel, sign_action
from integrations.slack import SlackChannel
from knowledge.retrieval import SearchResult
from tests.integration.test_storm_memory import fire, group
from tests.support.chat_requests import MATTERMOST_COMMAND_TOKEN, SLACK_SIGNING_SECRET, slack_headers
from tests.support.fakes import mattermost_api, slack_api
from tests.support.fakes.mattermost_api import FakeMattermost
from tests.support.fakes.slack_api import FakeSlack
from tests.support.inprocess_bot import inprocess_bot

SECRET = "mm-action-secret"
PUBLIC = "http://opsbot.example.internal"
VOTERS = ["U0VOTER01", "U0VOTER02", "U0VOTER03"]


class Sections:
    """A retriever with four runbook sections for every alert, best first (no other section to show)."""

    def vectors(self, text: str) -> tuple[list[float], Any]:
        return [], None

    def sections_of(self, *args: Any, **kwargs: Any) -> list[SearchResult]:
        return []

    def triage(self, query: Any, k: int, postmortems_k: int,
               **_floors: Any) -> tuple[list[SearchResult], list[SearchResult]]:
        found = [SearchResult(source=f"runbooks/{name}.md", title=name, section="First checks", score=1 - i / 10,
                              text="check it", doc_type="runbook") for i, name in enumerate("abcd")]
        return found[:k], []


@pytest.fixture
def mattermost() -> Iterator[FakeMattermost]:
    with FakeMattermost(team="ops", channels=("oncall",)).run_in_thread() as fake:
        yield fake


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack().run_in_thread() as fake:
        fake.members["C0ONCALL1"] += VOTERS
        yield fake


@pytest.fixture
def bot(clean_redis: redis_lib.Redis, redis_url: str, tmp_path: Path, slack: FakeSlack, mattermost: FakeMattermost,
        monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    chats: dict[str, ChatChannel] = {"slack": SlackChannel(token=slack_api.BOT_TOKEN, base_url=slack.api_url),
             "mattermost": MattermostChannel(url=mattermost.base_url, token=mattermost_api.BOT_TOKEN, team="ops",
                                             action_url=f"{PUBLIC}/mattermost/action", action_secret=SECRET)}
    settings: dict[str, Any] = {
        "slack": {"bot_token": slack_api.BOT_TOKEN, "signing_secret": SLACK_SIGNING_SECRET, "api_url": slack.api_url},
        "mattermost": {"url": mattermost.base_url, "token": mattermost_api.BOT_TOKEN, "team": "ops",
                       "command_tokens": [MATTERMOST_COMMAND_TOKEN], "action_secret": SECRET},
        "web": {"public_url": PUBLIC}, "knowledge": {"enabled": True}}
    with inprocess_bot(redis_url, tmp_path / "data", chats, **settings) as rt:
        enricher = KnowledgeEnricher.__new__(KnowledgeEnricher)  # the real enricher, on a stub retriever
        enricher.settings, enricher.adjust = rt.settings, rank_adjuster(rt.settings)
        enricher.retriever = Sections()  # type: ignore[assignment]
        monkeypatch.setattr(tasks, "build_enrichers", lambda _settings: [enricher])
        yield rt


@pytest.fixture
async def web(bot: Runtime) -> Any:
    async with TestClient(TestServer(create_app(bot.settings))) as client:
        yield client


def slack_press(action_id: str, value: str, ts: str, user: str = "U2147483697") -> str:
    """A Block Kit button press (https://api.slack.com/reference/interaction-payloads/block-actions)."""
    payload = {"type": "block_actions", "user": {"id": user, "username": user.lower(), "team_id": "T0FAKE01"},
               "api_app_id": "A123456", "token": "legacy", "trigger_id": f"1.{uuid.uuid4().hex}",
               "team": {"id": "T0FAKE01", "domain": "fake"}, "channel": {"id": "C0ONCALL1", "name": "oncall"},
               "container": {"type": "message", "message_ts": ts, "channel_id": "C0ONCALL1"},
               "message": {"type": "message", "ts": ts, "text": "card"},
               "actions": [{"action_id": action_id, "block_id": "b1", "value": value, "type": "button",
                            "action_ts": ts}]}
    return urlencode({"payload": json.dumps(payload)})


def run_queued_actions(client: redis_lib.Redis) -> list[str]:
    """Run the button tasks the web process queued, here, as a worker would."""
    outcomes = []
    for raw in cast("list[bytes]", client.lrange("collect", 0, -1)):
        message = json.loads(raw)
        if message["headers"]["task"] == "bot.tasks.run_action":
            (payload,), _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
            outcomes.append(tasks.run_action(payload))
    client.delete("collect")
    return outcomes


def test_buttons_votes_tally_and_the_next_cards_ranking(bot: Runtime, web: TestClient, slack: FakeSlack,
                                                        mattermost: FakeMattermost) -> None:
    fire(group(1))
    slack_card = slack.posts[0]
    actions = [e for b in slack.messages[("C0ONCALL1", slack_card["ts"])]["blocks"] if b["type"] == "actions"
               for e in b["elements"]]
    assert {a["action_id"] for a in actions} >= {"feedback_up", "feedback_down", "feedback_wrong_cause"}
    key = next(a["value"] for a in actions if a["action_id"] == FEEDBACK_DOWN)
    mm_post = mattermost.created[0]
    mm_actions = mm_post["props"]["attachments"][0]["actions"]
    assert {a["integration"]["context"]["action"] for a in mm_actions} >= {FEEDBACK_UP, FEEDBACK_DOWN}
    meta = bot.store.load(key)
    assert meta is not None and meta.enrichment is not None, meta
    assert not meta.enrichment.unavailable, meta.enrichment.unavailable
    cited = [c for c in meta.card.citations]  # type: ignore[union-attr]
    assert [c.source for c in cited] == ["runbooks/a.md", "runbooks/b.md", "runbooks/c.md"]


async def test_votes_on_both_platforms_forged_and_repeated_and_ranking(
        bot: Runtime, web: TestClient, slack: FakeSlack, mattermost: FakeMattermost, clean_redis: redis_lib.Redis
) -> None:
    fire(group(1))
    ts = slack.posts[0]["ts"]
    key = bot.store.load(next(iter(_incident_keys(clean_redis)))).key  # type: ignore[union-attr]

    forged = slack_press(FEEDBACK_DOWN, key, ts)
    resp = await web.post("/slack/events", data=forged, headers=slack_headers(forged, secret="not-the-secret"))
    assert resp.status == 401  # a forged Slack press never reaches a worker
    outsider = slack_press(FEEDBACK_DOWN, key, ts, user="U0OUTSIDER")  # signed, but not in the channel
    resp = await web.post("/slack/events", data=outsider, headers=slack_headers(outsider))
    assert resp.status == 200
    assert run_queued_actions(clean_redis) == ["not_member"]

    for user in ["U2147483697", *VOTERS]:
        body = slack_press(FEEDBACK_DOWN, key, ts, user=user)
        assert (await web.post("/slack/events", data=body, headers=slack_headers(body))).status == 200
    assert run_queued_actions(clean_redis) == ["counted"] * 4
    again = slack_press(FEEDBACK_UP, key, ts)  # alice changes her mind: her first vote stands
    await web.post("/slack/events", data=again, headers=slack_headers(again))
    assert run_queued_actions(clean_redis) == ["repeated"]

    mm_user = "q5s2f1m1tbrm8e1ckzy4dpyk1o"
    channel_id = mattermost.channel_id("oncall")
    mattermost.members[channel_id].add(mm_user)
    post_id = mattermost.created[0]["id"]

    def mm_press(action: str, signature: str, user_id: str = mm_user) -> dict[str, Any]:
        return {"user_id": user_id, "user_name": "bob", "channel_id": channel_id, "post_id": post_id,
                "team_id": "t1", "context": {"action": action, "value": key, "signature": signature}}

    resp = await web.post("/mattermost/action", json=mm_press(FEEDBACK_UP, "0" * 64))
    assert resp.status == 401  # a forged Mattermost press
    resp = await web.post("/mattermost/action", json=mm_press(FEEDBACK_UP, sign_action(SECRET, FEEDBACK_UP, key)))
    assert resp.status == 200 and "verdict is recorded" in (await resp.json())["ephemeral_text"]
    stranger = mm_press(FEEDBACK_DOWN, sign_action(SECRET, FEEDBACK_DOWN, key), user_id="x" * 26)
    await web.post("/mattermost/action", json=stranger)
    assert sorted(run_queued_actions(clean_redis)) == ["counted", "not_member"]

    # the tally is on the card, on both platforms
    assert "1 found this helpful, 4 did not" in json.dumps(slack.messages[("C0ONCALL1", ts)]["blocks"])
    assert "1 found this helpful, 4 did not" in json.dumps(mattermost.posts[post_id]["props"])
    assert len(read_verdicts(bot.settings.data_dir)) == 5  # the JSON Lines record

    # the next incident of this alert: the three sections that card cited are each net -3 (1.2 places down),
    # so section d, never shown, overtakes c, and the last of them drops off the card
    fire(group(2))
    newest = next(k for k in _incident_keys(clean_redis) if k != key)
    card = bot.store.load(newest).card  # type: ignore[union-attr]
    assert card is not None
    assert [c.source for c in card.citations] == ["runbooks/a.md", "runbooks/b.md", "runbooks/d.md"]
    metrics = cast("dict[bytes, bytes]", clean_redis.hgetall("opsbot:metrics:opsbot_feedback_votes"))
    assert metrics[json.dumps(["slack", "down", "counted"]).encode()] == b"4"


def _incident_keys(client: redis_lib.Redis) -> list[str]:
    return [k.decode().removeprefix("opsbot:incident:") for k in client.scan_iter("opsbot:incident:*")
            if b":lock" not in k]
