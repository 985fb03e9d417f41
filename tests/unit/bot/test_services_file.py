"""services.json: the running `opsbot up`'s URLs for other terminals; a dead one's file is ignored."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from bot.services_file import Services, apply_running_services, read_services, remove_services, write_services


def test_urls_of_a_running_up_fill_only_unset_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_services(tmp_path, Services(pid=os.getpid(), redis_url="redis://127.0.0.1:1/0",
                                      llm_url="http://127.0.0.1:2/v1", embedded_url=""))
    monkeypatch.delenv("OPSBOT_REDIS_URL", raising=False)
    monkeypatch.setenv("OPSBOT_LLM__URL", "http://gpu:8000/v1")  # explicit settings win
    monkeypatch.delenv("OPSBOT_KNOWLEDGE__EMBEDDED_URL", raising=False)
    assert apply_running_services(tmp_path) is not None
    assert os.environ["OPSBOT_REDIS_URL"] == "redis://127.0.0.1:1/0"
    assert os.environ["OPSBOT_LLM__URL"] == "http://gpu:8000/v1"
    assert "OPSBOT_KNOWLEDGE__EMBEDDED_URL" not in os.environ  # an empty URL sets nothing


def test_a_file_left_by_a_dead_up_or_a_broken_file_is_ignored(tmp_path: Path) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    write_services(tmp_path, Services(pid=dead.pid, redis_url="redis://127.0.0.1:1/0"))
    assert read_services(tmp_path) is None
    (tmp_path / "services.json").write_text("{not json")
    assert read_services(tmp_path) is None
    remove_services(tmp_path)
    remove_services(tmp_path)  # twice is fine
    assert read_services(tmp_path) is None
