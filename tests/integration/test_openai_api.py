"""The OpenAI-compatible endpoint with the official `openai` client against the real web and worker
processes on real Redis: /v1/models, chat completions streamed and not, the last user message routed
like a mention (pasted Ceph output -> the diagnosis), a slash command as typed, and a wrong key -> 401
in OpenAI's error shape."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
import redis as redis_lib

from tests.support.paths import TEST_DATA
from tests.support.stack import BotStack, bot_stack

pytest.importorskip("openai")
import openai

KEY = "sk-opsbot-test-key"


@pytest.fixture(scope="module")
def stack(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotStack]:
    redis_lib.Redis.from_url(redis_url).flushall()
    env = {"OPSBOT_OPENAI_API__API_KEYS": json.dumps([KEY]), "OPSBOT_KNOWLEDGE__ENABLED": "false",
           "OPSBOT_CONSOLE__ENABLED": "off"}
    with bot_stack(redis_url, tmp_path_factory.mktemp("openai-stack"), env) as running:
        yield running


@pytest.fixture(scope="module")
def client(stack: BotStack) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{stack.web_url}/v1", api_key=KEY, max_retries=0, timeout=60)


def test_models_lists_opsbot(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == ["opsbot"]


def test_pasted_ceph_output_is_diagnosed_not_streamed(client: openai.OpenAI) -> None:
    paste = (TEST_DATA / "ceph" / "health-detail-osd-down.txt").read_text()
    answer = client.chat.completions.create(model="opsbot", messages=[
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": "hello"}, {"role": "assistant", "content": "hi"},
        {"role": "user", "content": paste}])
    content = answer.choices[0].message.content or ""
    assert answer.choices[0].finish_reason == "stop" and answer.model == "opsbot"
    assert "OSD\\_DOWN" in content or "OSD_DOWN" in content
    assert "**Next steps**" in content and "```" in content  # Markdown: the commands in a code block


def test_streamed_slash_command(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(model="opsbot", stream=True,
                                            messages=[{"role": "user", "content": "/oncall help"}])
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert "/ask" in text and "/ceph" in text


def test_streamed_question_goes_to_ask(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(model="opsbot", stream=True, messages=[
        {"role": "user", "content": [{"type": "text", "text": "how do I restart a stuck OSD?"}]}])
    text = "".join(c.choices[0].delta.content or "" for c in stream)
    assert "knowledge base is disabled" in text  # /ask answered (knowledge is off in this stack)


def test_wrong_key_is_401_in_openai_shape(stack: BotStack) -> None:
    wrong = openai.OpenAI(base_url=f"{stack.web_url}/v1", api_key="sk-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as raised:
        wrong.chat.completions.create(model="opsbot", messages=[{"role": "user", "content": "hi"}])
    assert raised.value.status_code == 401
    body = raised.value.body
    assert isinstance(body, dict) and body["code"] == "invalid_api_key" and body["type"] == "invalid_request_error"


def test_unknown_model_and_bad_messages_are_openai_errors(stack: BotStack, client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-4", messages=[{"role": "user", "content": "hi"}])
    request = urllib.request.Request(f"{stack.web_url}/v1/chat/completions", method="POST",
                                     data=json.dumps({"model": "opsbot", "messages": []}).encode(),
                                     headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=10)
    assert raised.value.code == 400
    assert set(json.loads(raised.value.read())["error"]) == {"message", "type", "param", "code"}
