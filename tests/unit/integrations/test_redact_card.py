"""redact_card covers every string field of a card, however deep, and RedactingChannel every way out:
posts, updates, thread notes and wrap-ups."""

from __future__ import annotations

from urllib.parse import quote, unquote

from core.cards import Button, Card, CardField, CardKind, CardStatus, Hypothesis, Image, Link
from core.models import Citation, DocRef, Finding, Step, Unavailable
from integrations.chat import PostRef, RedactingChannel, ThreadMessage, redact_card

SECRET = "ghp_1234567890abcdefghijABCDEFGHIJ123456"
LINE = f"token={SECRET}"


SILENCE = "http://am/#/silences/new?filter=" + quote('{token="' + SECRET + '"}', safe="")


def _every_field(value: str) -> Card:
    url = f"https://runbooks.example.internal/x?note={quote(value, safe='')}"
    step = Step(command=f"kubectl logs x {value}", why=value)
    citation = Citation(source=value, title=value, section=value, url=url)
    return Card(
        kind=CardKind.triage, status=CardStatus.firing, title=value, summary=value, text=value,
        fields=[CardField(name=value, value=value)],
        findings=[Finding(code="OOMKilled", title=value, explanation=value, evidence_refs=[value],
                          steps=[step], docs=[DocRef(title=value, url=url)])],
        hypothesis=Hypothesis(cause=value, evidence_refs=[value], citations=[citation], model=value),
        evidence=value, steps=[Step(command=f"kubectl get pods -n shop # {value}", why=value)], citations=[citation],
        links=[Link(title=value, url=url), Link(title="Silence", url=SILENCE)],
        images=[Image(title=value, url=url)], buttons=[Button(action="draft_postmortem", label=value, value="abc123")],
        unavailable=[Unavailable(source=value, reason=value)], footer=value,
    )


def test_no_string_field_keeps_a_secret() -> None:
    card = _every_field(LINE)
    dumped = card.model_dump_json()
    assert dumped.count(SECRET) > 20
    cleaned = redact_card(card)
    text = unquote(cleaned.model_dump_json())
    assert SECRET not in text
    assert cleaned.buttons[0].value == "abc123" and cleaned.buttons[0].action == "draft_postmortem"
    assert cleaned.findings[0].code == "OOMKilled" and cleaned.kind is CardKind.triage
    assert cleaned.links[0].url == "https://runbooks.example.internal/x?note=token%3D%5Bredacted%5D"
    assert redact_card(cleaned) == cleaned


def test_a_card_without_secrets_is_unchanged() -> None:
    card = _every_field("pod checkout-7d9f8b6c5-x2x4z OOMKilled, secretName: db-creds, prompt_tokens=812")
    card.links.pop()  # the silence link above carries a secret on purpose
    assert redact_card(card) == card


class Recorder:
    platform = "console"

    def __init__(self) -> None:
        self.sent: list[str] = []

    def post(self, channel: str, card: Card, thread_id: str | None = None) -> PostRef:
        self.sent.append(card.model_dump_json())
        return PostRef(platform="console", channel=channel, post_id="p1")

    def update(self, ref: PostRef, card: Card) -> None:
        self.sent.append(card.model_dump_json())

    def reply(self, ref: PostRef, text: str) -> PostRef:
        self.sent.append(text)
        return ref

    def thread(self, ref: PostRef) -> list[ThreadMessage]:
        return []

    def thread_root(self, channel: str, message_id: str) -> str:
        return message_id


def test_every_way_out_of_the_channel_is_redacted() -> None:
    inner = Recorder()
    channel = RedactingChannel(inner)
    ref = channel.post("oncall", _every_field(LINE))
    channel.update(ref, _every_field(LINE))
    channel.reply(ref, f"Firing again: {LINE}")
    channel.reply(ref, f"Resolved after 5m\nTried in the thread:\n• alice: export {LINE}")
    assert len(inner.sent) == 4
    assert not [s for s in inner.sent if SECRET in unquote(s)]
