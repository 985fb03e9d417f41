"""What the best runbook says to do first is on every triage card, with or without an LLM: its
read-only commands become steps, filled from the alert's labels."""

from __future__ import annotations

from core.models import Severity
from handlers.enrichers.knowledge import EXCERPT_CODE, excerpt_finding, runbook_commands
from knowledge.retrieval import SearchResult

CRASH_LOOP = """\
- `kubectl -n NAMESPACE describe pod POD`: the last state and its exit code.
- `kubectl -n NAMESPACE logs POD -c CONTAINER --previous`: the output of the run that died.
- Roll back with `kubectl -n NAMESPACE rollout undo deployment/NAME` when the last change broke it.
- `kubectl delete pod POD` only restarts it.
"""


def _result(section: str, text: str, source: str = "runbooks/pod-crash-looping.md") -> SearchResult:
    return SearchResult(source=source, title="Pod crash-looping", section=section, score=0.7, text=text,
                        doc_type="runbook", url="https://runbooks.example/crash")


def test_read_only_commands_are_kept_and_filled_from_labels() -> None:
    commands = runbook_commands(CRASH_LOOP, {"namespace": "payments", "pod": "api-7d9f", "container": "api"})
    assert commands == ["kubectl -n payments describe pod api-7d9f",
                        "kubectl -n payments logs api-7d9f -c api --previous"]  # no rollout undo, no delete


def test_placeholders_without_a_label_stay_for_a_human() -> None:
    assert runbook_commands(CRASH_LOOP, {})[0] == "kubectl -n NAMESPACE describe pod POD"


def test_the_section_with_commands_wins_over_the_best_scored_one() -> None:
    finding = excerpt_finding([_result("What the alert means", "The container keeps exiting."),
                               _result("First checks", CRASH_LOOP)], {"namespace": "payments", "pod": "api-7d9f"})
    assert finding is not None and finding.code == EXCERPT_CODE and finding.severity is Severity.info
    assert finding.title == "Runbook: Pod crash-looping › First checks"
    assert finding.steps[0].command == "kubectl -n payments describe pod api-7d9f"
    assert finding.docs[0].url == "https://runbooks.example/crash"
    assert excerpt_finding([], {}) is None
