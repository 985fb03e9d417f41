"""What every route needs to read a request safely: a client's mistake is a 4xx with a reason.

Headers arrive as aiohttp decodes them (UTF-8 with surrogate escapes for other bytes), bodies as
bytes (read by the web app's guard middleware within `web.body_timeout_s`). Nothing here raises
anything but `BadRequest`, which the middleware answers with its status and reason.
"""

from __future__ import annotations

import hmac
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from aiohttp import web
from pydantic import BaseModel, ValidationError

from core.events import InvalidPayload, check_json, describe_validation_error, load_json

# What a malformed request can provoke in parsing code (ours, aiohttp's, slack-bolt's): a client's
# mistake, answered 400. Anything else is a fault of ours and stays a logged 500.
CLIENT_FAULTS = (ValueError, UnicodeError, LookupError, TypeError, AttributeError, RecursionError, OverflowError)


ModelT = TypeVar("ModelT", bound=BaseModel)


class BadRequest(Exception):
    """A request the client got wrong: answered with `status` (400 unless said) and the message."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def raw_bytes(text: str) -> bytes | None:
    """The bytes a header (or form value) was sent as; None when the text cannot be bytes at all."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return None


def secure_equal(presented: str, expected: str) -> bool:
    """Constant-time comparison of a credential the client sent with the configured one; anything
    that is not a byte string (non-UTF-8 headers arrive as surrogate escapes, JSON may carry lone
    surrogates) is simply not equal, never an exception."""
    sent = raw_bytes(presented)
    return sent is not None and hmac.compare_digest(sent, expected.encode("utf-8"))


async def body_bytes(request: web.Request) -> bytes:
    """The body, already read by the guard middleware (413 and 408 are answered there)."""
    return await request.read()


def decode_utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the body is not UTF-8: {exc.reason} at byte {exc.start}") from None


def validated(model: type[ModelT], data: Any, what: str) -> ModelT:
    """`data` as `model`, or BadRequest (400) naming the fields that are wrong."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BadRequest(describe_validation_error(exc, what=what)) from None


def json_object(body: bytes | str, what: str = "body") -> dict[str, Any]:
    """A JSON object (nesting, integer size and Unicode checked, see `core.events.load_json`)."""
    try:
        data = load_json(body)
    except InvalidPayload as exc:
        raise BadRequest(str(exc).replace("body", what, 1)) from None
    if not isinstance(data, dict):
        raise BadRequest(f"{what} must be a JSON object")
    return data


def form_fields(body: bytes) -> dict[str, str]:
    """An `application/x-www-form-urlencoded` body as a dict (the last value of a repeated field);
    percent-escapes that are not UTF-8 become U+FFFD, as browsers do."""
    text = decode_utf8(body)
    try:
        fields = dict(parse_qsl(text, keep_blank_values=True, max_num_fields=1000))
    except ValueError as exc:  # more than max_num_fields
        raise BadRequest(f"the form is malformed: {exc}") from None
    try:
        check_json(fields)
    except InvalidPayload as exc:
        raise BadRequest(str(exc)) from None
    return fields


def text_field(data: dict[str, Any], name: str, *, required: bool = False, max_chars: int = 40_000) -> str:
    """A string field of a JSON object or form: missing or null is "" (or 400 when required), any
    other type is 400, never `str(None)` == "None"."""
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise BadRequest(f"the field {name} is required")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BadRequest(f"the field {name} must be a string, not {type(value).__name__}")
    text = str(value)
    if len(text) > max_chars:
        raise BadRequest(f"the field {name} is longer than {max_chars} characters")
    return text


def object_field(data: dict[str, Any], name: str) -> dict[str, Any]:
    """A nested object field: missing or null is {}, any other type is 400."""
    value = data.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRequest(f"the field {name} must be an object, not {type(value).__name__}")
    return value
