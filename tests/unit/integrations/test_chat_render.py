"""Card renderers: Slack Block Kit within Slack's limits, Mattermost attachments with signed buttons."""

from __future__ import annotations

from core.cards import RESOLVED_COLOR, Button, Card, CardField, CardKind, CardStatus, Link
from core.models import Citation, Finding, Severity, Step, Unavailable
from integrations.mattermost import render_mattermost, sign_action, verify_action
from integrations.neutralise import LinkPolicy
from integrations.slack import render_slack
from tests.support.fakes.slack_api import block_kit_error


def _big_card() -> Card:
    return Card(
        kind=CardKind.diagnosis, status=CardStatus.done, severity=Severity.error, title="T" * 400,
        summary="s" * 5000,
        fields=[CardField(name=f"field{i}", value="v" * 2500) for i in range(25)],
        findings=[Finding(code=f"CODE_{i}", title="t" * 200, explanation="e" * 200) for i in range(60)],
        steps=[Step(command=f"ceph osd tree {i}", why="w" * 100) for i in range(40)],
        citations=[Citation(source=f"runbooks/{i}.md", title="Runbook", section="Steps", score=0.5,
                            url="https://wiki.example.internal/r") for i in range(20)],
        links=[Link(title=f"link {i}", url="https://example.internal") for i in range(10)],
        buttons=[Button(action=f"a{i}", label="L" * 100, value="x") for i in range(30)],
        unavailable=[Unavailable(source="prometheus", reason="timed out after 2 s")], footer="footer",
    )


def test_slack_rendering_of_an_oversized_card_stays_within_block_kit_limits() -> None:
    text, blocks = render_slack(_big_card())
    assert block_kit_error(blocks) is None
    assert len(text) <= 3000
    assert blocks[0]["type"] == "header" and blocks[0]["text"]["text"].endswith("…")
    assert blocks[-1]["type"] == "context"


def test_slack_rendering_of_a_small_card() -> None:
    card = Card(kind=CardKind.triage, status=CardStatus.firing, title="Pod shop/a is crash looping",
                severity=Severity.critical, summary="restarted 4 times",
                fields=[CardField(name="namespace", value="shop")],
                findings=[Finding(code="CrashLoopBackOff", title="exit code 137")],
                steps=[Step(command="kubectl -n shop describe pod a", why="events")],
                links=[Link(title="Runbook", url="https://runbooks.example.internal/x")])
    text, blocks = render_slack(card, LinkPolicy.of(["runbooks.example.internal"]))
    assert text == "[FIRING] Pod shop/a is crash looping"
    rendered = "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b)
    assert "*CrashLoopBackOff*" in rendered and "<https://runbooks.example.internal/x|Runbook>" in rendered
    assert "```\nkubectl -n shop describe pod a    # events\n```" in rendered


def test_mattermost_attachment_has_colour_fields_and_markdown_links() -> None:
    card = Card(kind=CardKind.triage, status=CardStatus.resolved, title="Disk full", severity=Severity.warning,
                fields=[CardField(name="node", value="n1", short=True)],
                links=[Link(title="Runbook", url="https://runbooks.example.internal/disk")])
    post = render_mattermost(card, links=LinkPolicy.of(["runbooks.example.internal"]))
    attachment = post["props"]["attachments"][0]
    assert post["message"] == "[RESOLVED] Disk full"
    assert attachment["color"] == RESOLVED_COLOR
    assert attachment["fields"] == [{"title": "node", "value": "n1", "short": True}]
    assert "[Runbook](https://runbooks.example.internal/disk)" in attachment["text"]
    assert "actions" not in attachment


def test_mattermost_buttons_need_a_callback_url_and_carry_a_signature() -> None:
    card = Card(kind=CardKind.triage, status=CardStatus.firing, title="x",
                buttons=[Button(action="refresh_evidence", label="Refresh", value="incident-1")])
    assert "actions" not in render_mattermost(card, action_url="https://bot/mattermost/action")["props"]["attachments"][0]
    post = render_mattermost(card, action_url="https://bot/mattermost/action", action_secret="k")
    (action,) = post["props"]["attachments"][0]["actions"]
    context = action["integration"]["context"]
    assert action["integration"]["url"] == "https://bot/mattermost/action"
    assert verify_action("k", context["action"], context["value"], context["signature"])
    assert not verify_action("other", context["action"], context["value"], context["signature"])
    assert not verify_action("", "a", "b", sign_action("", "a", "b"))


def test_findings_come_first_then_evidence_then_steps_and_sources() -> None:
    card = Card(kind=CardKind.triage, status=CardStatus.firing, title="t", summary="s",
                findings=[Finding(code="OOMKilled", title="killed")], evidence="▸ Pod shop/a (12 ms)\n  exit 137",
                steps=[Step(command="kubectl -n shop describe pod a")],
                citations=[Citation(source="oom.md", title="OOM", section="Fix")])
    _, blocks = render_slack(card)
    headings = [b["text"]["text"].split("\n", 1)[0] for b in blocks if b["type"] == "section" and "text" in b]
    assert headings[1:] == ["*Findings*", "*Evidence*", "*Next steps*", "*Sources*"]
    text = render_mattermost(card)["props"]["attachments"][0]["text"]
    assert text.index("**Findings**") < text.index("**Evidence**") < text.index("**Next steps**") < text.index(
        "**Sources**")
    assert "```\n▸ Pod shop/a (12 ms)\n  exit 137\n```" in text


def test_long_card_text_is_split_between_paragraphs_and_code_blocks_stay_closed() -> None:
    hits = "```\n" + "\n".join(f"2026-11-22T12:{i:02d}:00Z GET /api/cart 502 " + "x" * 250 for i in range(12)) + "\n```"
    query = 'Query (`_search` body):\n```json\n{"query": {"bool": {"filter": []}}}\n```'
    card = Card(kind=CardKind.logs, status=CardStatus.done, title="Logs: 5xx",
                text="\n\n".join(["Understood: status 5xx", hits, query]))
    _, blocks = render_slack(card)
    assert block_kit_error(blocks) is None
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]
    assert len(sections) == 3 and sections[-1] == query  # the reusable query is whole
    assert sections[1].endswith("\n```") and sections[1].count("```") == 2  # the cut hits block is closed
