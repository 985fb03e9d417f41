"""/postmortem and `opsbot postmortem summarize`: every section the document has, timeline and action
items with owners, from Markdown, underlined (RST-style) headings and HTML. Fetching from a wiki:
tests/contract/test_postmortem.py."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from bot.cli.main import app
from bot.config import load_settings
from core.events import Command
from handlers.postmortem import handle_command, html_to_text, summarize, summary_card
from tests.support.paths import TEST_DATA

DATA = TEST_DATA / "postmortems"
REDIS_PM = DATA / "2025-06-redis-failover.md"
INGRESS_PM = DATA / "2024-02-ingress-outage.md"


def test_markdown_with_front_matter_and_tables() -> None:
    summary = summarize(REDIS_PM.read_text(), source=REDIS_PM.name)
    assert summary.title == "Checkout latency after a Redis failover"
    assert summary.sections == ["what_happened", "impact", "root_cause", "timeline", "action_items"]
    assert summary.impact.startswith("About 4% of checkout requests failed")
    assert "READONLY" in summary.root_cause
    assert [e.when for e in summary.timeline] == ["2025-06-14 02:08", "2025-06-14 02:10", "2025-06-14 02:31",
                                                  "2025-06-14 02:48"]
    assert [a.owner for a in summary.action_items] == ["maria", "sam", None]


def test_underlined_headings_lists_and_owner_phrases() -> None:
    summary = summarize(INGRESS_PM.read_text())
    assert summary.title == "Ingress outage after a controller upgrade"
    assert set(summary.sections) == {"what_happened", "detection", "resolution", "lessons", "action_items"}
    assert summary.resolution == "The previous controller version was rolled back."
    assert len(summary.lessons) == 2
    assert [a.owner for a in summary.action_items] == ["platform team", "Ivan"]


def test_long_sections_are_cut_to_their_budget() -> None:
    text = "# Big\n\n## Summary\n\n" + "A sentence about the outage. " * 200 + "\n\n## Impact\n\nSmall impact."
    summary = summarize(text)
    assert len(summary.what_happened) <= 710 and summary.what_happened.endswith(" …")
    assert summary.impact == "Small impact."  # a long section does not crowd out the next one


def test_card_says_which_sections_the_document_lacks() -> None:
    card = summary_card(summarize(INGRESS_PM.read_text()))
    assert card.kind == "summary" and card.title.startswith("Post-mortem: ")
    assert "Impact" in card.footer and "Timeline" in card.footer
    assert "(owner: Ivan)" in card.text


def test_command_with_pasted_text_and_cli_json() -> None:
    card = handle_command(Command(platform="mattermost", channel="c", name="postmortem",
                                  text=f"```\n{REDIS_PM.read_text()}\n```"), load_settings())
    assert card.title == "Post-mortem: Checkout latency after a Redis failover"
    result = CliRunner().invoke(app, ["postmortem", "summarize", str(INGRESS_PM), "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert set(printed) >= {"title", "what_happened", "impact", "root_cause", "timeline", "action_items", "sections"}
    missing = CliRunner().invoke(app, ["postmortem", "summarize", "/nonexistent.md"])
    assert missing.exit_code == 2 and "no such file" in missing.output


def test_html_to_text_keeps_structure() -> None:
    assert html_to_text("<h2>Impact</h2><p>a <i>b</i></p><ul><li>x</li></ul>").splitlines() == [
        "## Impact", "", "a b", "", "- x"]
