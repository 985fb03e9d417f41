"""Redaction: planted secrets of many kinds in logs, events and pasted text never survive; evidence does."""

from __future__ import annotations

from urllib.parse import quote, unquote

import pytest

from integrations.redaction import MARKER, URL_MARKER, find_secrets, is_secret_key, redact, redact_data, redact_url
from tests.support.planted_secrets import LOOKALIKES, PLANTED


@pytest.mark.parametrize(("kind", "text", "secret"), PLANTED, ids=[p[0] for p in PLANTED])
def test_each_kind_is_redacted(kind: str, text: str, secret: str) -> None:
    out = redact(text)
    assert secret not in out, out
    assert MARKER in out


def test_at_least_fifty_kinds_are_covered() -> None:
    assert len({kind for kind, _, _ in PLANTED}) >= 50
    kinds = {span.kind for _, text, _ in PLANTED for span in find_secrets(text)}
    assert len(kinds) >= 40, kinds
    out = redact("\n".join(text for _, text, _ in PLANTED))
    assert not [secret for _, _, secret in PLANTED if secret in out]


KEPT = [
    "pod checkout-7d9f8b6c5-x2x4z in shop OOMKilled exit code 137",
    "image registry.example.internal/shop/checkout@sha256:"
    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "containerID containerd://" + "ab12" * 16,
    "trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span 00f067aa0ba902b7",
    "request 3fa85f64-5717-4562-b3fc-2c963f66afa6 took 120 ms",
    "2026-11-22T10:00:00.123Z ERROR java.lang.OutOfMemoryError: Java heap space",
    'Back-off restarting failed container app in pod checkout-7d9f8b6c5-x2x4z_shop(5d2c...)',
    "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }",
    "/var/lib/kubelet/pods/5d2c6f0e/volumes/kubernetes.io~projected/kube-api-access-abcde",
    "author: alice, tokens used: 512",
]


@pytest.mark.parametrize("text", KEPT)
def test_evidence_that_only_looks_random_is_kept(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(("kind", "text"), LOOKALIKES, ids=[k for k, _ in LOOKALIKES])
def test_lookalikes_are_kept(kind: str, text: str) -> None:
    assert redact(text) == text, find_secrets(text)


def test_at_least_fifty_lookalikes() -> None:
    assert len({kind for kind, _ in LOOKALIKES}) >= 50


@pytest.mark.parametrize(("key", "value", "secret"), [
    ("password", "x", True), ("DB_PASSWORD", "x", True), ("clientSecret", "x", True), ("db_pass", "x", True),
    ("MYSQL_PWD", "x", True), ("x-api-key", "x", True), ("пароль", "x", True), ("Токен", "x", True),
    ("secretName", "db-creds", False), ("secret_name", "x", False), ("secretKeyRef", "x", False),
    ("token_type", "Bearer", False), ("prompt_tokens", "812", False), ("max_tokens", "400", False),
    ("command_tokens", "abc123", True), ("tokenizer", "gpt2", False), ("password_file", "/x", False),
    ("bypass", "cache", False), ("sasl.mechanism", "PLAIN", False), ("compass", "x", False),
])
def test_which_keys_hold_secrets(key: str, value: str, secret: bool) -> None:
    assert is_secret_key(key, value) is secret


def test_a_plain_identifier_is_a_name_except_under_a_password_key() -> None:
    assert redact("secret: db-creds") == "secret: db-creds"
    assert redact("token: shop-api-token") == "token: shop-api-token"
    assert redact("password: correct-horse-battery") == "password: [redacted]"
    assert redact("token: k-123456") == "token: [redacted]"
    assert redact("api_key: s3cr3t-v4lue") == "api_key: [redacted]"


@pytest.mark.parametrize(("kind", "text", "secret"), PLANTED, ids=[p[0] for p in PLANTED])
def test_each_kind_is_redacted_in_a_link(kind: str, text: str, secret: str) -> None:
    """Percent-encoded in a query (a runbook_url, the silence link of a label): decoded, checked, encoded
    again; the link keeps its other parts."""
    url = f"https://runbooks.example.internal/k8s/crashloop?lang=en&note={quote(text, safe='')}#steps"
    out = redact_url(url)
    assert secret not in unquote(out) and quote(secret, safe="") not in out, out
    assert out.startswith("https://runbooks.example.internal/k8s/crashloop?lang=en&note=") and out.endswith("#steps")
    assert URL_MARKER in out and MARKER not in out


def test_silence_link_keeps_its_labels_and_loses_the_secret() -> None:
    labels = '{alertname="KubePodCrashLooping",namespace="shop",token="ghp_1234567890abcdefghijABCDEFGHIJ123456"}'
    url = f"http://alertmanager.example.internal/#/silences/new?filter={quote(labels, safe='')}"
    out = redact_url(url)
    assert "ghp_" not in unquote(out)
    assert unquote(out) == ('http://alertmanager.example.internal/#/silences/new?filter={alertname="KubePodCrashLooping",'
                            'namespace="shop",token=[redacted]}')
    assert redact_url(out) == out  # idempotent


def test_links_without_secrets_are_unchanged() -> None:
    for url in ("http://alertmanager.example.internal/#/silences/new?filter=%7Balertname%3D%22X%22%7D",
                "http://prometheus.example.internal/graph?g0.expr=up%7Bjob%3D%22api%22%7D+%3D%3D+0&g0.tab=1",
                "https://runbooks.example.internal/k8s/oomkilled", "https://u@h.example/x?y=1"):
        assert redact_url(url) == url
    assert redact_url("https://ops:hunter2-pw@h.example/x") == f"https://ops:{URL_MARKER}@h.example/x"


def test_percent_encoded_secrets_in_text_are_found() -> None:
    line = "GET /login?next=%2Fadmin%3Fpassword%3DEnc0ded-Pa55&lang=en HTTP/1.1"
    assert redact(line) == "GET /login?next=[redacted]&lang=en HTTP/1.1"
    double = "q=" + quote(quote("token=ghp_1234567890abcdefghijABCDEFGHIJ123456", safe=""), safe="")
    assert "ghp_" not in unquote(unquote(redact(double)))


def test_idempotent_and_structured() -> None:
    once = redact("password=hunter2 Authorization: Bearer abcdefghijklmnop1234")
    assert redact(once) == once == "password=[redacted] Authorization: Bearer [redacted]"
    data = redact_data({"lines": ["token=abc123456", 5], "nested": {"url": "https://u:pw123@h/x"},
                        "db_password": "plain", "prompt_tokens": 12, "secretName": "db-creds",
                        "token_type": "Bearer", "password": "${DB_PASSWORD}"})
    assert data == {"lines": ["token=[redacted]", 5], "nested": {"url": f"https://u:{URL_MARKER}@h/x"},
                    "db_password": "[redacted]", "prompt_tokens": 12, "secretName": "db-creds",
                    "token_type": "Bearer", "password": "${DB_PASSWORD}"}
    assert redact("") == ""


@pytest.mark.parametrize(("text", "expected"), [
    ("log line: password=hunter2-very-secret", "log line: password=[redacted]"),
    ("msg=login failed, token=abcd1234efgh done", "msg=login failed, token=[redacted] done"),
    ('event: {"user": "bob", "api_key": "k-123456"}', 'event: {"user": "bob", "api_key": [redacted]}'),
])
def test_secrets_inside_the_value_of_an_ordinary_key(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_fast_enough_for_every_log_line() -> None:
    text = "\n".join(f"2026-11-22 INFO served request {i} for pod checkout-7d9f8b6c5-x2x4z" for i in range(2000))
    assert redact(text) == text  # correctness only: the timing is measured in bench/evidence_bench.py
