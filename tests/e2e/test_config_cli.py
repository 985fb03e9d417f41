"""`opsbot config show` run as a process: secrets masked in JSON and YAML, a bad setting fails cleanly."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.support.stack import REPO


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("OPSBOT_"):
            monkeypatch.delenv(name)


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("OPSBOT_")}
    return subprocess.run([sys.executable, "-m", "bot", *args], env={**base, **env}, capture_output=True,
                          text=True, cwd=REPO, timeout=60)


def test_config_show_masks_secrets() -> None:
    env = {"OPSBOT_SLACK__BOT_TOKEN": "xoxb-very-secret", "OPSBOT_WEBHOOK_AUTH__BEARER_TOKEN": "hunter2",
           "OPSBOT_MATTERMOST__COMMAND_TOKENS": '["cmdtok"]'}
    result = _cli("config", "show", "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert "xoxb-very-secret" not in result.stdout and "hunter2" not in result.stdout
    assert "cmdtok" not in result.stdout
    shown = json.loads(result.stdout)
    assert shown["slack"]["bot_token"] == "**********"
    yaml_out = _cli("config", "show", env=env)
    assert yaml_out.returncode == 0 and "hunter2" not in yaml_out.stdout and "web:" in yaml_out.stdout


def test_cli_fails_cleanly_on_bad_config() -> None:
    result = _cli("config", "show", env={"OPSBOT_WEB__PORT": "eighty"})
    assert result.returncode == 2
    assert "OPSBOT_WEB__PORT" in result.stderr and "Traceback" not in result.stderr
