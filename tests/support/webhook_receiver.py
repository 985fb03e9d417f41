"""Settings for the Alertmanager receiver: bearer and basic auth, a small body limit."""

from __future__ import annotations

from typing import Any

from bot.config import load_settings

TOKEN = "s3cret-token"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


def receiver_settings(redis_url: str, **overrides: Any) -> Any:
    base: dict[str, Any] = {
        "redis_url": redis_url,
        "webhook_auth": {"bearer_token": TOKEN, "basic_user": "am", "basic_password": "pw"},
        "web": {"max_body_bytes": 4096},
    }
    base.update(overrides)
    return load_settings(**base)
