"""The LLM competence gate without a server: the battery files, the scoring rules on canned answers
(through the same passes the bot uses, with a client that answers from a list), the verdict lines,
storage in a data dir (and a Redis stand-in), and a changed battery making old results stale."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib
from pydantic import ValidationError

from handlers.llm import gate, gate_battery
from handlers.llm.gate_battery import KINDS, AskCase, ExplainCase, LogsCase, load_battery
from integrations.llm.client import ServerInfo
from integrations.llm.config import LLMSettings
from integrations.llm.types import CallResult, LLMUnavailable

ROOT = Path(__file__).resolve().parents[3]


class CannedClient:
    """Stands in for LLMClient: answers `chat` from a list, names a model and its owner."""

    def __init__(self, answers: list[str], model: str = "smollm2", owned_by: str = "me") -> None:
        self.settings = LLMSettings(url="http://127.0.0.1:1/v1")
        self.answers = list(answers)
        self.model, self.owned_by = model, owned_by
        self.calls = 0

    def chat(self, messages: Any, **kwargs: Any) -> CallResult:
        self.calls += 1
        return CallResult(text=self.answers.pop(0), model=self.model, flavour="vllm")

    def model_for(self, task: str) -> str:
        return self.model

    def server_info(self) -> ServerInfo:
        return ServerInfo(models=[self.model], flavour="vllm", owned_by=self.owned_by)


class DownClient(CannedClient):
    def model_for(self, task: str) -> str:
        raise LLMUnavailable("http://127.0.0.1:1/v1/models: ConnectError")


class FakeRedis:
    def __init__(self, fail: bool = False) -> None:
        self.data: dict[str, bytes] = {}
        self.fail = fail

    def set(self, key: str, value: str) -> None:
        if self.fail:
            raise redis_lib.ConnectionError("refused")
        self.data[key] = value.encode()

    def get(self, key: str) -> bytes | None:
        if self.fail:
            raise redis_lib.ConnectionError("refused")
        return self.data.get(key)


def case(case_id: str) -> Any:
    return next(c for c in load_battery() if c.id == case_id)


def run(case_id: str, answer: dict[str, Any] | str) -> gate.CaseOutcome:
    text = answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)
    return gate.run_case(case(case_id), CannedClient([text, text]))  # type: ignore[arg-type]


def explanation(**fields: Any) -> dict[str, Any]:
    return {**case("crashloop-config").reference, **fields}


# --- the battery files ---------------------------------------------------------------------------

def test_battery_has_four_cases_or_more_per_kind_and_ships_as_package_data() -> None:
    cases = load_battery()
    assert 12 <= len(cases) <= 16
    assert all(sum(c.kind == kind for c in cases) >= 4 for kind in KINDS)
    assert [c.kind for c in cases] == sorted((c.kind for c in cases), key=KINDS.index)
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "battery/*.yaml" in pyproject["tool"]["setuptools"]["package-data"]["handlers.llm"]
    assert all(c.must.points() and c.title for c in cases)


def test_every_reference_answer_scores_one_through_the_bots_passes() -> None:
    cases = load_battery()
    client = CannedClient([json.dumps(c.reference, ensure_ascii=False) for c in cases])
    result = gate.run_battery(client, threshold=0.7)  # type: ignore[arg-type]
    assert [(o.id, o.score, o.reason) for o in result.cases] == [(c.id, 1.0, "ok") for c in cases]
    assert client.calls == len(cases)  # one call a case, no repair
    assert result.passed and result.overall == 1.0 and set(result.scores) == set(KINDS)


def test_logs_cases_ask_only_for_what_the_rules_leave_over() -> None:
    for item in load_battery():
        if isinstance(item, LogsCase):
            body = json.dumps(item.base_body())
            assert all(word not in body for word in item.leftover), item.id


def test_a_case_naming_an_unknown_evidence_id_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (ROOT / "handlers/llm/battery/triage.yaml").read_text().replace('evidence: ["k8s:prod:pod/payments/'
                                                                          'ledger-5b8d7c9f4-q7wzt/logs"]',
                                                                          'evidence: ["k8s:made-up"]')
    monkeypatch.setattr(gate_battery, "_battery_files", lambda: [("triage.yaml", text.encode())])
    load_battery.cache_clear()
    try:
        with pytest.raises(gate_battery.BatteryError, match="crashloop-config: unknown evidence id k8s:made-up"):
            load_battery()
    finally:
        monkeypatch.undo()
        load_battery.cache_clear()


def test_case_fields_are_checked() -> None:
    with pytest.raises(ValidationError):
        AskCase.model_validate({"kind": "ask", "id": "x", "title": "t", "question": "q", "sections": [],
                                "must": {"mention": ["a"]}, "reference": {}})


# --- scoring -------------------------------------------------------------------------------------

def test_a_grounded_explanation_scores_one_and_a_contradicted_cause_zero() -> None:
    assert run("crashloop-config", explanation()).score == 1.0
    oom = run("crashloop-config", explanation(probable_cause="The container is OOMKilled at its memory limit."))
    assert oom.score == 0.0 and "says 'OOM'" in oom.reason


def test_explanation_partial_credit_for_what_is_missing() -> None:
    vague = run("crashloop-config", explanation(probable_cause="The database.url key is missing.", evidence=[]))
    assert vague.score == 0.5 and vague.reason.startswith("missing evidence")
    nothing = run("crashloop-config", explanation(probable_cause="Cron-OSD down", evidence=[], citations=[]))
    assert nothing.score == 0.0


def test_explanation_commands_destructive_zero_unlisted_halves() -> None:
    delete = run("crashloop-config", explanation(next_steps=[{"command": "kubectl delete pod -n payments x",
                                                              "why": "restart it"}]))
    assert delete.score == 0.0 and "changes something" in delete.reason
    crictl = run("crashloop-config", explanation(next_steps=[{"command": "crictl ps -a", "why": "containers"}]))
    assert crictl.score == 0.5 and "not allowlisted" in crictl.reason
    journal = run("crashloop-config", explanation(next_steps=[{"command": "journalctl -u kubelet", "why": "logs"}]))
    assert journal.score == 1.0  # a read-only host command is on the allowlist now


def test_explanation_with_an_unknown_id_or_a_rejected_answer_scores_zero() -> None:
    made_up = run("crashloop-config", explanation(evidence=["k8s:made-up"]))
    assert made_up.score == 0.0 and "unknown evidence id" in made_up.reason
    rejected = run("crashloop-config", "I think it is the network.")
    assert rejected.score == 0.0 and rejected.status == "rejected" and rejected.calls == 2


def test_invented_numbers_halve_and_rounded_ones_do_not() -> None:
    invented = run("ceph-nearfull-imbalance", {**case("ceph-nearfull-imbalance").reference,
                                               "probable_cause": "osd.4 is at 93% while the data is unevenly spread."})
    assert invented.score == 0.5 and "93" in invented.reason
    assert gate_battery.new_numbers("6.7% degraded, 87%, 41,822 objects, 2048 MiB",
                                    "6.667% 87.12 41822/627330 2047.9 MiB") == []
    assert gate_battery.new_numbers("93% and 4.9%", "0.95 96 TiB 4.75") == ["4.9", "93"]


def test_words_match_at_word_starts() -> None:
    assert gate_battery._has("OOMKilled at 512Mi", "OOM") and not gate_battery._has("no room left", "OOM")
    assert gate_battery._has("osd.7 is down.", "osd.7") and not gate_battery._has("osd.71 is down", "osd.7")


def test_ask_answer_rules() -> None:
    good = case("k8s-imagepull").reference
    assert run("k8s-imagepull", good).score == 1.0
    wrong_doc = run("k8s-imagepull", {**good, "citations": ["doc:1"]})
    assert wrong_doc.score == 0.8 and "citation doc:2" in wrong_doc.reason
    invented = run("k8s-imagepull", {**good, "answer": good["answer"] + " Then run `kubectl get nodes -o wide`."})
    assert invented.score == 0.5 and "no section contains" in invented.reason
    destructive = run("k8s-imagepull", {**good, "answer": good["answer"] + " Or `kubectl delete pod POD`."})
    assert destructive.score == 0.0
    english = run("redis-bigkeys-russian", {"answer": "Run `redis-cli --bigkeys` on a replica.",
                                            "citations": ["doc:1"]})
    assert english.score == round(2 / 3, 3) and "answer in Russian" in english.reason


def test_log_clause_rules() -> None:
    def clause(**fields: Any) -> dict[str, Any]:
        return {"op": "term", "value": "", "gte": "", "lte": "", "exclude": False, **fields}

    both = [clause(field="stream", value="stderr"), clause(field="kubernetes.container_name", value="istio-proxy")]
    assert run("k8s-stderr-container", {"clauses": both, "understood": ""}).score == 1.0
    half = run("k8s-stderr-container", {"clauses": both[:1], "understood": ""})
    assert half.score == 0.5 and "kubernetes.container_name" in half.reason
    excluded = run("k8s-stderr-container", {"clauses": [{**both[0], "exclude": True}, both[1]], "understood": ""})
    assert excluded.score == 0.5  # stderr excluded is not stderr asked for
    repeat = run("k8s-stderr-container", {"clauses": [*both, clause(field="kubernetes.namespace_name",
                                                                    value="payments")], "understood": ""})
    assert repeat.score == 1.0  # the whole question: repeating what the rules understood is right
    wrong = run("k8s-stderr-container", {"clauses": [*both, clause(field="kubernetes.namespace_name",
                                                                   op="exists")], "understood": ""})
    assert wrong.score == 0.0 and "does not belong" in wrong.reason
    invalid = run("syslog-failed-password", {"clauses": [clause(field="message", value="failed password")],
                                             "understood": ""})
    assert invalid.score == 0.0 and invalid.status == "rejected"  # term on a text field fails validation
    big = run("nginx-large-responses", {"clauses": [clause(field="http.response.body.bytes", op="range",
                                                           gte="1000000")], "understood": ""})
    assert big.score == 1.0
    nothing = run("nginx-large-responses", {"clauses": [], "understood": "nothing to add"})
    assert nothing.score == 0.0 and nothing.status == "nothing"


def test_kind_scores_weigh_each_kind_the_same() -> None:
    outcomes = [gate.CaseOutcome(id=f"t{i}", kind="triage", score=1.0, reason="ok", status="explained")
                for i in range(3)] + [gate.CaseOutcome(id="a", kind="ask", score=0.0, reason="x", status="rejected")]
    assert gate.summarise(outcomes) == ({"triage": 1.0, "ask": 0.0}, 0.5)


# --- the verdict ---------------------------------------------------------------------------------

def result(overall: float, *, model: str = "smollm2", owned_by: str = "me", hash_: str | None = None,
           at: datetime | None = None, threshold: float = 0.7) -> gate.GateResult:
    return gate.GateResult(identity=gate.model_identity(model, owned_by), model=model, owned_by=owned_by,
                           url="http://127.0.0.1:41234/v1", scores={"triage": overall}, overall=overall,
                           threshold=threshold, passed=overall >= threshold, cases=[],
                           battery_hash=hash_ or gate_battery.battery_hash(), checked_at=at or datetime.now(UTC))


def test_verdict_lines() -> None:
    assert gate.gate_verdict(result(0.18), "auto") == gate.GateVerdict(
        show=False, line="LLM hypothesis hidden: smollm2 scored 0.18 < 0.70 on its competence check (opsbot llm check)")
    assert gate.gate_verdict(None, "auto", model="smollm2").line == (
        "LLM hypothesis hidden: smollm2 not checked yet (opsbot llm check)")
    assert gate.gate_verdict(result(0.82), "auto") == gate.GateVerdict(show=True, line="")
    assert gate.gate_verdict(result(0.82), "auto", threshold=0.9).line.endswith("scored 0.82 < 0.90 on its "
                                                                                "competence check (opsbot llm check)")
    assert gate.gate_verdict(None, "off") == gate.GateVerdict(show=True, line="")
    assert gate.gate_verdict(result(0.1), "off").show


def test_a_changed_battery_makes_old_results_stale(monkeypatch: pytest.MonkeyPatch) -> None:
    old = result(0.9)
    files = gate_battery._battery_files()
    changed = [(name, raw + b"\n# one more comment\n" if name == "ask.yaml" else raw) for name, raw in files]
    monkeypatch.setattr(gate_battery, "_battery_files", lambda: changed)
    gate_battery.battery_hash.cache_clear()
    try:
        assert gate_battery.battery_hash() != old.battery_hash and not old.current
        verdict = gate.gate_verdict(old, "auto")
        assert not verdict.show
        assert verdict.line == ("LLM hypothesis hidden: smollm2 was checked with an older battery; check it again "
                                "(opsbot llm check)")
    finally:
        monkeypatch.undo()
        gate_battery.battery_hash.cache_clear()
    assert old.current


# --- storage -------------------------------------------------------------------------------------

def test_storage_round_trip_in_the_data_dir(tmp_path: Path) -> None:
    small, big = result(0.18), result(0.91, model="qwen2.5-32b", owned_by="vllm")
    assert gate.save_result(small, data_dir=tmp_path) == [str(tmp_path / "llm-gate.json")]
    gate.save_result(big, data_dir=tmp_path)
    stored = json.loads((tmp_path / "llm-gate.json").read_text())
    assert set(stored) == {"smollm2@me", "qwen2.5-32b@vllm"}
    assert gate.load_result("smollm2@me", data_dir=tmp_path) == small
    assert gate.load_result("qwen2.5-32b@vllm", data_dir=tmp_path) == big
    assert gate.load_result("other@me", data_dir=tmp_path) is None
    assert gate.load_result("smollm2@me", data_dir=tmp_path / "missing") is None


def test_storage_in_redis_and_the_newest_wins(tmp_path: Path) -> None:
    fake = FakeRedis()
    old, new = result(0.2, at=datetime.now(UTC) - timedelta(hours=1)), result(0.8)
    gate.save_result(old, data_dir=tmp_path)
    assert gate.save_result(new, redis_client=fake) == ["redis"]  # type: ignore[arg-type]
    assert "opsbot:llm:gate:smollm2@me" in fake.data
    assert gate.load_result("smollm2@me", data_dir=tmp_path, redis_client=fake) == new  # type: ignore[arg-type]
    down = FakeRedis(fail=True)
    assert gate.save_result(new, data_dir=tmp_path, redis_client=down) == [str(tmp_path / "llm-gate.json")]  # type: ignore[arg-type]
    assert gate.load_result("smollm2@me", data_dir=tmp_path, redis_client=down) == new  # type: ignore[arg-type]


def test_client_verdict_uses_the_model_identity_not_the_url(tmp_path: Path) -> None:
    gate.save_result(result(0.18), data_dir=tmp_path)
    moved = CannedClient([])
    moved.settings = LLMSettings(url="http://127.0.0.1:50000/v1")  # the embedded server's port changed
    verdict = gate.client_verdict(moved, mode="auto", threshold=0.7, data_dir=tmp_path)  # type: ignore[arg-type]
    assert verdict.line.startswith("LLM hypothesis hidden: smollm2 scored 0.18 < 0.70")
    other = CannedClient([], model="smollm2", owned_by="llamacpp-bin")
    assert gate.client_verdict(other, mode="auto", threshold=0.7,  # type: ignore[arg-type]
                               data_dir=tmp_path).line.endswith("not checked yet (opsbot llm check)")
    down = gate.client_verdict(DownClient([]), mode="auto", threshold=0.7, data_dir=tmp_path)  # type: ignore[arg-type]
    assert not down.show and "did not name its model" in down.line
    assert gate.client_verdict(DownClient([]), mode="off", threshold=0.7).show  # type: ignore[arg-type]


def test_settings() -> None:
    settings = LLMSettings()
    assert settings.gate == "auto" and settings.gate_threshold == 0.7
    with pytest.raises(ValidationError):
        LLMSettings(gate_threshold=1.5)
    with pytest.raises(ValidationError):
        LLMSettings.model_validate({"gate": "maybe"})


def test_explain_cases_build_the_bots_inputs() -> None:
    triage = case("oomkilled")
    assert isinstance(triage, ExplainCase)
    inp = triage.explain_input()
    assert [d.id for d in inp.documents] == ["doc:1", "doc:2"] and inp.documents[0].text
    assert "knowledge" not in {e.source for e in inp.evidence}
    diagnosis = case("redis-maxmemory-noeviction").explain_input()
    assert [e.id for e in diagnosis.evidence] == ["redis:cache"] and "maxmemory: 2.00G" in diagnosis.evidence[0].text
