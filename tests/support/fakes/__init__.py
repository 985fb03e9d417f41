"""Fakes for chat platforms that cannot run here. Each speaks the platform's documented wire
format, is driven through the real client library, and records what it received."""
