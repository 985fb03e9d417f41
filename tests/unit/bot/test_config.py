"""Configuration: environment over YAML, readable errors, routing by labels. `opsbot config show`
(secrets masked) as a process is in tests/e2e/test_config_cli.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.config import ConfigError, RoutingSettings, load_settings


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
