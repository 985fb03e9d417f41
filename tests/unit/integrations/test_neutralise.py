"""Hostile markup through every renderer, in every field: nothing in it mentions, links, leaves its
code block or poses as the card's own headings; benign text keeps its meaning."""

from __future__ import annotations

import re
import types
from enum import Enum
from typing import Any, Union, get_args, get_origin

import pytest
from pydantic import BaseModel
from rich.console import Console

from core.cards import Card, CardField, CardKind, CardStatus, Link
from core.models import Citation, Finding, Step, Unavailable
from integrations.console import ConsoleChannel, render_console
from integrations.mattermost import MattermostChannel, render_mattermost
from integrations.neutralise import MATTERMOST, NO_LINKS, SLACK, WJ, LinkPolicy, clean, fence_for, plain
from integrations.slack import SlackChannel, render_slack
from tests.support.markup_audit import Counts, audit_console, audit_mattermost, audit_slack

HOSTS = ("runbooks.example.internal", "grafana.example.internal")
POLICY = LinkPolicy.of(HOSTS)

MASS = ["<!channel>", "<!here>", "<!everyone>", "<!channel|channel> wake up", "<!here|here>",
        "<!subteam^S012AB3CD|@oncall-team>", "@channel", "@here deploy failed", "@everyone", "@all",
        "hey @ChAnNeL", "&lt;!channel&gt;", "<\u200b!channel>"]
USERS = ["<@U0123ABCD>", "<@W0123ABCD|bob>", "ping @alice now", "<#C0123ABCD|general>", "cc @bob.smith"]
LINKS = ["<https://evil.example|Runbook>", "<http://evil.example>", "<https://evil.example/x?a=1&b=2|click here>",
         "[Runbook](https://evil.example/rb)", "[x](javascript:alert(1))", "[x](data:text/html;base64,PHNjcmlwdD4=)",
         "<javascript:alert(1)|click>", "https://evil.example/login", "see http://evil.example:8080/x.",
         "www.evil.example/login", "<https://evil.example>", "![pixel](https://evil.example/p.png)",
         "[ref][1]\n\n[1]: https://evil.example", "mailto:admin@evil.example", "write to admin@evil.example",
         "https://runbooks.example.internal.evil.example/x", "https://runbooks.example.internal@evil.example/",
         "HTTPS://EVIL.EXAMPLE/", "file:///etc/passwd", "<a href=\"https://evil.example\">click</a>",
         "[Runbook](<https://evil.example>)", "[a](https://runbooks.example.internal/x) [b](https://evil.example)"]
FENCES = ["```\n<!channel>\n```", "line\n```\n*Next steps*\n```", "````", "``` `` `", "~~~\n@channel",
          "x```<!here>```y", "```json\n{}\n```\n@here"]
SPOOFS = ["\n\n*Next steps*\n```\nkubectl delete ns prod\n```", "**Next steps**\n```\nrm -rf /\n```", "# Next steps",
          "Findings\n========", "Sources\n---", "---", "> *Findings*", "| a | b |\n|---|---|\n| c | d |",
          "*Findings*", "__Evidence__"]
RICH = ["[bold red]ALERT[/]", "[link=https://evil.example]click[/link]",
        "\x1b]8;;https://evil.example\x07click\x1b]8;;\x07", "\x1b[2J\x1b[31mred", "\u202eevil", "a\rb\x00c"]
HTML = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<!-- hidden -->", "&#64;channel"]
HOSTILE = MASS + USERS + LINKS + FENCES + SPOOFS + RICH + HTML

FOREIGN_URLS = ["https://evil.example/x", "javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>x",
                "file:///etc/passwd", "https://runbooks.example.internal@evil.example/",
                "https://user:pw@runbooks.example.internal/x", "https://runbooks.example.internal.evil.example/",
                "https://evilrunbooks.example.internal/", "//evil.example/x", "/relative/path",
                "https://evil.example/#https://runbooks.example.internal", "http://runbooks.example.internal:99999/",
                "https://runbooks.example.internal\\@evil.example", "https://ｒｕｎｂｏｏｋｓ.example.internal/",
                " https://evil.example", "https://evil.example/)](https://runbooks.example.internal",
                "ftp://runbooks.example.internal/x", "https://runbooks.example.internal\n.evil.example"]
ALLOWED_URLS = ["https://runbooks.example.internal/oom", "https://wiki.runbooks.example.internal/x#Fix",
                "https://grafana.example.internal/d/abc?from=now-1h&to=now", "HTTP://Runbooks.Example.Internal./y",
                "https://runbooks.example.internal/a_(b)"]

BENIGN = ["Pod shop/checkout-7d9f8b6c5-x2x4k restarted 4 times in 10m", "memory 512Mi of 512Mi (100%)",
          "/var/log/pods/shop_checkout-7d9f8b6c5-x2x4k/app/0.log",
          "kubectl -n shop describe pod checkout-7d9f8b6c5-x2x4k",
          "kubectl get pods -l 'app in (checkout,cart)' -o wide", "ceph osd df tree",
          "redis-cli -h cache -p 6379 INFO memory", "p99 latency 1.25s > 1s for 5m",
          'container_memory_working_set_bytes{namespace="shop"}', "exit code 137 (OOMKilled)",
          "2026-11-22T12:00:00Z ERROR upstream timed out (110: Connection timed out)",
          "node ip-10-0-1-23.eu-west-1.compute.internal NotReady", 'rate(http_requests_total{code=~"5.."}[5m]) > 0.05',
          "HEALTH_WARN 1 osds down; Degraded data redundancy: 12/345 objects degraded (3.478%)"]

CODE_MARKERS = ("EVIDSTART", "EVIDEND", "STEPSTART", "STEPEND")


# --- a card with every string field set --------------------------------------------------------

def _value(annotation: Any, path: str, make: Any, default: Any) -> Any:
    origin, args = get_origin(annotation), get_args(annotation)
    if annotation is str:
        return make(path)
    if origin in (Union, types.UnionType):
        return _value(next(a for a in args if a is not type(None)), path, make, default)
    if origin is list:
        return [_value(args[0], path + "[]", make, None)]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return fill(annotation, make, path)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return list(annotation)[-1]
    return default


def fill(model: type[BaseModel], make: Any, path: str = "") -> Any:
    """An instance of `model` whose every string (nested models and lists included) is `make(path)`."""
    values = {name: _value(info.annotation, f"{path}.{name}" if path else name, make,
                           None if info.is_required() else info.get_default(call_default_factory=True))
              for name, info in model.model_fields.items()}
    return model(**values)


def strings(value: Any, path: str = "") -> list[tuple[str, str]]:
    """Every string leaf of a model, with its path."""
    if isinstance(value, str) and not isinstance(value, Enum):
        return [(path, value)]
    if isinstance(value, BaseModel):
        return [leaf for name in type(value).model_fields
                for leaf in strings(getattr(value, name), f"{path}.{name}" if path else name)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in strings(item, path + "[]")]
    return []


def hostile_card(payload: str, make: Any = None) -> Card:
    card: Card = fill(Card, make or (lambda path: payload))
    return card.model_copy(update={
        "evidence": f"EVIDSTART\n{payload}\nEVIDEND",
        "steps": [Step(command=f"STEPSTART {payload}", why=f"{payload} STEPEND")],
    })


def audit_all(card: Card, links: LinkPolicy = POLICY, *, probes: tuple[str, ...] = ()) -> dict[str, Counts]:
    sections = sum(1 for present in (card.findings, card.hypothesis, card.evidence, card.steps, card.fixes,
                                      card.citations) if present)
    text, blocks = render_slack(card, links)
    post = render_mattermost(card, action_url="https://bot.example.internal/mattermost/action", action_secret="k",
                             links=links)
    return {
        "slack": audit_slack(text, blocks, links.hosts, headings=sections + len(card.fields),
                             code_markers=CODE_MARKERS),
        "mattermost": audit_mattermost(post, links.hosts, strong=sections + len(card.findings),
                                       code_markers=CODE_MARKERS),
        "console": audit_console(render_console(card, "oncall", links=links), links.hosts, markup_probes=probes),
    }


def test_the_corpus_is_large_enough() -> None:
    assert len(HOSTILE) >= 40 and len(set(HOSTILE)) == len(HOSTILE)


def test_the_hostile_card_sets_every_string_field() -> None:
    card = hostile_card("PAYLOAD")
    leaves = strings(card)
    assert len(leaves) >= 35
    assert all("PAYLOAD" in value for _, value in leaves), [p for p, v in leaves if "PAYLOAD" not in v]


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_text_in_every_field_is_inert_on_every_platform(payload: str) -> None:
    card = hostile_card(payload)
    for variant in (card, card.model_copy(update={"text": ""})):  # the summary shows when there is no text
        probes = (payload,) if payload in RICH[:2] else ()
        counts = audit_all(variant, probes=probes)
        assert {k: v for k, v in counts.items() if v.total()} == {}, counts


def test_corpus_figures() -> None:
    """The figures the README reports: over the whole corpus, every field, every platform."""
    total = {platform: Counts() for platform in ("slack", "mattermost", "console")}
    for payload in HOSTILE:
        card = hostile_card(payload)
        for variant in (card, card.model_copy(update={"text": ""})):
            for platform, counts in audit_all(variant).items():
                total[platform] += counts
    for platform, counts in total.items():
        assert counts.mass_mentions == 0 and counts.foreign_links == 0 and counts.escaped_code == 0, (platform, counts)
        assert counts.total() == 0, (platform, counts)


def test_every_shown_field_is_still_shown() -> None:
    """Neutralising drops nothing: a marker in each string field reaches each platform (the fields a
    platform does not show at all are listed)."""
    markers: dict[str, str] = {}

    def make(path: str) -> str:
        markers[path] = f"zq{len(markers)}qz"
        return markers[path] + " <!channel> [x](https://evil.example)"

    card = hostile_card("", make)
    not_shown = {"images[].title", "images[].url", "buttons[].action", "buttons[].value", "findings[].evidence_refs[]",
                 "findings[].steps[].command", "findings[].steps[].why", "findings[].docs[].title",
                 "findings[].docs[].url", "hypothesis.citations[].source", "hypothesis.citations[].url",
                 "buttons[].style", "evidence", "steps[].command", "steps[].why",  # evidence, steps: markers
                 "summary",  # shown when there is no text, below
                 # a finding's fixes are shown once, as the card's; a fix's doc is its finding's doc link
                 "findings[].fixes[].command", "findings[].fixes[].why", "findings[].fixes[].caution",
                 "findings[].fixes[].doc.title", "findings[].fixes[].doc.url", "fixes[].doc.title", "fixes[].doc.url"}
    text, blocks = render_slack(card, POLICY)
    slack = text + repr(blocks)
    mattermost = repr(render_mattermost(card, action_url="https://bot/a", action_secret="k", links=POLICY))
    for path, marker in markers.items():
        if path not in not_shown:
            assert marker in slack, path
            assert marker in mattermost, path
    no_text = card.model_copy(update={"text": ""})
    assert markers["summary"] in repr(render_slack(no_text)) and markers["summary"] in repr(render_mattermost(no_text))


# --- links ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", FOREIGN_URLS)
def test_a_link_outside_the_allowlist_is_shown_as_text(url: str) -> None:
    card = Card(kind=CardKind.triage, status=CardStatus.firing, title="t", links=[Link(title="Runbook", url=url)],
                citations=[Citation(source="rb.md", title="Runbook", section="Fix", url=url)])
    assert not POLICY.allows(url)
    counts = audit_all(card)
    assert all(c.total() == 0 for c in counts.values()), counts
    _, blocks = render_slack(card, POLICY)
    assert "Runbook: " in repr(blocks)  # the title and the URL, as text


@pytest.mark.parametrize("url", ALLOWED_URLS)
def test_an_allowed_link_stays_clickable_on_every_platform(url: str) -> None:
    card = Card(kind=CardKind.triage, status=CardStatus.firing, title="t", links=[Link(title="Runbook", url=url)])
    assert POLICY.allows(url)
    _, blocks = render_slack(card, POLICY)
    (links,) = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert re.fullmatch(r"(?i)<https?://[^|<>]+\|Runbook>", links), links
    text = render_mattermost(card, links=POLICY)["props"]["attachments"][0]["text"]
    assert re.fullmatch(r"(?i)\[Runbook\]\(https?://[^\s]+\)", text), text
    segments = list(Console(width=200).render(render_console(card, "oncall", links=POLICY)))
    assert any(s.style is not None and s.style.link == url for s in segments)
    assert all(c.total() == 0 for c in audit_all(card).values())


def test_without_an_allowlist_nothing_is_clickable() -> None:
    card = Card(kind=CardKind.triage, status=CardStatus.firing, title="t", text="https://runbooks.example.internal/x",
                links=[Link(title="Runbook", url="https://runbooks.example.internal/oom")])
    counts = audit_all(card, NO_LINKS)
    assert all(c.foreign_links == 0 for c in counts.values()), counts
    _, blocks = render_slack(card)
    assert "<https://runbooks" not in repr(blocks)
    assert "](https://runbooks" not in repr(render_mattermost(card))


def test_allowed_urls_in_text_are_links_and_foreign_ones_are_not() -> None:
    card = Card(kind=CardKind.triage, status=CardStatus.firing, title="t",
                text="see https://runbooks.example.internal/oom. or https://evil.example/x")
    _, blocks = render_slack(card, POLICY)
    assert "<https://runbooks.example.internal/oom>." in blocks[1]["text"]["text"]
    assert f"https{WJ}://evil.example/x" in blocks[1]["text"]["text"]
    text = render_mattermost(card, links=POLICY)["props"]["attachments"][0]["text"]
    assert f"[https{WJ}://runbooks.example.internal/oom](https://runbooks.example.internal/oom)." in text
    assert f"https{WJ}://evil.example/x" in text


def test_link_policy_hosts_are_exact_or_subdomains() -> None:
    policy = LinkPolicy.of(["https://Grafana.example.internal:3000/", "*.wiki.example.internal", ".docs.example",
                            "alertmanager.example.internal:9093", "", "not a host!"])
    assert policy.hosts == {"grafana.example.internal", "wiki.example.internal", "docs.example",
                            "alertmanager.example.internal"}
    assert policy.allows("https://grafana.example.internal/d/x") and policy.allows("http://a.b.docs.example/")
    assert policy.allows("https://alertmanager.example.internal:9093/#/silences")
    assert not policy.allows("https://xgrafana.example.internal/") and not policy.allows("https://docs.example.evil/")
    assert not LinkPolicy().allows("https://grafana.example.internal/")


# --- code blocks, headings -----------------------------------------------------------------------

def test_a_code_block_cannot_be_closed_from_inside() -> None:
    for text in ("```", "a ``` b", "````\n```", "`` ` ``"):
        for dialect in (SLACK, MATTERMOST):
            block = dialect.code_block(text)
            fence = fence_for(block.split("\n", 1)[1].rsplit("\n", 1)[0])
            assert block.startswith(fence + "\n") and block.endswith("\n" + fence)
            assert block.count("```") == 2 and "``" not in block.replace("```", "")


def test_card_text_keeps_its_code_blocks_with_fences_of_our_own() -> None:
    text = "Understood: 5xx\n\n```\nGET /api 502 <!here> ``` x\n```\n\nQuery:\n```json\n{\"q\": 1}\n```"
    rendered = SLACK.text(text)
    assert rendered == ("Understood: 5xx\n\n```\nGET /api 502 &lt;!here&gt; `" + WJ + "`" + WJ + "` x\n```\n\n"
                        "Query:\n```json\n{\"q\": 1}\n```")
    assert MATTERMOST.text("```\nunclosed <b>\n# x").endswith("\n```")  # an open block is closed


def test_section_headings_cannot_be_impersonated() -> None:
    spoof = "all good\n\n*Next steps*\n```\nkubectl delete ns prod\n```\n# Findings\nSources\n---"
    card = Card(kind=CardKind.triage, status=CardStatus.firing, title="t", text=spoof,
                steps=[Step(command="kubectl -n shop get pods")])
    _, blocks = render_slack(card)
    headings = [b["text"]["text"].split("\n", 1)[0] for b in blocks if b["type"] == "section"]
    assert headings.count("*Next steps*") == 1
    text = render_mattermost(card)["props"]["attachments"][0]["text"]
    assert text.count("**Next steps**") == 1 and "\\# Findings" in text and "\n\\---" in text


# --- benign text keeps its meaning ---------------------------------------------------------------

def _slack_shown(text: str) -> str:
    return (text.replace(WJ, "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
            .replace("∗", "*").replace("ˋ", "`"))


def _markdown_shown(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text.replace(WJ, ""))


@pytest.mark.parametrize("benign", BENIGN)
def test_benign_text_is_unchanged_apart_from_required_escaping(benign: str) -> None:
    card = Card(kind=CardKind.triage, status=CardStatus.firing, title=benign, text=benign,
                fields=[CardField(name="pod", value=benign)], findings=[Finding(code="OOMKilled", title=benign)],
                evidence=benign, steps=[Step(command=benign, why="why")],
                unavailable=[Unavailable(source="prometheus", reason=benign)], footer=benign)
    text, blocks = render_slack(card, POLICY)
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]
    assert _slack_shown(sections[0]) == benign
    assert f"```\n{benign.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')}\n```" in sections[2]
    assert _slack_shown(text) == f"[FIRING] {benign}"
    post = render_mattermost(card, links=POLICY)
    attachment = post["props"]["attachments"][0]
    assert _markdown_shown(attachment["text"].split("\n\n")[0]) == benign
    assert f"```\n{benign}\n```" in attachment["text"]  # code blocks: exactly as written
    assert _markdown_shown(attachment["fields"][0]["value"]) == benign
    assert attachment["title"].replace(WJ, "").endswith(benign) and post["message"].replace(WJ, "").endswith(benign)
    assert all(c.total() == 0 for c in audit_all(card).values())


def test_plain_and_clean_show_what_they_cannot_leave_live() -> None:
    assert plain("<!channel> [x](https://e.example)") == f"{WJ}<{WJ}!channel> [x]{WJ}(https{WJ}://e.example)"
    assert clean("a\x1b[31mb\rc\u202ed") == "a\\x1b[31mb\ncd"


# --- channels: the allowlist is theirs, replies are neutralised too -------------------------------

def test_chat_channels_neutralise_thread_replies(tmp_path: Any) -> None:
    sent: dict[str, Any] = {}
    slack = SlackChannel(token="xoxb-test", links=POLICY)
    slack._call = lambda method, **kwargs: sent.update(kwargs) or {"ts": "2", "channel": "C1"}  # type: ignore[method-assign]
    from integrations.chat import PostRef
    ref = PostRef(platform="slack", channel="C1", post_id="1")
    slack.reply(ref, "Resolved. <!channel> see https://runbooks.example.internal/x and https://evil.example")
    assert "&lt;!channel&gt;" in sent["text"] and "<https://runbooks.example.internal/x>" in sent["text"]
    assert f"https{WJ}://evil.example" in sent["text"]

    mattermost = MattermostChannel(url="https://chat.example.internal", token="t", links=POLICY)
    mattermost._call = lambda method, *args: sent.update(args[0]) or {"id": "p2"}  # type: ignore[method-assign]
    mattermost.reply(PostRef(platform="mattermost", channel="c", post_id="p1"), "done @channel [x](https://evil.example)")
    assert sent["message"] == f"done @{WJ}channel \\[x\\](https{WJ}://evil.example)"

    console = ConsoleChannel(tmp_path / "cards.jsonl", links=POLICY)
    assert console.links is POLICY and slack.links is POLICY and mattermost.links is POLICY
