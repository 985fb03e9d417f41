"""The LLM's competence gate: run the battery through the bot's own LLM passes, store the result per
model, and tell the cards whether to show the LLM's hypothesis.

Each case (handlers.llm.gate_battery) runs through the function the bot calls for it (`explain`,
`llm_answer`, `translate_rest`) with the bot's prompts, schemas, validation and `max_tokens`, and is
scored 0..1. A kind's score is the mean of its cases, the overall score the mean of the kinds (each
weighs the same), and a model passes at overall >= the threshold (`llm.gate_threshold`).

A result is stored per model identity, the model the server serves plus its `owned_by` (never the
URL: the embedded server's port changes on every start), in Redis (`opsbot:llm:gate:<identity>`)
and in `<data_dir>/llm-gate.json`, so a CLI without Redis finds it too. `gate_verdict` says whether
a card shows the hypothesis and, when not, the one footer line that says why and how to check.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import redis
from pydantic import BaseModel, Field, ValidationError

from handlers.llm import explain
from handlers.llm.ask_answer import llm_answer
from handlers.llm.gate_battery import (
    KINDS,
    LOGS_MAX_SIZE,
    AskCase,
    Case,
    ExplainCase,
    GateKind,
    battery_hash,
    load_battery,
    score_answer,
    score_clauses,
    score_explanation,
)
from handlers.llm.log_clauses import translate_rest
from integrations.llm.types import CallResult, LLMError

if TYPE_CHECKING:
    from integrations.llm.client import LLMClient

log = logging.getLogger(__name__)

TASKS: dict[GateKind, str] = {"triage": "triage", "diagnosis": "diagnosis", "ask": "qa", "logs": "qa"}
GATE_FILE = "llm-gate.json"
KEY_PREFIX = "opsbot:llm:gate:"
CHECK_HINT = "(opsbot llm check)"


# --- the result ----------------------------------------------------------------------------------

class CaseOutcome(BaseModel):
    id: str
    kind: GateKind
    score: float
    reason: str = Field(description="'ok', what was missing, or why it scored 0")
    status: str = Field(description="the pass's own status: explained, answered, added, nothing, rejected, ...")
    duration_s: float = 0.0
    calls: int = 0


class GateResult(BaseModel):
    identity: str = Field(description="model@owned_by: what the result is stored under")
    model: str
    owned_by: str = ""
    url: str = Field("", description="where it was checked (informative only: ports change)")
    scores: dict[str, float] = Field(description="kind -> mean score of its cases")
    overall: float
    threshold: float
    passed: bool
    cases: list[CaseOutcome]
    battery_hash: str
    checked_at: datetime
    duration_s: float = 0.0

    @property
    def current(self) -> bool:
        """Measured with today's battery and prompts."""
        return self.battery_hash == battery_hash()


def model_identity(model: str, owned_by: str = "") -> str:
    return f"{model}@{owned_by}" if owned_by else model


def client_identity(client: LLMClient) -> tuple[str, str, str]:
    """(identity, model, owned_by) of what the client's server serves for triage. Raises LLMError."""
    model, owned_by = client.model_for(TASKS["triage"]), client.server_info().owned_by
    return model_identity(model, owned_by), model, owned_by


class _Recorder:
    """The client, keeping the texts of its answers: the score judges every command the model
    suggested, also those that validation removed before the card would see them."""

    def __init__(self, client: LLMClient) -> None:
        self.client = client
        self.texts: list[str] = []

    def chat(self, *args: Any, **kwargs: Any) -> CallResult:
        result = self.client.chat(*args, **kwargs)
        self.texts.append(result.text)
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def suggested(self) -> list[str]:
        try:
            answer = explain.parse_answer(self.texts[-1]) if self.texts else None
        except ValueError:
            return []
        return [s.command.strip().strip("`").strip() for s in answer.next_steps] if answer else []


def run_case(case: Case, client: LLMClient) -> CaseOutcome:
    """One case through the pass the bot uses for it; never raises for LLM trouble."""
    started = time.monotonic()
    budget = client.settings.prompt_budget_tokens
    status: str
    if isinstance(case, ExplainCase):
        inp, recorder = case.explain_input(), _Recorder(client)
        result = explain.explain(inp, cast("LLMClient", recorder), budget_tokens=budget, task=TASKS[case.kind])
        score = score_explanation(case, inp, result, recorder.suggested())
        status, calls = result.status, result.calls
    elif isinstance(case, AskCase):
        answer = llm_answer(case.question, case.results(), client, budget_tokens=budget)
        score, status, calls = score_answer(case, answer), answer.status, answer.calls
    else:
        base = case.base_body()
        added = translate_rest(case.question, case.leftover, base, case.index_schema(), client, max_size=LOGS_MAX_SIZE)
        score, status, calls = score_clauses(case, base, added), added.status, added.calls
    return CaseOutcome(id=case.id, kind=case.kind, score=score.score, reason=score.reason[:240], status=status,
                       duration_s=round(time.monotonic() - started, 2), calls=calls)


def summarise(outcomes: list[CaseOutcome]) -> tuple[dict[str, float], float]:
    """Per-kind means and the overall score (the mean of the kinds, each kind weighing the same)."""
    scores: dict[str, float] = {kind: round(sum(o.score for o in mine) / len(mine), 3)
              for kind in KINDS if (mine := [o for o in outcomes if o.kind == kind])}
    return scores, round(sum(scores.values()) / len(scores), 3) if scores else 0.0


def run_battery(client: LLMClient, *, threshold: float, cases: tuple[Case, ...] | None = None,
                on_case: Callable[[int, int, CaseOutcome], None] | None = None) -> GateResult:
    """Every case, one after the other. Raises LLMError only when the server cannot even name its model."""
    started = time.monotonic()
    identity, model, owned_by = client_identity(client)
    todo = load_battery() if cases is None else cases
    outcomes: list[CaseOutcome] = []
    for i, case in enumerate(todo, start=1):
        outcomes.append(run_case(case, client))
        if on_case is not None:
            on_case(i, len(todo), outcomes[-1])
    scores, overall = summarise(outcomes)
    return GateResult(identity=identity, model=model, owned_by=owned_by, url=client.settings.url, scores=scores,
                      overall=overall, threshold=threshold, passed=overall >= threshold, cases=outcomes,
                      battery_hash=battery_hash(), checked_at=datetime.now(UTC),
                      duration_s=round(time.monotonic() - started, 1))


# --- storage -------------------------------------------------------------------------------------

def _read_file(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_result(result: GateResult, *, data_dir: Path | None = None,
                redis_client: redis.Redis | None = None) -> list[str]:
    """Store under the result's identity; returns where it was stored (failures are logged)."""
    stored: list[str] = []
    if redis_client is not None:
        try:
            redis_client.set(KEY_PREFIX + result.identity, result.model_dump_json())
            stored.append("redis")
        except redis.RedisError as exc:
            log.warning("LLM gate result not stored in Redis: %s", exc)
    if data_dir is not None:
        path = data_dir / GATE_FILE
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            results = _read_file(path) | {result.identity: result.model_dump(mode="json")}
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
            tmp.replace(path)  # a reader never sees half a file
            stored.append(str(path))
        except OSError as exc:
            log.warning("LLM gate result not stored in %s: %s", path, exc)
    return stored


def load_result(identity: str, *, data_dir: Path | None = None,
                redis_client: redis.Redis | None = None) -> GateResult | None:
    """The newest stored result for `identity` (Redis or the data dir), stale or not; None if none."""
    found: list[GateResult] = []
    if redis_client is not None:
        try:
            raw = redis_client.get(KEY_PREFIX + identity)
            if isinstance(raw, bytes | str):
                found.append(GateResult.model_validate_json(raw))
        except redis.RedisError as exc:
            log.warning("LLM gate result not read from Redis: %s", exc)
        except ValidationError:
            log.warning("ignoring an unreadable LLM gate result in Redis for %s", identity)
    if data_dir is not None and (entry := _read_file(data_dir / GATE_FILE).get(identity)) is not None:
        try:
            found.append(GateResult.model_validate(entry))
        except ValidationError:
            log.warning("ignoring an unreadable LLM gate result in %s for %s", data_dir / GATE_FILE, identity)
    return max(found, key=lambda r: r.checked_at, default=None)


# --- the verdict for the cards -------------------------------------------------------------------

class GateVerdict(BaseModel):
    show: bool = Field(description="show the LLM's hypothesis on the card")
    line: str = Field("", description="when hidden: the one footer line that says why and how to check")


def gate_verdict(result: GateResult | None, mode: str, *, threshold: float | None = None,
                 model: str = "") -> GateVerdict:
    """Whether a card may show the LLM's hypothesis. `mode` is `llm.gate` (off: always);
    `threshold` the configured one (default: the result's own); `model` names it when `result` is None."""
    if mode == "off":
        return GateVerdict(show=True)
    name = result.model if result is not None else (model or "the model")
    if result is None:
        return GateVerdict(show=False, line=f"LLM hypothesis hidden: {name} not checked yet {CHECK_HINT}")
    if not result.current:
        return GateVerdict(show=False, line=f"LLM hypothesis hidden: {name} was checked with an older battery; "
                                            f"check it again {CHECK_HINT}")
    needed = result.threshold if threshold is None else threshold
    if result.overall >= needed:
        return GateVerdict(show=True)
    return GateVerdict(show=False, line=f"LLM hypothesis hidden: {name} scored {result.overall:.2f} < {needed:.2f} "
                                        f"on its competence check {CHECK_HINT}")


def client_verdict(client: LLMClient, *, mode: str, threshold: float, data_dir: Path | None = None,
                   redis_client: redis.Redis | None = None) -> GateVerdict:
    """The verdict for the model `client`'s server serves now (one /v1/models call per client, one
    Redis GET or file read). A server that cannot name its model gets a hidden verdict."""
    if mode == "off":
        return GateVerdict(show=True)
    try:
        identity, model, _ = client_identity(client)
    except LLMError as exc:
        return GateVerdict(show=False, line=f"LLM hypothesis hidden: the server did not name its model ({exc})")
    result = load_result(identity, data_dir=data_dir, redis_client=redis_client)
    return gate_verdict(result, mode, threshold=threshold, model=model)
