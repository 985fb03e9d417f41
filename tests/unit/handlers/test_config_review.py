"""Pasted configuration review: the deterministic checks per kind (OpenTelemetry Collector, Data
Prepper, Ansible, nginx, broken YAML) and routing from a mention and `/oncall config`. The LLM
review against a fake OpenAI-compatible server is in tests/contract/test_config_review.py."""

from __future__ import annotations

from bot.commands import command_for_mention, normalise
from bot.config import load_settings
from core.events import Command, Mention
from handlers.config_review import handle_command
from integrations.config_files.checks import check
from tests.support.paths import TEST_DATA

DATA = TEST_DATA / "config"


def _codes(name: str) -> dict[str, list[str]]:
    report = check((DATA / name).read_text())
    codes: dict[str, list[str]] = {}
    for finding in report.findings:
        codes.setdefault(finding.code, []).append(finding.title)
    return codes


def test_otel_collector_pipelines_are_checked() -> None:
    report = check((DATA / "otel-collector.yaml").read_text())
    assert report.kind == "otel" and report.steps[0].command.startswith("otelcol validate")
    codes = _codes("otel-collector.yaml")
    assert any("prometheusremotewrite" in t for t in codes["OTEL_UNDEFINED_COMPONENT"])
    assert any("health_check" in t for t in codes["OTEL_UNDEFINED_COMPONENT"])
    assert codes["OTEL_MEMORY_LIMITER_NOT_FIRST"] == ["pipeline traces: memory_limiter is not the first processor"]
    assert codes["OTEL_NO_BATCH"] == ["pipeline metrics has no batch processor"]
    assert sorted(codes["OTEL_UNUSED_COMPONENT"]) == ["exporter debug is defined but in no pipeline",
                                                      "receiver prometheus is defined but in no pipeline"]


def test_data_prepper_ansible_nginx_and_broken_yaml() -> None:
    assert check((DATA / "data-prepper.yaml").read_text()).kind == "dataprepper"
    assert _codes("data-prepper.yaml") == {
        "DP_UNKNOWN_PIPELINE": ["pipeline entry-pipeline connects to service-map-pipeline, which is not defined"]}
    ansible = _codes("playbook.yml")
    assert ansible["ANSIBLE_NO_HOSTS"] == ["Broken play has no hosts"]
    assert ansible["ANSIBLE_SHELL_ALWAYS_CHANGED"][0].startswith("task 'Reload systemd'")
    assert ansible["PLAINTEXT_SECRET"] == ["[0].vars.db_password holds a literal secret"]
    nginx = _codes("nginx.conf")
    assert nginx["NGINX_MISSING_SEMICOLON"] == ["line 8: `server_name api.example.com` does not end with ';'"]
    assert nginx["NGINX_UNBALANCED_BRACES"] == ["1 block(s) are never closed"]
    assert "NGINX_SERVER_TOKENS" in nginx
    broken = check("receivers:\n  otlp: {\n  bad")
    assert broken.findings[0].code == "YAML_INVALID" and "line" in broken.findings[0].title


def test_routing_from_a_mention_and_the_umbrella_command() -> None:
    text = (DATA / "otel-collector.yaml").read_text()
    assert command_for_mention(Mention(platform="slack", channel="C1", text=f"<@U0BOT001>\n{text}")).name == "config"
    cmd = normalise(Command(platform="mattermost", channel="c1", name="/oncall", text=f"config\n{text}"))
    assert cmd.name == "config" and cmd.text.startswith("receivers:")
    card = handle_command(cmd, load_settings())
    assert card.title == "Config review: OpenTelemetry Collector" and card.severity == "error"
    assert card.findings[0].code == "OTEL_UNDEFINED_COMPONENT"  # most severe first
    empty = handle_command(Command(platform="slack", channel="C1", name="config", text=""), load_settings())
    assert empty.kind == "help"
