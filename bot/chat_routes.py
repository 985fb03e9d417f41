"""The chat route registry: the web endpoints of each chat platform, added only when it is configured.

Each platform's module (slack-bolt, the Mattermost handlers) is imported only when its routes are
added, so a web process without Slack never imports slack-bolt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from bot.config import Settings


@dataclass(frozen=True)
class ChatRoutes:
    enabled: Callable[[Settings], bool]
    add: Callable[[web.Application, Settings], None]


def _slack_enabled(settings: Settings) -> bool:
    return bool(settings.slack.signing_secret and settings.slack.bot_token)


def _add_slack(app: web.Application, settings: Settings) -> None:
    from bot.slack_app import add_slack_routes

    slack = settings.slack
    assert slack.signing_secret is not None and slack.bot_token is not None  # _slack_enabled
    app_token = slack.app_token if slack.socket_mode else None
    add_slack_routes(app, signing_secret=slack.signing_secret.get_secret_value(),
                     bot_token=slack.bot_token.get_secret_value(), api_url=slack.api_url,
                     app_token=app_token.get_secret_value() if app_token else None)


def _mattermost_enabled(settings: Settings) -> bool:
    return bool(settings.mattermost.command_tokens or settings.mattermost.outgoing_tokens)


def _add_mattermost(app: web.Application, settings: Settings) -> None:
    from bot.mattermost_routes import add_mattermost_routes

    mattermost = settings.mattermost
    add_mattermost_routes(app, command_tokens=[t.get_secret_value() for t in mattermost.command_tokens],
                          action_secret=mattermost.action_secret.get_secret_value() if mattermost.action_secret
                          else "",
                          outgoing_tokens=[t.get_secret_value() for t in mattermost.outgoing_tokens])


def _add_web(app: web.Application, settings: Settings) -> None:
    from bot.web_channel.routes import add_web_routes

    add_web_routes(app, settings)


def _add_openai(app: web.Application, settings: Settings) -> None:
    from bot.openai_api import add_openai_routes

    add_openai_routes(app, settings)


CHAT_ROUTES: dict[str, ChatRoutes] = {
    "slack": ChatRoutes(enabled=_slack_enabled, add=_add_slack),
    "mattermost": ChatRoutes(enabled=_mattermost_enabled, add=_add_mattermost),
    "web": ChatRoutes(enabled=lambda settings: settings.webchat.enabled, add=_add_web),
    "openai": ChatRoutes(enabled=lambda settings: bool(settings.openai_api.api_keys), add=_add_openai),
}


def add_chat_routes(app: web.Application, settings: Settings) -> None:
    for routes in CHAT_ROUTES.values():
        if routes.enabled(settings):
            routes.add(app, settings)
