"""Reading back what people wrote in a card's thread, through slack_sdk and mattermostdriver; and
redaction of everything sent to the chat."""

from __future__ import annotations

import json

from core.cards import Card, CardKind, CardStatus
from integrations.chat import RedactingChannel
from integrations.mattermost import MattermostChannel
from integrations.slack import SlackChannel
from tests.support.fakes import mattermost_api, slack_api
from tests.support.fakes.mattermost_api import FakeMattermost
from tests.support.fakes.slack_api import FakeSlack

CARD = Card(kind=CardKind.triage, status=CardStatus.firing, title="Disk full on node-1")


def test_slack_thread_has_people_not_the_bot() -> None:
    with FakeSlack().run_in_thread() as fake:
        channel = SlackChannel(token=slack_api.BOT_TOKEN, base_url=fake.api_url)
        ref = channel.post("oncall", CARD)
        channel.reply(ref, "Resolved after 5m")  # the bot's own note
        fake.add_human_reply(ref.channel, ref.post_id, "U1", "cleared /var/log/journal")
        fake.add_human_reply(ref.channel, ref.post_id, "U2", "also pruned images")
        messages = channel.thread(ref)
    assert [(m.user, m.text) for m in messages] == [("U1", "cleared /var/log/journal"), ("U2", "also pruned images")]


def test_mattermost_thread_has_people_not_the_bot() -> None:
    with FakeMattermost().run_in_thread() as fake:
        channel = MattermostChannel(url=fake.base_url, token=mattermost_api.BOT_TOKEN, team="ops")
        ref = channel.post("oncall", CARD)
        channel.update(ref, CARD.model_copy(update={"status": CardStatus.resolved}))
        channel.reply(ref, "Resolved after 5m")
        fake.add_human_reply(ref.post_id, "user1", "restarted the kubelet")
        messages = channel.thread(ref)
    assert [(m.user, m.text) for m in messages] == [("user1", "restarted the kubelet")]


def test_nothing_reaches_the_chat_unredacted() -> None:
    secret_card = CARD.model_copy(update={
        "summary": "db login failed: postgres://app:S3cr3tPassw0rd@db.internal:5432/orders",
        "evidence": "▸ env\n  AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    })
    with FakeSlack().run_in_thread() as fake:
        channel = RedactingChannel(SlackChannel(token=slack_api.BOT_TOKEN, base_url=fake.api_url))
        ref = channel.post("oncall", secret_card)
        channel.update(ref, secret_card)
        channel.reply(ref, "token was Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.dGhpc2lzYXNpZ25hdHVyZQ")
        sent = json.dumps([r.body for r in fake.requests])
    for secret in ("S3cr3tPassw0rd", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "eyJzdWIiOiJhbGljZSJ9"):
        assert secret not in sent
    assert "[redacted]" in sent
