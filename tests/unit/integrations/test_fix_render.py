"""Fixes on every platform: shown apart from next steps as changes a human runs, with caution and
last-resort marks, neutralised like every other value; the LLM pass cannot add one."""

from __future__ import annotations

import io
import json

from rich.console import Console

from core.cards import Card, CardKind, CardStatus
from core.models import DocRef, Fix, Severity, Step
from handlers.llm import explain
from integrations.card_text import FIXES_HEADING
from integrations.console import render_console
from integrations.mattermost import render_mattermost
from integrations.slack import render_slack
from integrations.webchat.markdown import card_markdown
from integrations.webchat.render import card_body


def _card() -> Card:
    doc = DocRef(title="Ceph health checks: OBJECT_UNFOUND", url="https://docs.ceph.com/x#object-unfound")
    return Card(kind=CardKind.diagnosis, status=CardStatus.done, severity=Severity.critical, title="Ceph: unfound",
                steps=[Step(command="ceph pg 2.4 list_unfound", why="the unfound objects")],
                fixes=[Fix(command="ceph osd unset noout", why="clears the flag"),
                       Fix(command="ceph pg 2.4 mark_unfound_lost revert", why="rolls back",
                           caution="loses writes <!channel>", last_resort=True, doc=doc)])


def _console(card: Card) -> str:
    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(render_console(card, "oncall"))
    return out.getvalue()


def test_slack_mattermost_and_console_show_fixes_apart_from_steps() -> None:
    card = _card()
    _, blocks = render_slack(card)
    slack = json.dumps(blocks, ensure_ascii=False)
    mattermost = render_mattermost(card)["props"]["attachments"][0]["text"]
    console = _console(card)
    web, markdown = card_body(card), card_markdown(card)  # the web channel and the OpenAI-compatible endpoint
    for shown in (slack, mattermost, console, web, markdown):
        assert FIXES_HEADING in shown and "Next steps" in shown
        assert shown.index("Next steps") < shown.index(FIXES_HEADING) < shown.index("mark_unfound_lost revert")
        assert "[LAST RESORT] rolls back" in shown and "caution: loses writes" in shown
        assert "ceph osd unset noout" in shown
    assert "<!channel>" not in slack and "<!channel>" not in web  # a caution is neutralised like any other value
    fix_block = next(b for b in blocks if FIXES_HEADING in b.get("text", {}).get("text", ""))
    assert "list_unfound" not in fix_block["text"]["text"]


def test_no_fixes_no_section() -> None:
    card = _card().model_copy(update={"fixes": []})
    assert FIXES_HEADING not in json.dumps(render_slack(card)[1]) and FIXES_HEADING not in _console(card)


def test_the_llm_pass_cannot_add_or_change_fixes() -> None:
    card = _card()
    answer = explain.Explanation(cause="a flag", confidence="high", evidence_refs=["ceph:pasted"],
                                 steps=[Step(command="ceph osd tree", why="look")])
    result = explain.ExplainResult(status="explained", explanation=answer, model="m", calls=1)
    updated = explain.explained_card(card, result, explain.ShowAll())
    assert updated.fixes == card.fixes and updated.steps[-1].command == "ceph osd tree"
    assert "fixes" not in explain.Answer.model_json_schema()["properties"]  # nothing to put them in
