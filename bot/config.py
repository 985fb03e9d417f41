"""Configuration: environment variables `OPSBOT_*` (nested with `__`) over an optional YAML file.

Precedence, highest first: init arguments (CLI flags), environment, the YAML file named by
`OPSBOT_CONFIG`, defaults. A wrong value fails at start with `ConfigError`, whose message names
the setting (as env var and YAML path) and what was expected.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from handlers.budgets import BudgetSettings
from handlers.storm import StormRule, StormSettings
from integrations.ceph.config import CephDiagnosisSettings
from integrations.kubernetes.config import KubernetesSettings
from integrations.llm.config import LLMSettings
from integrations.opensearch.config import OpenSearchSettings
from integrations.prometheus.config import PrometheusSettings
from integrations.redis.config import RedisDiagnosisSettings
from knowledge.config import KnowledgeSettings

ENV_PREFIX = "OPSBOT_"
CONFIG_FILE_ENV = "OPSBOT_CONFIG"


class WebSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    max_body_bytes: int = Field(1024 * 1024, ge=1024, description="larger request bodies get 413")
    public_url: str = Field("", description="how chat platforms reach this bot (button callbacks)")
    body_timeout_s: float = Field(
        10.0, gt=0, le=300, description="a request body not fully received within this long gets 408 and the "
                                        "connection is closed (slow or stalled clients)")
    max_line_bytes: int = Field(8190, ge=1024, le=1024 * 1024,
                                description="longest request line or header line; longer gets 400")
    max_field_bytes: int = Field(8190, ge=1024, le=1024 * 1024, description="longest header value; longer gets 400")
    max_headers: int = Field(128, ge=16, le=4096, description="most header fields in one request; more gets 400")


class WebhookAuthSettings(BaseModel):
    """Alertmanager receiver auth. Either or both; when none is set the receiver is open."""

    bearer_token: SecretStr | None = None
    basic_user: str | None = None
    basic_password: SecretStr | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.bearer_token) or bool(self.basic_user)


class Route(BaseModel):
    """Send incidents whose labels match to `channel`. `=~` prefix on a value makes it a regex."""

    matchers: dict[str, str]
    channel: str
    storm: StormRule | None = Field(None, description="this channel's storm threshold and window (storm.* otherwise)")

    def matches(self, labels: dict[str, str]) -> bool:
        for name, expected in self.matchers.items():
            value = labels.get(name, "")
            if expected.startswith("=~"):
                if not re.fullmatch(expected[2:], value):
                    return False
            elif value != expected:
                return False
        return True


class RoutingSettings(BaseModel):
    default_channel: str = "oncall"
    routes: list[Route] = Field(default_factory=list)

    def channels_for(self, labels: dict[str, str]) -> list[str]:
        """Every matching route's channel, in order; the default channel when none matches."""
        found: list[str] = []
        for route in self.routes:
            if route.matches(labels) and route.channel not in found:
                found.append(route.channel)
        return found or [self.default_channel]

    def storm_rule(self, channel: str) -> StormRule | None:
        """The storm rule of the first route to `channel` that sets one."""
        return next((r.storm for r in self.routes if r.channel == channel and r.storm is not None), None)


class SlackSettings(BaseModel):
    bot_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    app_token: SecretStr | None = Field(None, description="xapp- token, only for Socket Mode")
    socket_mode: bool = False
    api_url: str = Field("https://slack.com/api/", description="Slack Web API base URL")

    @property
    def enabled(self) -> bool:
        return self.bot_token is not None


class MattermostSettings(BaseModel):
    url: str = Field("", description="server URL, e.g. https://mattermost.example.internal")
    token: SecretStr | None = Field(None, description="bot account access token")
    team: str = Field("", description="team name used to resolve channel names")
    command_tokens: list[SecretStr] = Field(
        default_factory=list, description="tokens of the slash commands that point at this bot"
    )
    outgoing_tokens: list[SecretStr] = Field(
        default_factory=list, description="tokens of the outgoing webhooks (mentions) that point at this bot"
    )
    basepath: str = "/api/v4"
    action_secret: SecretStr | None = Field(
        None, description="signs button callbacks; buttons appear only with this and web.public_url set"
    )

    @field_validator("url")
    @classmethod
    def _url_has_scheme(cls, value: str) -> str:
        if value and urlsplit(value).scheme not in ("http", "https"):
            raise ValueError("expected an http:// or https:// URL")
        return value.rstrip("/")

    @property
    def enabled(self) -> bool:
        return bool(self.url) and self.token is not None


class ConsoleSettings(BaseModel):
    enabled: Literal["auto", "on", "off"] = Field(
        "auto", description="auto: the console channel is used when no Slack or Mattermost is set"
    )
    cards_file: str = Field("cards.jsonl", description="JSON Lines file in the data directory")


class WebChatSettings(BaseModel):
    """The web channel: the live board, threads, buttons and the command box at `/web`."""

    enabled: bool = Field(False, description="serve the board and post cards to it (opsbot up turns it on)")
    token: SecretStr | None = Field(None, description="login token; a login is required off loopback")
    basic_user: str | None = None
    basic_password: SecretStr | None = None
    max_cards: int = Field(2000, ge=10, description="threads kept on the board (oldest leave first)")
    board_cards: int = Field(300, ge=10, le=5000, description="cards the page shows when it opens")

    @property
    def login_configured(self) -> bool:
        return self.token is not None or bool(self.basic_user and self.basic_password)


class OpenAIEndpointSettings(BaseModel):
    """`/v1/models` and `/v1/chat/completions`: opsbot as a model for Open WebUI, LiteLLM, IDE agents."""

    api_keys: list[SecretStr] = Field(default_factory=list, description="bearer keys; the endpoint is off without one")
    model: str = Field("opsbot", min_length=1, description="the model id clients ask for")
    timeout_s: float = Field(120.0, gt=0, le=600, description="longest wait for the answer card")


class LinkSettings(BaseModel):
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="hosts (and their subdomains) whose http(s) links cards make clickable, beside the configured "
        "systems (prometheus.url, opensearch.dashboards_url, ceph docs and dashboards, mattermost.url, Slack, "
        "knowledge.postmortem_hosts, web.public_url): Alertmanager, Grafana, the runbook wiki. Any other link is "
        "shown as text",
    )


class CelerySettings(BaseModel):
    task_time_limit_s: int = Field(120, ge=5)
    visibility_timeout_s: int = Field(
        300, ge=1, description="a task whose worker died is redelivered after this long; keep it above the time limit"
    )
    concurrency: int = Field(2, ge=1, description="`opsbot worker` processes (prefork)")
    threads: int = Field(4, ge=1, description="threads of each pool `opsbot up` runs (alerts+chat, collect)")
    chat_max_retries: int = Field(16, ge=0, description="about 30 minutes of retrying before a card is given up")
    dedupe_ttl_s: int = Field(3600, ge=10, description="how long a delivered notification is remembered")
    redeliver_after_s: int = Field(
        30, ge=2, description="a notification not shown on every channel this long after it was accepted is "
        "processed or delivered again (bot.outbox: a worker killed with the message in hand loses nothing)"
    )


class TriageSettings(BaseModel):
    per_source_timeout_s: float = Field(2.0, gt=0, description="each evidence source's time limit")
    total_budget_s: float = Field(4.0, gt=0, description="all sources together, in parallel")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    data_dir: Path = Field(Path(".opsbot"), description="state of every embedded service")
    redis_url: str | None = Field(None, description="broker and state; embedded Valkey when unset")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["console", "json"] = "console"
    web: WebSettings = Field(default_factory=WebSettings)
    webhook_auth: WebhookAuthSettings = Field(default_factory=WebhookAuthSettings)
    routing: RoutingSettings = Field(default_factory=RoutingSettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    mattermost: MattermostSettings = Field(default_factory=MattermostSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    webchat: WebChatSettings = Field(default_factory=WebChatSettings)
    openai_api: OpenAIEndpointSettings = Field(default_factory=OpenAIEndpointSettings)
    links: LinkSettings = Field(default_factory=LinkSettings)
    celery: CelerySettings = Field(default_factory=CelerySettings)
    triage: TriageSettings = Field(default_factory=TriageSettings)
    knowledge: KnowledgeSettings = Field(default_factory=KnowledgeSettings)
    redis_diagnosis: RedisDiagnosisSettings = Field(default_factory=RedisDiagnosisSettings)
    ceph: CephDiagnosisSettings = Field(default_factory=CephDiagnosisSettings)
    kubernetes: KubernetesSettings = Field(default_factory=KubernetesSettings)
    prometheus: PrometheusSettings = Field(default_factory=PrometheusSettings)
    opensearch: OpenSearchSettings = Field(default_factory=OpenSearchSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    storm: StormSettings = Field(default_factory=StormSettings)
    budgets: BudgetSettings = Field(default_factory=BudgetSettings)

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value and urlsplit(value).scheme not in ("redis", "rediss", "unix"):
            raise ValueError("expected a redis://, rediss:// or unix:// URL")
        return value or None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get(CONFIG_FILE_ENV)
        if config_file:
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=config_file))
        return tuple(sources)

    @property
    def console_enabled(self) -> bool:
        if self.console.enabled == "auto":
            return not (self.slack.enabled or self.mattermost.enabled)
        return self.console.enabled == "on"

    @property
    def mattermost_action_url(self) -> str | None:
        """Where Mattermost sends button presses: the bot's public URL, when one is configured."""
        return f"{self.web.public_url.rstrip('/')}/mattermost/action" if self.web.public_url else None

    @property
    def link_hosts(self) -> list[str]:
        """Where cards may link to: the systems configured here and `links.allowed_hosts`. Never what a
        notification says about itself (its `externalURL`, `generatorURL`, `runbook_url`)."""
        urls = [self.prometheus.url, self.opensearch.dashboards_url, self.ceph.docs_url, self.mattermost.url,
                self.web.public_url, *(c.url or "" for c in self.ceph.clusters.values())]
        hosts = [urlsplit(url).hostname or "" for url in urls if url]
        if self.slack.enabled:
            hosts.append("slack.com")
        return [h for h in [*hosts, *self.knowledge.postmortem_hosts, *self.links.allowed_hosts] if h]

    @property
    def cards_path(self) -> Path:
        return self.data_dir / self.console.cards_file


class ConfigError(Exception):
    """A configuration value is wrong; the message says which and what was expected."""


def load_settings(**overrides: Any) -> Settings:
    """Build settings, turning validation and file errors into one readable `ConfigError`."""
    config_file = os.environ.get(CONFIG_FILE_ENV)
    if config_file and not Path(config_file).is_file():
        raise ConfigError(f"{CONFIG_FILE_ENV}={config_file}: no such file")
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        raise ConfigError(describe_settings_error(exc)) from None
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"{CONFIG_FILE_ENV}={config_file}: {exc}") from None


def describe_settings_error(exc: ValidationError) -> str:
    lines = ["invalid configuration:"]
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        env_name = ENV_PREFIX + "__".join(p.upper() for p in loc)
        got = err.get("input")
        shown = "" if isinstance(got, dict) or got is None else f" (got {str(got)[:60]!r})"
        lines.append(f"  {env_name} / {'.'.join(loc)}: {err['msg']}{shown}")
    return "\n".join(lines)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings for the web app and workers (built once, from the environment)."""
    return load_settings()
