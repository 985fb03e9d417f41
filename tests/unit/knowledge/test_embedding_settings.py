"""Embedding settings: the OpenAI-compatible provider needs a URL and a model."""

from __future__ import annotations

import pytest

from knowledge.config import KnowledgeSettings


def test_openai_settings_need_url_and_model() -> None:
    with pytest.raises(ValueError, match="openai_url and openai_model"):
        KnowledgeSettings(embedding="openai")
