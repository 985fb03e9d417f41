"""The only way opsbot talks to a Redis server: a wrapper that sends allowlisted read-only commands.

Every command goes through `ReadOnlyRedis.execute`, which checks the allowlist *before* anything
reaches the socket. The connection handshake is limited too: no CLIENT SETINFO/SETNAME, no retries
that could replay anything, and replies come back raw (no redis-py callbacks) so that live data
and pasted redis-cli output go through the same parsers.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.client import CaseInsensitiveDict
from redis.retry import Retry

from integrations.redis.config import RedisInstance

# CONFIG GET only for these parameters (a glob such as `*` would read passwords).
CONFIG_GET_PARAMS = frozenset({"maxmemory*", "appendfsync", "save", "repl-backlog-size", "maxclients"})
INFO_SECTIONS = frozenset({"all", "everything", "default", "server", "clients", "memory", "persistence",
                           "stats", "replication", "cpu", "commandstats", "errorstats", "latencystats",
                           "keyspace", "modules", "cluster"})


def _no_args(rest: list[str]) -> bool:
    return not rest


# (command, subcommand or None) -> which further arguments are allowed. Nothing else is ever sent.
ALLOWED: dict[tuple[str, str | None], Callable[[list[str]], bool]] = {
    ("INFO", None): lambda rest: all(w.lower() in INFO_SECTIONS for w in rest),
    ("SLOWLOG", "GET"): lambda rest: not rest or (len(rest) == 1 and rest[0].isdigit()),
    ("SLOWLOG", "LEN"): _no_args,
    ("LATENCY", "LATEST"): _no_args,
    ("LATENCY", "DOCTOR"): _no_args,
    ("MEMORY", "STATS"): _no_args,
    ("MEMORY", "DOCTOR"): _no_args,
    ("CLIENT", "LIST"): _no_args,
    ("CONFIG", "GET"): lambda rest: len(rest) == 1 and rest[0].lower() in CONFIG_GET_PARAMS,
    ("ROLE", None): _no_args,
    ("DBSIZE", None): _no_args,
    ("PING", None): _no_args,
}
_WITH_SUBCOMMAND = frozenset(name for name, sub in ALLOWED if sub is not None)


class CommandNotAllowed(PermissionError):
    """opsbot refused to send a command that is not on the read-only allowlist."""


class RedisUnavailable(ConnectionError):
    """The server could not be reached or refused us (auth, TLS, timeout)."""


def check_allowed(args: Sequence[str | int | float | bytes]) -> None:
    """Raise `CommandNotAllowed` unless `args` is an allowlisted read-only command with allowed arguments."""
    words = [a.decode(errors="replace") if isinstance(a, bytes) else str(a) for a in args]
    if not words:
        raise CommandNotAllowed("empty command")
    name = words[0].upper()
    if name in _WITH_SUBCOMMAND:
        key: tuple[str, str | None] = (name, words[1].upper() if len(words) > 1 else "")
        rest = words[2:]
    else:
        key, rest = (name, None), words[1:]
    shown = " ".join(w for w in (key[0], key[1]) if w)
    if key not in ALLOWED:
        raise CommandNotAllowed(f"{shown} is not on opsbot's read-only allowlist")
    if not ALLOWED[key](rest):
        raise CommandNotAllowed(f"{shown} is allowed, but not with these arguments: {' '.join(rest)[:80]}")


class ReadOnlyRedis:
    """A connection to one instance that can only run allowlisted commands."""

    def __init__(self, instance: RedisInstance) -> None:
        self._client = _connect(instance)

    def execute(self, *args: str | int) -> Any:
        check_allowed(args)  # the one gate every command passes
        try:
            return self._client.execute_command(*args)
        except (redis.ConnectionError, redis.TimeoutError, redis.AuthenticationError) as exc:
            raise RedisUnavailable(str(exc) or type(exc).__name__) from exc

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> ReadOnlyRedis:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _connect(instance: RedisInstance) -> redis.Redis:
    options: dict[str, Any] = {
        "socket_timeout": instance.timeout_s,
        "socket_connect_timeout": instance.timeout_s,
        "decode_responses": True,
        "encoding_errors": "replace",
        "retry": Retry(NoBackoff(), 0),
        "lib_name": None,
        "lib_version": None,
        "protocol": 2,
        "single_connection_client": True,
    }
    if instance.username:
        options["username"] = instance.username
    if instance.password is not None:
        options["password"] = instance.password.get_secret_value()
    if instance.tls or instance.url.startswith("rediss://"):
        options.update(connection_class=redis.SSLConnection, ssl_ca_certs=instance.tls_ca_file,
                       ssl_certfile=instance.tls_cert_file, ssl_keyfile=instance.tls_key_file,
                       ssl_cert_reqs=ssl.CERT_REQUIRED if instance.tls_verify else ssl.CERT_NONE,
                       ssl_check_hostname=instance.tls_verify)
    try:  # a single-connection client connects (and authenticates) right here
        client = redis.Redis.from_url(instance.url, **options)
    except ValueError as exc:
        raise RedisUnavailable(f"bad URL: {exc}") from None
    except (redis.ConnectionError, redis.TimeoutError, redis.AuthenticationError, OSError) as exc:
        raise RedisUnavailable(str(exc) or type(exc).__name__) from None
    except redis.ResponseError as exc:  # e.g. WRONGPASS, NOAUTH
        raise RedisUnavailable(f"refused: {exc}") from None
    client.response_callbacks = CaseInsensitiveDict({})  # raw replies, parsed by integrations.redis.parsers
    return client
