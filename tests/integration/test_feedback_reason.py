""""Wrong cause" with a typed reason on Slack and Mattermost, through the wire-format fakes: the press
counts the vote and opens a form (Slack `views.open`, Mattermost `actions/dialogs/open`) with the
press's trigger id; the submission adds the text to that vote (counted once, the text updated on a
repeat); a forged or unknown state is a 4xx with a reason, never a 500."""

from __future__ import annotations

import base64
import json
import time
from typing import Any, cast
from urllib.parse import parse_qs, urlencode

import redis as redis_lib
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from bot.feedback_reason import CALLBACK_ID, STATE_TTL_S, ReasonState
from bot.runtime import Runtime
from core.cards import FEEDBACK_WRONG
from handlers.feedback import FeedbackStore, evaluation_case, read_verdicts
from integrations.mattermost import sign_action
from tests.integration.test_storm_feedback import (  # noqa: F401 (fixtures)
    PUBLIC,
    SECRET,
    VOTERS,
    _incident_keys,
    bot,
    mattermost,
    run_queued_actions,
    slack,
    slack_press,
    web,
)
from tests.integration.test_storm_memory import fire, group
from tests.support.chat_requests import slack_headers
from tests.support.fakes.mattermost_api import FakeMattermost
from tests.support.fakes.slack_api import FakeSlack

REASON = "the disk filled up; the network was fine"


def _card_key(client: redis_lib.Redis) -> str:
    keys = _incident_keys(client)
    assert len(keys) == 1, keys
    return keys[0]


def _verdicts(rt: Runtime, key: str) -> list[dict[str, object]]:
    return [evaluation_case(v) for v in read_verdicts(rt.settings.data_dir) if v.card_key == key]


def _tally(rt: Runtime, key: str) -> dict[str, int]:
    return FeedbackStore(rt.redis, rt.settings.data_dir).tally(key)


def _payload_text(raw: bytes) -> str:
    return base64.b64decode(json.loads(raw)["body"]).decode()


async def _slack_send(http: TestClient, payload: dict[str, Any]) -> ClientResponse:
    """An interaction payload, signed, as Slack posts it."""
    body = urlencode({"payload": json.dumps(payload)})
    return await http.post("/slack/events", data=body, headers=slack_headers(body))


async def _slack_wrong_cause(http: TestClient, fake: FakeSlack, client: redis_lib.Redis,
                             voter: str) -> tuple[str, str, dict[str, Any]]:
    """An incident's card, and `voter` pressing its "wrong cause": the message ts, the card key, the modal."""
    fire(group(1))
    ts, key = fake.posts[0]["ts"], _card_key(client)
    press = slack_press(FEEDBACK_WRONG, key, ts, user=voter)
    assert (await http.post("/slack/events", data=press, headers=slack_headers(press))).status == 200
    [opened] = fake.views
    assert opened["trigger_id"] == json.loads(parse_qs(press)["payload"][0])["trigger_id"]
    return ts, key, opened


MM_USER = "q5s2f1m1tbrm8e1ckzy4dpyk1o"


async def _mattermost_wrong_cause(http: TestClient, fake: FakeMattermost, client: redis_lib.Redis,
                                  trigger_id: str) -> tuple[str, str, dict[str, Any]]:
    """An incident's card, and MM_USER (a member) pressing its "wrong cause" button as Mattermost relays
    it: the card key, the channel id, the dialog opened."""
    fire(group(1))
    channel_id, post = fake.channel_id("oncall"), fake.created[0]
    fake.members[channel_id].add(MM_USER)
    [button] = [a for a in post["props"]["attachments"][0]["actions"]
                if a["integration"]["context"]["action"] == FEEDBACK_WRONG]
    press = {"user_id": MM_USER, "user_name": "bob", "channel_id": channel_id, "post_id": post["id"],
             "team_id": "t1", "trigger_id": trigger_id, "type": "", "context": button["integration"]["context"]}
    resp = await http.post(button["integration"]["url"].removeprefix(PUBLIC), json=press)
    assert resp.status == 200 and "verdict is recorded" in (await resp.json())["ephemeral_text"]
    [opened] = fake.dialogs
    assert opened["trigger_id"] == trigger_id
    return _card_key(client), channel_id, opened


async def test_slack_press_opens_a_modal_whose_submission_adds_the_reason(
        bot: Runtime, web: TestClient, slack: FakeSlack, clean_redis: redis_lib.Redis) -> None:  # noqa: F811
    voter = VOTERS[0]
    ts, key, opened = await _slack_wrong_cause(web, slack, clean_redis, voter)
    assert opened["callback_id"] == CALLBACK_ID  # views.open with the press's trigger id: one optional input
    [field] = [b for b in opened["blocks"] if b["type"] == "input"]
    assert field["optional"] is True and field["element"]["type"] == "plain_text_input"
    state = ReasonState.loads(opened["private_metadata"])
    assert (state.card, state.channel, state.post) == (key, "C0ONCALL1", ts)
    # the press counts at once: closing the modal without sending it keeps a "wrong cause" vote
    assert run_queued_actions(clean_redis) == ["counted"]
    assert _tally(bot, key) == {"wrong_cause": 1}
    assert [v["text"] for v in _verdicts(bot, key)] == [""]

    resp = await _slack_send(web, slack.view_submission(opened, voter, {"reason": REASON}))
    assert resp.status == 200 and not (await resp.text()).strip()  # an empty answer closes the modal
    assert run_queued_actions(clean_redis) == ["reason_added"]
    # sent again, the same text is the same submission; a new text replaces it; never a second vote
    for text, outcome in ((REASON, []), ("it was the disk after all", ["reason_added"])):
        assert (await _slack_send(web, slack.view_submission(opened, voter, {"reason": text}))).status == 200
        assert run_queued_actions(clean_redis) == outcome
    assert _tally(bot, key) == {"wrong_cause": 1}
    [case] = _verdicts(bot, key)
    assert case["verdict"] == "wrong_cause" and case["text"] == "it was the disk after all"
    assert "1 said the cause is wrong" in json.dumps(slack.messages[("C0ONCALL1", ts)]["blocks"])
    metrics = cast("dict[bytes, bytes]", clean_redis.hgetall("opsbot:metrics:opsbot_feedback_votes"))
    assert metrics[json.dumps(["slack", "wrong_cause", "reason_added"]).encode()] == b"2"


async def test_slack_submission_forged_or_from_outside_the_channel(
        bot: Runtime, web: TestClient, slack: FakeSlack, clean_redis: redis_lib.Redis) -> None:  # noqa: F811
    ts, key, opened = await _slack_wrong_cause(web, slack, clean_redis, VOTERS[1])
    submission = slack.view_submission(opened, VOTERS[1], {"reason": REASON})

    body = urlencode({"payload": json.dumps(submission)})
    resp = await web.post("/slack/events", data=body, headers=slack_headers(body, secret="not-the-secret"))
    assert resp.status == 401  # not signed by Slack
    for metadata, reason in (("{not json", "not JSON"), (json.dumps({"card": key}), "channel"),
                             (json.dumps({"card": key, "channel": "C0ONCALL1", "extra": 1}), "extra")):
        resp = await _slack_send(web, {**submission, "view": {**submission["view"], "private_metadata": metadata}})
        assert resp.status == 400 and reason in (await resp.json())["error"], metadata
    elsewhere = ReasonState(card=key, channel="C0STORAGE", post=ts).dumps()  # a card never posted there
    accepted = [{**submission, "view": {**submission["view"], "private_metadata": elsewhere}},
                slack.view_submission(opened, "U0OUTSIDER", {"reason": REASON}),
                slack.view_submission(opened, VOTERS[1], {"reason": None})]  # no reason: nothing to add
    for payload in accepted:
        assert (await _slack_send(web, payload)).status == 200
    assert sorted(run_queued_actions(clean_redis)) == ["counted", "not_member", "unknown_card"]
    assert [v["text"] for v in _verdicts(bot, key)] == [""]


async def test_reason_before_its_press_is_one_vote(
        bot: Runtime, web: TestClient, slack: FakeSlack, clean_redis: redis_lib.Redis) -> None:  # noqa: F811
    """Workers may run the submission before the press: the first carries the text, the second repeats."""
    _ts, key, opened = await _slack_wrong_cause(web, slack, clean_redis, VOTERS[2])
    await _slack_send(web, slack.view_submission(opened, VOTERS[2], {"reason": REASON}))
    queued = cast("list[bytes]", clean_redis.lrange("collect", 0, -1))
    clean_redis.delete("collect")  # run_queued_actions runs them in list order: the one with the text first
    clean_redis.rpush("collect", *sorted(queued, key=lambda raw: REASON not in _payload_text(raw)))
    assert run_queued_actions(clean_redis) == ["counted", "repeated"]
    assert _tally(bot, key) == {"wrong_cause": 1}
    assert [v["text"] for v in _verdicts(bot, key)] == [REASON]


async def test_mattermost_press_opens_a_dialog_whose_submission_adds_the_reason(
        bot: Runtime, web: TestClient, mattermost: FakeMattermost, clean_redis: redis_lib.Redis) -> None:  # noqa: F811
    key, channel_id, opened = await _mattermost_wrong_cause(web, mattermost, clean_redis, "tr-wrong-cause-1")
    user, post_id = MM_USER, mattermost.created[0]["id"]
    assert opened["url"] == f"{PUBLIC}/mattermost/dialog"  # back to the bot, with one optional textarea
    [element] = opened["dialog"]["elements"]
    assert element["type"] == "textarea" and element["optional"] is True
    assert run_queued_actions(clean_redis) == ["counted"]

    path = opened["url"].removeprefix(PUBLIC)
    for text in (REASON, "it was the disk after all"):  # the second replaces the first, never a second vote
        resp = await web.post(path, json=mattermost.dialog_submission(opened, user, channel_id, {"reason": text}))
        assert resp.status == 200 and await resp.json() == {}  # an empty answer closes the dialog
        assert run_queued_actions(clean_redis) == ["reason_added"]
    resp = await web.post(path, json=mattermost.dialog_submission(opened, user, channel_id, {}, cancelled=True))
    assert resp.status == 200 and run_queued_actions(clean_redis) == []
    assert _tally(bot, key) == {"wrong_cause": 1}
    [case] = _verdicts(bot, key)
    assert case["verdict"] == "wrong_cause" and case["text"] == "it was the disk after all"
    assert "1 said the cause is wrong" in json.dumps(mattermost.posts[post_id]["props"])


async def test_mattermost_forged_dialog_submissions_are_refused(
        bot: Runtime, web: TestClient, mattermost: FakeMattermost, clean_redis: redis_lib.Redis) -> None:  # noqa: F811
    key, channel_id, opened = await _mattermost_wrong_cause(web, mattermost, clean_redis, "tr-wrong-cause-2")
    user = MM_USER
    good = mattermost.dialog_submission(opened, user, channel_id, {"reason": REASON})
    state = ReasonState.loads(good["state"])
    other = "x" * 26
    unsigned = state.model_copy(update={"signature": ""}).dumps()
    edited = state.model_copy(update={"card": "another-card"}).dumps()  # the old signature no longer fits
    someone_else = state.model_copy(update={"user_id": other}).signed("a-guessed-secret").dumps()
    button_signature = state.model_copy(update={"signature": sign_action(SECRET, FEEDBACK_WRONG, key)}).dumps()
    stale = state.signed(SECRET, now=time.time() - 2 * STATE_TTL_S).dumps()  # ours, but issued long ago
    refused: list[tuple[dict[str, Any], int, str]] = [
        ({**good, "state": stale}, 401, "invalid dialog state"),
        ({**good, "state": unsigned}, 401, "invalid dialog state"),
        ({**good, "state": edited}, 401, "invalid dialog state"),
        ({**good, "state": someone_else, "user_id": other}, 401, "invalid dialog state"),
        ({**good, "state": button_signature}, 401, "invalid dialog state"),
        ({**good, "user_id": other}, 401, "invalid dialog state"),  # a valid state, sent in another's name
        ({**good, "channel_id": "y" * 26}, 401, "invalid dialog state"),
        ({**good, "state": "{not json"}, 400, "not JSON"),
        ({**good, "state": json.dumps({"card": key})}, 400, "channel"),
        ({**good, "callback_id": "something_else"}, 400, "unknown dialog"),
        ({**good, "type": "block_actions"}, 400, "type"),
        ({**good, "submission": {"reason": ["a", "list"]}}, 400, "submission"),
        ({k: v for k, v in good.items() if k != "user_id"}, 400, "user_id"),
    ]
    for body, status, reason in refused:
        resp = await web.post("/mattermost/dialog", json=body)
        assert resp.status == status and reason in (await resp.json())["error"], (body, await resp.text())
    resp = await web.post("/mattermost/dialog", data="state=x", headers={"Content-Type": "text/plain"})
    assert resp.status == 415
    assert run_queued_actions(clean_redis) == ["counted"]  # only the press reached a worker
    assert (await web.post("/mattermost/dialog", json=good)).status == 200
    assert run_queued_actions(clean_redis) == ["reason_added"]


def test_a_press_that_cannot_carry_a_form_state_opens_no_form_and_still_votes() -> None:
    from core.events import Action

    press = Action(platform="mattermost", channel="c" * 300, user="ana", user_id="u1", action=FEEDBACK_WRONG,
                   value="card-1")
    assert ReasonState.of(press) is None  # the route then goes straight on to count the vote
    assert ReasonState.of(press.model_copy(update={"channel": "c1"})) is not None
