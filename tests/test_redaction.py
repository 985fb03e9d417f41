"""Redaction: planted secrets of many kinds in logs, events and pasted text never survive; evidence does."""

from __future__ import annotations

import pytest

from integrations.redaction import MARKER, find_secrets, redact, redact_data

# (kind, text with the secret, the secret itself). Test values only: none is a live credential.
PLANTED: list[tuple[str, str, str]] = [
    ("bearer", "GET /api Authorization: Bearer 9f8e7d6c5b4a39281706aBcDeF", "9f8e7d6c5b4a39281706aBcDeF"),
    ("bearer_plain", "curl -H 'x' token qwertyuiopasdfghjklzxcvbnm12", "qwertyuiopasdfghjklzxcvbnm12"),
    ("basic_auth", "Authorization: Basic dXNlcjpodW50ZXIyMjIy", "dXNlcjpodW50ZXIyMjIy"),
    ("jwt", "session eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U ok",
     "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
    ("aws_access_key_id", "using key AKIAIOSFODNN7EXAMPLE for s3", "AKIAIOSFODNN7EXAMPLE"),
    ("aws_secret_key", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ("gcp_api_key", "maps key=AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY done", "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"),
    ("gcp_service_account", '{"type": "service_account", "private_key_id": "d41d8cd98f00b204e9800998ecf8427e"}',
     "d41d8cd98f00b204e9800998ecf8427e"),
    ("gcp_oauth", "access ya29.a0AfH6SMBx3kQq1ZrL9vVbNc8tYfG2hJk4mPwXs7uE",
     "ya29.a0AfH6SMBx3kQq1ZrL9vVbNc8tYfG2hJk4mPwXs7uE"),
    ("azure_storage", "DefaultEndpointsProtocol=https;AccountName=shop;AccountKey=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA==;"
     "EndpointSuffix=core.windows.net", "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA=="),
    ("azure_sas", "https://shop.blob.core.windows.net/c/f?sv=2022-11-02&sig=k3Jd8sLm2Qp9xYz4TvB7nW1eRt6uIo0%3D",
     "k3Jd8sLm2Qp9xYz4TvB7nW1eRt6uIo0%3D"),
    ("azure_client_secret", "client secret used: abc8Q~Zx9yW8vU7tS6rQ5pO4nM3lK2jI1hG0fE_d",
     "abc8Q~Zx9yW8vU7tS6rQ5pO4nM3lK2jI1hG0fE_d"),
    ("private_key", "key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq\nZx0Yw\n"
     "-----END RSA PRIVATE KEY-----\nnext",
     "MIIEowIBAAKCAQEA7bq"),
    ("openssh_key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----",
     "b3BlbnNzaC1rZXktdjEAAAAA"),
    ("url_password", "connecting to postgres://orders:S3cr3t-Pa55@db.shop.svc:5432/orders", "S3cr3t-Pa55"),
    ("url_password_amqp", "broker amqp://guest:rabbitpw99@rabbitmq:5672//", "rabbitpw99"),
    ("password_kv", "db login failed password=hunter2 user=app", "hunter2"),
    ("password_yaml", "  password: \"correct horse battery\"\n", "correct horse battery"),
    ("secret_json", '{"client_secret": "s3cr3t-v4lue", "id": 1}', "s3cr3t-v4lue"),
    ("api_key_header", "X-API-Key: 5up3r-k3y-v4lu3", "5up3r-k3y-v4lu3"),
    ("token_env", "export VAULT_TOKEN=s.Xy12abCD34efGH56", "s.Xy12abCD34efGH56"),
    ("k8s_secret_yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  username: YWRtaW4=\n"
     "  dbpass: c3VwZXJzZWNyZXQ=\ntype: Opaque\n", "c3VwZXJzZWNyZXQ="),
    ("k8s_secret_json", '{"kind":"Secret","data":{"tls.key":"LS0tLS1CRUdJTg==","user":"YWRtaW4="}}',
     "LS0tLS1CRUdJTg=="),
    ("kubeconfig", "users:\n- name: admin\n  user:\n    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQo=",
     "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQo="),
    ("slack_bot", "slack token xoxb-2048-1234567890-AbCdEfGhIjKlMnOpQrStUvWx",
     "xoxb-2048-1234567890-AbCdEfGhIjKlMnOpQrStUvWx"),
    ("slack_app", "socket mode with xapp-1-A0123456789-1234567890123-abcdef0123456789",
     "xapp-1-A0123456789-1234567890123"),
    ("slack_webhook", "posting to https://hooks.slack.com/services/T0000000/B0000000/XXXXXXXXXXXXXXXXXXXXXXXX",
     "T0000000/B0000000/XXXXXXXXXXXXXXXXXXXXXXXX"),
    ("mattermost_token", "mattermost: Authorization: Token 8xk3n9wqefrb7gzt5c4yahm1do", "8xk3n9wqefrb7gzt5c4yahm1do"),
    ("mattermost_webhook", "hook https://mm.example.internal/hooks/8xk3n9wqefrb7gzt5c4yahm1do",
     "8xk3n9wqefrb7gzt5c4yahm1do"),
    ("github", "cloning with ghp_1234567890abcdefghijABCDEFGHIJ123456", "ghp_1234567890abcdefghijABCDEFGHIJ123456"),
    ("github_pat", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "github_pat_11ABCDEFG0123456789"),
    ("gitlab", "glpat-xYz12345AbCdEfGhIjKl used", "glpat-xYz12345AbCdEfGhIjKl"),
    ("openai", "OPENAI=sk-proj-abcdefghijklmnopqrstuvwxyz0123", "sk-proj-abcdefghijklmnopqrstuvwxyz0123"),
    ("stripe", "charge with sk_live_4eC39HqLyjWDarjtT1zdp7dc", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
    ("cli_flag", "ran: vault login --password=Tr0ub4dor&3 ok", "Tr0ub4dor&3"),
    ("mysql_flag", "mysql -u root -pS3cretPw orders", "S3cretPw"),
    ("high_entropy", "unknown credential Zk8qP2xLm9Vt4Rw7Yb3Nc6Hd1Jf5Gs0A in header",
     "Zk8qP2xLm9Vt4Rw7Yb3Nc6Hd1Jf5Gs0A"),
]


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
