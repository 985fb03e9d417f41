"""Prompt templates as files (one per card kind); loaded by integrations.llm."""
