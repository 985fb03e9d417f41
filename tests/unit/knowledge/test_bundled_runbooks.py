"""Every bundled runbook: complete front matter, the sections an on-call engineer needs, first-check
commands that pass the read-only parser, and alert names that exist in the public rule sets."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import yaml

from handlers.enrichers.knowledge import code_spans, fill_placeholders, runbook_fixes
from handlers.shared.commands import check, check_fix
from knowledge.documents import Document, read_document, split_front_matter
from knowledge.retrieval import SearchResult
from knowledge.service import bundled_runbooks_dir

ALERT_NAMES = Path(bundled_runbooks_dir()).parent / "data" / "public_alert_names.yaml"
RUNBOOKS = sorted(bundled_runbooks_dir().glob("*.md"))
SECTIONS = ("What it means", "First checks", "How to read what you see", "Fixes (changes a human runs)",
            "When to escalate", "Related alerts")
ANALYZER_CODES = ("JobFailed", "CommandNotFound", "ConfigRefMissing", "VolumeMountFailed", "PVCPending", "DNSFailure",
                  "DependencyRefused", "Evicted", "HPAAtMax", "InitContainerFailing", "QuotaExceeded",
                  "ReadinessFailing")


@cache
def public_alert_names() -> frozenset[str]:
    sets = yaml.safe_load(ALERT_NAMES.read_text())
    return frozenset(name for names in sets.values() for name in names)


def _document(path: Path) -> Document:
    return read_document(path, path.name, doc_type="runbook")


def _headings(doc: Document) -> list[str]:
    return [s.path[-1] for s in doc.sections if s.path]


@pytest.mark.parametrize("path", RUNBOOKS, ids=lambda p: p.name)
def test_front_matter_is_complete(path: Path) -> None:
    meta, _ = split_front_matter(path.read_text())
    assert {"title", "title_ru", "doc_type", "alerts", "services", "synonyms", "symptoms"} <= set(meta), path.name
    doc = _document(path)
    assert doc.doc_type == "runbook" and doc.title and doc.services
    assert any("а" <= ch <= "я" for ch in doc.title_ru.lower()), "title_ru is Russian"
    assert any(any("а" <= ch <= "я" for ch in s) for s in doc.synonyms), "Russian synonyms"
    assert any(s.isascii() for s in doc.synonyms), "English synonyms"
    assert any(any("а" <= ch <= "я" for ch in s.lower()) for s in doc.symptoms), "Russian symptoms"
    assert sum(s.isascii() for s in doc.symptoms) >= 5, "English symptoms: error text and signs one sees"
    assert doc.alerts or doc.codes, "a runbook says which alerts or finding codes it is for"


def test_a_symptom_belongs_to_one_runbook() -> None:
    """A symptom listed by two runbooks cannot tell them apart (knowledge.symptoms)."""
    owners: dict[str, list[str]] = {}
    for path in RUNBOOKS:
        for symptom in _document(path).symptoms:
            owners.setdefault(symptom.lower(), []).append(path.name)
    assert {s: names for s, names in owners.items() if len(names) > 1} == {}


@pytest.mark.parametrize("path", RUNBOOKS, ids=lambda p: p.name)
def test_every_listed_alert_is_a_public_rule(path: Path) -> None:
    unknown = [a for a in _document(path).alerts if a not in public_alert_names()]
    assert not unknown


@pytest.mark.parametrize("path", RUNBOOKS, ids=lambda p: p.name)
def test_sections_are_there(path: Path) -> None:
    headings = _headings(_document(path))
    assert [s for s in SECTIONS if s not in headings] == []


@pytest.mark.parametrize("path", RUNBOOKS, ids=lambda p: p.name)
def test_first_checks_are_read_only_commands(path: Path) -> None:
    doc = _document(path)
    first = next(s for s in doc.sections if s.path and s.path[-1] == "First checks")
    commands = code_spans(first.text)
    assert commands, "first checks give commands"
    refused = {c: check(fill_placeholders(c, {})) for c in commands}
    assert {c: why for c, why in refused.items() if why} == {}


@pytest.mark.parametrize("path", RUNBOOKS, ids=lambda p: p.name)
def test_every_known_change_in_fixes_reaches_the_card_with_its_caution(path: Path) -> None:
    doc = _document(path)
    fixes = next(s for s in doc.sections if s.path and s.path[-1] == "Fixes (changes a human runs)")
    known = ("kubectl ", "ceph ", "redis-cli ", "systemctl ", "sysctl ")
    changes = [c for c in code_spans(fixes.text) if c.startswith(known) and check(fill_placeholders(c, {}))]
    result = SearchResult(source=path.name, title=doc.title, section="Fixes (changes a human runs)", score=1.0,
                          text=fixes.text, doc_type="runbook")
    shown = {f.command: f.caution for f in runbook_fixes(result, {})}
    for command in changes[:3]:  # a card shows at most three
        filled = fill_placeholders(command, {})
        assert filled in shown or check_fix(filled, "x") is not None, command  # a change the parser refuses
        if filled in shown:
            assert check_fix(filled, shown[filled]) is None


def test_one_runbook_per_alert_and_at_least_sixty_alerts() -> None:
    owners: dict[str, str] = {}
    for path in RUNBOOKS:
        for alert in _document(path).alerts:
            assert alert not in owners, f"{alert} in {owners.get(alert)} and {path.name}"
            owners[alert] = path.name
    assert len(owners) >= 60


def test_the_workload_runbook_has_a_section_per_analyzer_code() -> None:
    headings = _headings(_document(bundled_runbooks_dir() / "kubernetes-workload.md"))
    missing = [code for code in ANALYZER_CODES if not any(h.startswith(f"{code}:") for h in headings)]
    assert missing == []


def test_placeholders_are_filled_from_labels_or_left_for_a_human() -> None:
    command = "kubectl -n {namespace} logs {pod} -c {container} --previous"
    labels = {"namespace": "shop", "pod": "api-1"}
    assert fill_placeholders(command, labels) == "kubectl -n shop logs api-1 -c CONTAINER --previous"
    unsafe = fill_placeholders("kubectl -n {namespace} get pods", {"namespace": "a b --token=x"})
    assert check(unsafe) is not None  # a label value is one word, or the command is not shown at all
