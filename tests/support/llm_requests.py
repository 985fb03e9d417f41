"""A JSON schema, messages and a client for the LLM client tests."""

from __future__ import annotations

from typing import Any

import redis as redis_lib

from integrations.llm.client import LLMClient, Message
from integrations.llm.config import LLMSettings
from tests.support.fakes.openai_api import FakeOpenAI

SCHEMA = {"type": "object", "properties": {"status": {"type": "string"}}, "required": ["status"]}
MESSAGES = [Message(role="system", content="Answer in JSON."), Message(role="user", content="How is it?")]


def make_client(fake: FakeOpenAI, redis_client: redis_lib.Redis | None = None, **overrides: Any) -> LLMClient:
    settings = LLMSettings.model_validate({"url": fake.api_url, **overrides})
    return LLMClient(settings, redis_client)
