"""The LLM client with nothing listening: connection errors are retried, then unavailable."""

from __future__ import annotations

import pytest

from integrations.llm.client import LLMClient, LLMUnavailable
from integrations.llm.config import LLMSettings
from tests.support.llm_requests import MESSAGES
from tests.support.servers import free_port


def test_connection_errors_are_retried_then_unavailable() -> None:
    settings = LLMSettings(url=f"http://127.0.0.1:{free_port()}/v1", connect_retries=1,
                           models={"fast": "m"}, flavour="vllm")
    with pytest.raises(LLMUnavailable, match="cannot connect"):
        LLMClient(settings).chat(MESSAGES, task="triage")
