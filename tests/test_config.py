"""Configuration: environment over YAML, readable errors, secrets masked, routing by labels."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, RoutingSettings, load_settings
from tests.stack import REPO


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("OPSBOT_"):
            monkeypatch.delenv(name)


def test_defaults() -> None:
    settings = load_settings()
    assert settings.data_dir == Path(".opsbot")
    assert settings.redis_url is None
    assert settings.web.max_body_bytes == 1024 * 1024
    assert settings.console_enabled


def test_env_overrides_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "opsbot.yaml"
    config.write_text("web:\n  port: 9000\n  host: 0.0.0.0\nrouting:\n  default_channel: alerts\n")
    monkeypatch.setenv("OPSBOT_CONFIG", str(config))
    monkeypatch.setenv("OPSBOT_WEB__PORT", "9100")
    settings = load_settings()
    assert settings.web.port == 9100 and settings.web.host == "0.0.0.0"
    assert settings.routing.default_channel == "alerts"


@pytest.mark.parametrize(("env", "value", "expected"), [
    ("OPSBOT_WEB__PORT", "eighty", "OPSBOT_WEB__PORT / web.port"),
    ("OPSBOT_WEB__PORT", "70000", "less than or equal to 65535"),
    ("OPSBOT_REDIS_URL", "http://redis:6379", "expected a redis://"),
    ("OPSBOT_MATTERMOST__URL", "mm.example", "expected an http:// or https:// URL"),
    ("OPSBOT_LOG_LEVEL", "LOUD", "OPSBOT_LOG_LEVEL / log_level"),
])
def test_wrong_value_names_the_setting(monkeypatch: pytest.MonkeyPatch, env: str, value: str, expected: str) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert expected in str(info.value)


def test_missing_or_broken_yaml_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSBOT_CONFIG", str(tmp_path / "missing.yaml"))
    with pytest.raises(ConfigError, match="no such file"):
        load_settings()
    broken = tmp_path / "broken.yaml"
    broken.write_text("web: [unclosed\n")
    monkeypatch.setenv("OPSBOT_CONFIG", str(broken))
    with pytest.raises(ConfigError, match=r"broken\.yaml"):
        load_settings()
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("colour: blue\n")
    monkeypatch.setenv("OPSBOT_CONFIG", str(unknown))
    with pytest.raises(ConfigError, match="colour"):
        load_settings()


def test_routing_by_label_matchers() -> None:
    routing = RoutingSettings.model_validate({
        "default_channel": "oncall",
        "routes": [
            {"matchers": {"team": "storage"}, "channel": "storage-oncall"},
            {"matchers": {"namespace": "=~ceph-.*"}, "channel": "ceph"},
            {"matchers": {"team": "storage", "severity": "critical"}, "channel": "storage-pager"},
        ],
    })
    assert routing.channels_for({"team": "storage", "severity": "warning"}) == ["storage-oncall"]
    assert routing.channels_for({"team": "storage", "severity": "critical", "namespace": "ceph-a"}) == [
        "storage-oncall", "ceph", "storage-pager"]
    assert routing.channels_for({"team": "web"}) == ["oncall"]


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
