"""The Redis collector without a server: an unreachable URL is a clear error; `redis` is the library."""

from __future__ import annotations

import pytest
import redis

from integrations.redis.client import RedisUnavailable
from integrations.redis.collector import collect
from integrations.redis.config import RedisInstance
from tests.support.servers import free_port


def test_unreachable_server_raises_clear_error() -> None:
    with pytest.raises(RedisUnavailable, match="onnect"):
        collect(RedisInstance(url=f"redis://127.0.0.1:{free_port()}/0", timeout_s=0.5), interval_s=0)


def test_response_error_type_is_redis_library() -> None:
    # integrations.redis must not shadow the library: `import redis` there is redis-py.
    import integrations.redis.client as client_module

    assert client_module.redis.ResponseError is redis.ResponseError
