"""A triage card's runbook excerpt: the top runbook's first checks as steps (whichever of its chunks
ranked best) and its fixes section's changes as fixes, all filled from the alert's labels."""

from __future__ import annotations

from handlers.enrichers.knowledge import excerpt_finding, runbook_fixes
from knowledge.retrieval import SearchResult

LABELS = {"namespace": "shop", "pod": "api-1", "deployment": "api"}


def _section(section: str, text: str) -> SearchResult:
    return SearchResult(source="pod-crash-looping.md", title="Pod crash looping", section=section, score=0.5,
                        text=text, doc_type="runbook", url="https://opsbot.example/knowledge/pod-crash-looping.md")


MEANS = _section("What it means", "The container exits; see `kubectl -n {namespace} get pod {pod}`.")
CHECKS = _section("First checks", "- `kubectl -n {namespace} describe pod {pod}`: last state.\n"
                                  "- `kubectl -n {namespace} logs {pod} -c {container} --previous`: the last run.")
FIXES = _section("Fixes (changes a human runs)",
                 "- Roll back: `kubectl -n {namespace} rollout undo deployment/{deployment}`. Caution: the old\n"
                 "  configuration comes back.\n"
                 "- Restart: `kubectl -n {namespace} rollout restart deployment/{deployment}`.\n"
                 "- Never: `kubectl delete namespace {namespace}`.")


def test_the_first_checks_section_gives_the_steps_even_when_another_chunk_ranked_first() -> None:
    finding = excerpt_finding([MEANS], LABELS, [MEANS, FIXES, CHECKS])
    assert finding is not None and finding.title == "Runbook: Pod crash looping › First checks"
    assert [s.command for s in finding.steps] == ["kubectl -n shop describe pod api-1",
                                                  "kubectl -n shop logs api-1 -c CONTAINER --previous"]


def test_the_fixes_section_gives_changes_for_a_human_and_no_destructive_one_without_a_caution() -> None:
    fixes = runbook_fixes(FIXES, LABELS)
    assert [f.command for f in fixes] == ["kubectl -n shop rollout undo deployment/api"]  # restart: no caution
    assert fixes[0].caution == "the old configuration comes back."
    assert fixes[0].doc is not None and fixes[0].doc.title == "Pod crash looping › Fixes (changes a human runs)"
    finding = excerpt_finding([MEANS], LABELS, [MEANS, CHECKS, FIXES])
    assert finding is not None and [f.command for f in finding.fixes] == [f.command for f in fixes]
