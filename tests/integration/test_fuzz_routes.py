"""Property-based fuzzing of every route of the real web app (real Redis): whatever arrives, the answer
is never a 5xx nor an ERROR in the log, and a notification the webhook accepts is one the worker can
turn into a card.

Requests go over a raw socket (tests.support.raw_http), so headers can be any bytes (latin-1, invalid
UTF-8) and bodies anything at all. Examples are bounded (about 5,000 requests, under 20 s);
the status codes are counted and printed at the end (`pytest -s`), the figures the README quotes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import redis as redis_lib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import load_settings
from bot.feedback_reason import CALLBACK_ID as REASON_CALLBACK
from bot.feedback_reason import ReasonState
from bot.incidents import IncidentMeta, merge_notification
from core.events import AlertGroup, Command
from handlers.triage import first_card
from integrations.chat import redact_card
from integrations.mattermost import sign_action
from tests.support.chat_requests import MATTERMOST_COMMAND_TOKEN, MATTERMOST_OUTGOING_TOKEN, SLACK_SIGNING_SECRET
from tests.support.fakes.slack_api import BOT_TOKEN, FakeSlack
from tests.support.raw_http import app_in_thread, request
from tests.support.webhook_receiver import TOKEN

ACTION_SECRET = "action-signing-secret"
OPENAI_KEY = "sk-fuzz"
CSRF = "fuzz-csrf-token"
FIRING = json.loads((Path(__file__).parents[1] / "data" / "webhook-firing.json").read_text())
STATUSES: Counter[tuple[str, int]] = Counter()
SERVER_SIDE: set[tuple[str, int]] = set()  # 5xx a route may answer that is not about the request


class Errors(logging.Handler):
    """Every record at ERROR or above, from any logger (the app logs on its own thread)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


ERRORS = Errors()
FUZZ = settings(deadline=None, database=None, suppress_health_check=list(HealthCheck), print_blob=True)


@pytest.fixture(scope="module")
def port(redis_url: str, fake_slack: FakeSlack) -> Iterator[int]:
    redis_lib.Redis.from_url(redis_url).flushall()
    app_settings = load_settings(
        redis_url=redis_url,
        webhook_auth={"bearer_token": TOKEN},
        web={"max_body_bytes": 64 * 1024, "body_timeout_s": 2},
        slack={"bot_token": BOT_TOKEN, "signing_secret": SLACK_SIGNING_SECRET, "api_url": fake_slack.api_url},
        mattermost={"command_tokens": [MATTERMOST_COMMAND_TOKEN], "action_secret": ACTION_SECRET,
                    "outgoing_tokens": [MATTERMOST_OUTGOING_TOKEN]},
        webchat={"enabled": True},
        openai_api={"api_keys": [OPENAI_KEY], "timeout_s": 0.2},  # no worker runs here: a valid question gets 503
    )
    logging.getLogger().addHandler(ERRORS)
    try:
        with app_in_thread(app_settings) as serving:
            yield serving
    finally:
        logging.getLogger().removeHandler(ERRORS)


@pytest.fixture(scope="module")
def broker(redis_url: str) -> Iterator[redis_lib.Redis]:
    client = redis_lib.Redis.from_url(redis_url)
    yield client
    client.close()


# --- strategies ----------------------------------------------------------------------------------

SURROGATES = st.text(st.characters(categories=["Cs"]), min_size=1, max_size=2)
TEXT = st.text(max_size=24) | SURROGATES | st.sampled_from(["", "None", "null", "0", "-1", "1.5", "é", "\x00"])
SCALARS = (st.none() | st.booleans() | st.integers(min_value=-(10**30), max_value=10**30)
           | st.floats(allow_nan=False, allow_infinity=False) | TEXT)
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
                    max_leaves=12)
ZONES = st.none() | st.just(UTC) | st.builds(timezone, st.timedeltas(min_value=timedelta(hours=-23),
                                                                     max_value=timedelta(hours=23)))
TIMES = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=ZONES).map(
    lambda d: d.isoformat()) | st.sampled_from(["0001-01-01T00:00:00Z", "0001-01-01T00:00:00+05:00",
                                                "9999-12-31T23:59:59-05:00", "2026-11-22T13:06:16",
                                                "2026-11-22", "yesterday", "1e20"])
HEADER_BYTES = st.binary(max_size=40).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))
HUGE = st.sampled_from(["9" * 5000, "[" * 3000 + "]" * 3000, '{"a":' * 1200 + "1" + "}" * 1200, "1e999", "NaN"])

WEBHOOK_PATHS: list[tuple[Any, ...]] = [
    ("version",), ("status",), ("groupKey",), ("receiver",), ("truncatedAlerts",), ("externalURL",),
    ("commonLabels",), ("commonLabels", "team"), ("commonAnnotations", "summary"), ("groupLabels",), ("alerts",),
    ("alerts", 0), ("alerts", 0, "status"), ("alerts", 0, "startsAt"), ("alerts", 0, "endsAt"),
    ("alerts", 0, "labels"), ("alerts", 0, "labels", "team"), ("alerts", 0, "labels", "alertname"),
    ("alerts", 0, "annotations", "description"), ("alerts", 0, "fingerprint"), ("alerts", 0, "generatorURL"),
]


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> None:
    """Set `path` in `doc` when the path still exists (an earlier mutation may have replaced a parent)."""
    for step in path[:-1]:
        try:
            doc = doc[step]
        except (KeyError, IndexError, TypeError):
            return
    if isinstance(doc, dict) or (isinstance(doc, list) and isinstance(path[-1], int) and path[-1] < len(doc)):
        doc[path[-1]] = value


@st.composite
def webhook_bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["mutated", "mutated", "mutated", "times", "json", "bytes", "huge"]))
    if kind in ("mutated", "times"):
        doc = json.loads(json.dumps(FIRING))
        second = dict(doc["alerts"][0], fingerprint="second")
        doc["alerts"].append(second)
        if kind == "times":  # naive, aware, mixed, out of range: every alert's start and end
            for alert in doc["alerts"]:
                alert["startsAt"] = draw(TIMES)
                if draw(st.booleans()):
                    alert["status"] = "resolved"
                    alert["endsAt"] = draw(TIMES)
            doc["status"] = draw(st.sampled_from(["firing", "resolved"]))
        else:
            for _ in range(draw(st.integers(1, 3))):
                _set(doc, draw(st.sampled_from(WEBHOOK_PATHS)), draw(JSON | TIMES))
        return json.dumps(doc).encode()
    if kind == "json":
        return json.dumps(draw(JSON)).encode()
    if kind == "huge":
        return draw(HUGE).encode()
    return draw(st.binary(max_size=200))


def _auth(draw: st.DrawFn) -> list[tuple[bytes, bytes]]:
    choice = draw(st.sampled_from(["bearer", "bearer", "bearer", "none", "random", "latin1", "basic"]))
    if choice == "bearer":
        return [(b"Authorization", f"Bearer {TOKEN}".encode())]
    if choice == "latin1":
        return [(b"Authorization", "Bearer é-token-ü".encode("latin-1"))]
    if choice == "basic":
        return [(b"Authorization", b"Basic " + base64.b64encode(draw(st.binary(max_size=20))))]
    if choice == "random":
        return [(b"Authorization", draw(HEADER_BYTES))]
    return []


def _content_type(draw: st.DrawFn, usual: str) -> list[tuple[bytes, bytes]]:
    value = draw(st.sampled_from([usual, usual, usual, "", "application/json", "application/x-www-form-urlencoded",
                                  "text/plain; charset=klingon", "multipart/form-data; boundary=x",
                                  f"{usual}; charset=latin-1"]))
    return [(b"Content-Type", value.encode())] if value else []


def _slack_signature(body: bytes, timestamp: bytes) -> bytes:
    digest = hmac.new(SLACK_SIGNING_SECRET.encode(), b"v0:" + timestamp + b":" + body, hashlib.sha256).hexdigest()
    return b"v0=" + digest.encode()


def _form(draw: st.DrawFn, fields: list[str]) -> dict[str, str]:
    out = {}
    for name in fields:
        if draw(st.integers(0, 4)):
            out[name] = draw(st.text(max_size=30) | st.sampled_from(["", "/oncall", "help", "/ceph", "ask x"]))
    return out


def _maybe_surrogates(text: str, draw: st.DrawFn) -> str:
    return text + draw(SURROGATES) if draw(st.integers(0, 9)) == 0 else text


# --- checks --------------------------------------------------------------------------------------

def _record(route: str, status: int, server_side: frozenset[int] = frozenset()) -> None:
    """`server_side`: 5xx statuses that are not about the request (no worker in this test to answer it)."""
    STATUSES[(route, status)] += 1
    assert 0 < status < 500 or status in server_side, f"{route}: HTTP {status}"
    if status >= 500:
        SERVER_SIDE.add((route, status))


def _becomes_a_card(broker: redis_lib.Redis) -> None:
    """What process_alert_group does with an accepted notification (fold, first card, store), minus Celery."""
    raw = broker.rpop("alerts")
    assert raw is not None, "accepted but not queued"
    message = json.loads(raw)
    (payload, received_at), _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
    group = AlertGroup.model_validate(payload)
    meta = IncidentMeta(key=group.incident_key, receiver=group.receiver, group_key=group.groupKey,
                        status=group.status, labels=group.commonLabels, first_received_at=received_at,
                        first_seen=min(a.startsAt for a in group.alerts), channels=["console:oncall"])
    merge_notification(meta, group)
    meta.base_card = first_card(group, first_seen=meta.first_seen)
    meta.model_dump_json().encode("utf-8")
    json.dumps(redact_card(meta.base_card).model_dump(mode="json"), ensure_ascii=False).encode("utf-8")


# --- the routes ----------------------------------------------------------------------------------

@settings(FUZZ, max_examples=1500)
@given(data=st.data())
def test_webhook(port: int, broker: redis_lib.Redis, data: st.DataObject) -> None:
    body = data.draw(webhook_bodies())
    headers = _auth(data.draw) + _content_type(data.draw, "application/json")
    answer = request(port, "POST", "/webhook/alertmanager", headers, body)
    _record("webhook", answer.status)
    assert answer.body or answer.status == 200, "a refusal without a reason"
    if answer.status == 200 and json.loads(answer.body)["status"] == "accepted":
        _becomes_a_card(broker)


@st.composite
def slack_requests(draw: st.DrawFn) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    kind = draw(st.sampled_from(["command", "event", "action", "json", "bytes", "huge", "challenge"]))
    if kind == "command":
        fields = _form(draw, ["command", "text", "channel_id", "user_name", "trigger_id", "response_url", "team_id"])
        body = urlencode(fields).encode()
        usual = "application/x-www-form-urlencoded"
    elif kind == "event":
        event = draw(st.fixed_dictionaries({"type": st.just("app_mention")}, optional={
            "text": JSON, "channel": JSON, "user": JSON, "ts": JSON, "thread_ts": JSON}) | JSON)
        doc = {"type": "event_callback", "event": event, "team_id": draw(JSON), "event_id": draw(JSON),
               "authorizations": draw(JSON)}
        body, usual = json.dumps(doc).encode(), "application/json"
    elif kind == "action":
        payload = {"type": "block_actions", "actions": draw(st.lists(JSON, max_size=2)), "channel": draw(JSON),
                   "user": draw(JSON), "message": draw(JSON), "team": draw(JSON)}
        body, usual = urlencode({"payload": json.dumps(payload)}).encode(), "application/x-www-form-urlencoded"
    elif kind == "challenge":
        body, usual = json.dumps({"type": "url_verification", "challenge": draw(JSON)}).encode(), "application/json"
    elif kind == "json":
        body, usual = json.dumps(draw(JSON)).encode(), "application/json"
    elif kind == "huge":
        body, usual = draw(HUGE).encode(), "application/json"
    else:
        body, usual = draw(st.binary(max_size=200)), "application/x-www-form-urlencoded"
    signing = draw(st.sampled_from(["valid", "valid", "valid", "float", "text", "old", "random", "none"]))
    now = str(int(time.time())).encode()
    headers = _content_type(draw, usual)
    if signing == "valid":
        headers += [(b"X-Slack-Request-Timestamp", now), (b"X-Slack-Signature", _slack_signature(body, now))]
    elif signing == "float":
        ts = now + b".5"
        headers += [(b"X-Slack-Request-Timestamp", ts), (b"X-Slack-Signature", _slack_signature(body, ts))]
    elif signing == "text":
        headers += [(b"X-Slack-Request-Timestamp", draw(HEADER_BYTES)), (b"X-Slack-Signature", draw(HEADER_BYTES))]
    elif signing == "old":
        ts = str(int(time.time()) - 3600).encode()
        headers += [(b"X-Slack-Request-Timestamp", ts), (b"X-Slack-Signature", _slack_signature(body, ts))]
    elif signing == "random":
        headers += [(b"X-Slack-Request-Timestamp", now), (b"X-Slack-Signature", draw(HEADER_BYTES))]
    return body, headers


@settings(FUZZ, max_examples=1500)
@given(req=slack_requests())
def test_slack_events(port: int, req: tuple[bytes, list[tuple[bytes, bytes]]]) -> None:
    body, headers = req
    _record("slack", request(port, "POST", "/slack/events", headers, body).status)


@st.composite
def mattermost_commands(draw: st.DrawFn) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    fields = _form(draw, ["command", "text", "channel_id", "user_name", "trigger_id", "response_url"])
    if draw(st.integers(0, 3)):
        fields["token"] = MATTERMOST_COMMAND_TOKEN
    body = urlencode({k: _maybe_surrogates(v, draw) for k, v in fields.items()}, errors="surrogatepass").encode()
    if draw(st.integers(0, 9)) == 0:
        body = draw(st.binary(max_size=100) | HUGE.map(str.encode))
    headers = _content_type(draw, "application/x-www-form-urlencoded")
    if draw(st.booleans()):
        headers.append((b"Authorization", draw(HEADER_BYTES | st.just(f"Token {MATTERMOST_COMMAND_TOKEN}".encode()))))
    return body, headers


@settings(FUZZ, max_examples=600)
@given(req=mattermost_commands())
def test_mattermost_command(port: int, req: tuple[bytes, list[tuple[bytes, bytes]]]) -> None:
    body, headers = req
    _record("mattermost_command", request(port, "POST", "/mattermost/command", headers, body).status)


def _usually(draw: st.DrawFn, doc: Any) -> bytes:
    """Mostly the document as JSON; sometimes any JSON, a huge body or random bytes instead."""
    kind = draw(st.sampled_from(["doc", "doc", "doc", "json", "huge", "bytes"]))
    if kind == "json":
        return json.dumps(draw(JSON)).encode()
    if kind == "huge":
        return draw(HUGE).encode()
    if kind == "bytes":
        return draw(st.binary(max_size=100))
    return json.dumps(doc).encode()


@st.composite
def mattermost_actions(draw: st.DrawFn) -> bytes:
    action, value = draw(TEXT), draw(TEXT)
    signature: Any = draw(st.sampled_from(["valid", "valid", "random", "non-ascii", "json"]))
    if draw(st.booleans()):
        action = "draft_postmortem"
    if signature == "valid":
        try:
            signature = sign_action(ACTION_SECRET, action, value)
        except UnicodeEncodeError:
            signature = "x"
    elif signature == "non-ascii":
        signature = "é" * 64
    elif signature == "json":
        signature = draw(JSON)
    else:
        signature = draw(TEXT)
    context: Any = {"action": action, "value": value, "signature": signature}
    if draw(st.integers(0, 5)) == 0:
        context = draw(JSON)
    usually = st.sampled_from(["c1", "alice", "p1", ""])
    doc: Any = {"context": context, "channel_id": draw(usually | JSON), "user_name": draw(usually | JSON),
                "post_id": draw(usually | JSON)}
    return _usually(draw, doc)


@settings(FUZZ, max_examples=600)
@given(body=mattermost_actions(), data=st.data())
def test_mattermost_action(port: int, body: bytes, data: st.DataObject) -> None:
    headers = _content_type(data.draw, "application/json")
    _record("mattermost_action", request(port, "POST", "/mattermost/action", headers, body).status)


@st.composite
def mattermost_dialogs(draw: st.DrawFn) -> bytes:
    """Dialog submissions: a state signed right for its user, one signed for someone else, edited, or junk."""
    user = draw(st.sampled_from(["u1", "u1", "u1", "alice", ""])) if draw(st.integers(0, 4)) else draw(TEXT)
    channel = draw(st.sampled_from(["c1", "c1", ""])) if draw(st.integers(0, 4)) else draw(TEXT)
    state: Any = ReasonState.model_construct(  # unvalidated: too long or odd cards must reach the route too
        card=draw(st.sampled_from(["k1", "k1", "x" * 300]) | TEXT), channel="c1", post="p1", user_id="u1",
        signature="") if draw(st.integers(0, 3)) else None
    if state is not None:
        try:
            state = state.signed(ACTION_SECRET).dumps() if draw(st.integers(0, 3)) else state.dumps()
        except (UnicodeEncodeError, ValueError):
            state = "x"
    doc: Any = {"type": "dialog_submission", "callback_id": REASON_CALLBACK,
                "state": state if state is not None else draw(TEXT | JSON), "user_id": user, "channel_id": channel,
                "submission": {"reason": draw(TEXT)}, "cancelled": draw(st.booleans())}
    if not draw(st.integers(0, 2)):  # any field odd
        doc.update(draw(st.dictionaries(st.sampled_from(["type", "callback_id", "submission", "cancelled"]),
                                        JSON | TEXT, max_size=2)))
    return _usually(draw, doc)


@settings(FUZZ, max_examples=400)
@given(body=mattermost_dialogs(), data=st.data())
def test_mattermost_dialog(port: int, broker: redis_lib.Redis, body: bytes, data: st.DataObject) -> None:
    headers = _content_type(data.draw, "application/json")
    _record("mattermost_dialog", request(port, "POST", "/mattermost/dialog", headers, body).status)
    broker.delete("collect")


@st.composite
def mattermost_mentions(draw: st.DrawFn) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    doc: dict[str, Any] = {"token": MATTERMOST_OUTGOING_TOKEN if draw(st.integers(0, 3)) else draw(JSON),
                           "channel_id": draw(st.just("chan1") | JSON), "text": draw(st.none() | JSON),
                           "trigger_word": draw(st.just("@opsbot") | JSON), "post_id": draw(JSON),
                           "user_name": draw(JSON)}
    as_json = draw(st.booleans())
    if as_json:
        body = json.dumps(doc).encode()
    else:
        body = urlencode({k: str(v) for k, v in doc.items() if v is not None}, errors="surrogatepass").encode()
    if draw(st.integers(0, 9)) == 0:
        body = draw(st.binary(max_size=100) | HUGE.map(str.encode))
    return body, _content_type(draw, "application/json" if as_json else "application/x-www-form-urlencoded")


@settings(FUZZ, max_examples=600)
@given(req=mattermost_mentions())
def test_mattermost_mention(port: int, broker: redis_lib.Redis, req: tuple[bytes, list[tuple[bytes, bytes]]]) -> None:
    body, headers = req
    _record("mattermost_mention", request(port, "POST", "/mattermost/mention", headers, body).status)
    for raw in broker.lrange("collect", 0, -1):  # whatever was queued is a valid command for the worker
        message = json.loads(raw)
        if message["headers"]["task"] == "bot.tasks.run_command":
            _key, command, _at = json.loads(base64.b64decode(message["body"]))[0]
            Command.model_validate(command)
    broker.delete("collect")


WEB_FIELDS = ["text", "command", "action", "value", "thread", "post_id", "incident", "channel", "note", "vote"]
WEB_VALUES = (TEXT | JSON | st.sampled_from(["/ask how do I debug a pod", "/ceph HEALTH_WARN 1 osds down",
                                             "/oncall help", "draft_postmortem", "feedback_up", "feedback_down"]))


@st.composite
def web_posts(draw: st.DrawFn) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """Board POSTs: sometimes with the double-submit CSRF token right (so the body itself is read)."""
    kind = draw(st.sampled_from(["fields", "fields", "json", "bytes", "huge"]))
    if kind == "fields":
        body = json.dumps(draw(st.dictionaries(st.sampled_from(WEB_FIELDS), WEB_VALUES, max_size=4))).encode()
    elif kind == "json":
        body = json.dumps(draw(JSON)).encode()
    else:
        body = draw(HUGE).encode() if kind == "huge" else draw(st.binary(max_size=120))
    headers = _content_type(draw, "application/json")
    token = draw(st.sampled_from([CSRF, CSRF, CSRF, "", "other"]))
    if token:
        headers += [(b"Cookie", f"opsbot_csrf={CSRF}".encode()), (b"X-CSRF-Token", token.encode())]
    if draw(st.booleans()):
        headers.append((b"Origin", draw(st.sampled_from([b"http://127.0.0.1", b"http://evil.example", b"null"]))))
    return body, headers


@settings(FUZZ, max_examples=600)
@given(path=st.sampled_from(["/web/command", "/web/action", "/web/reply"]), req=web_posts(),
       host=st.sampled_from([b"127.0.0.1", b"127.0.0.1", b"localhost", b"evil.example"]))
def test_web_channel_posts(port: int, broker: redis_lib.Redis, path: str,
                           req: tuple[bytes, list[tuple[bytes, bytes]]], host: bytes) -> None:
    body, headers = req
    _record(path.strip("/"), request(port, "POST", path, headers, body, host=host).status)
    broker.delete("collect")


@st.composite
def chat_completions(draw: st.DrawFn) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    message = st.fixed_dictionaries({"role": st.sampled_from(["user", "system", "assistant"]) | TEXT,
                                     "content": WEB_VALUES | st.lists(st.dictionaries(TEXT, JSON, max_size=2))})
    doc = draw(st.fixed_dictionaries({"model": st.sampled_from(["opsbot", "opsbot", "gpt-4"]) | TEXT,
                                      "messages": st.lists(message, max_size=3) | JSON},
                                     optional={"stream": st.booleans() | JSON}))
    body = json.dumps(doc).encode() if draw(st.integers(0, 4)) else draw(st.binary(max_size=80) | HUGE.map(str.encode))
    key = draw(st.sampled_from([OPENAI_KEY, OPENAI_KEY, "", "sk-wrong"]))
    headers = _content_type(draw, "application/json") + ([(b"Authorization", f"Bearer {key}".encode())] if key else [])
    return body, headers


@settings(FUZZ, max_examples=400)
@given(req=chat_completions())
def test_openai_chat_completions(port: int, broker: redis_lib.Redis,
                                 req: tuple[bytes, list[tuple[bytes, bytes]]]) -> None:
    body, headers = req
    _record("v1/chat/completions", request(port, "POST", "/v1/chat/completions", headers, body).status,
            server_side=frozenset({503}))
    broker.delete("collect", "llm")


@settings(FUZZ, max_examples=300)
@given(path=st.sampled_from(["/healthz", "/readyz", "/metrics", "/v1/models", "/web", "/web/status", "/web/static/",
                             "/web/login", "/knowledge/"]), query=st.text(max_size=20),
       headers=st.lists(st.tuples(st.sampled_from([b"Authorization", b"Accept", b"X-Forwarded-For", b"Cookie"]),
                                  HEADER_BYTES), max_size=3),
       body=st.binary(max_size=50))
def test_get_routes(port: int, path: str, query: str, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    from urllib.parse import quote

    if path.endswith("/") and path != "/":  # a name under it: /web/static/<name>, /knowledge/<source>
        path, query = path + quote(query, safe="/."), ""
    answer = request(port, "GET", f"{path}?{quote(query)}" if query else path, headers, body, host=b"127.0.0.1")
    _record(path.strip("/").split("/")[0], answer.status)


def test_zz_figures() -> None:
    """The figures: requests per route and status (printed with -s); none of them a 5xx."""
    total = sum(STATUSES.values())
    by_route: dict[str, dict[int, int]] = {}
    for (route, status), count in sorted(STATUSES.items()):
        by_route.setdefault(route, {})[status] = count
    print(f"\nfuzzed requests: {total}")
    for route, counts in by_route.items():
        print(f"  {route}: {sum(counts.values())} -> " + ", ".join(f"{s}: {n}" for s, n in sorted(counts.items())))
    assert not [key for key in STATUSES if key[1] >= 500 and key not in SERVER_SIDE]
    errors = [f"{r.name}: {r.getMessage()}" for r in ERRORS.records]
    print(f"  records logged at ERROR or above: {len(errors)}")
    assert not errors, errors[:5]  # a client's mistake is never an ERROR with a traceback
