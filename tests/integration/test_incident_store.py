"""The incident store on a real Redis: delivery fields survive the alert task saving its state."""

from __future__ import annotations

import redis as redis_lib

from bot.incidents import IncidentStore
from integrations.chat import PostRef
from tests.support.incidents import incident_meta


def test_store_keeps_channel_fields_apart(clean_redis: redis_lib.Redis) -> None:
    store = IncidentStore(clean_redis)
    meta = incident_meta()
    store.save(meta)
    ref = PostRef(platform="slack", channel="C1", post_id="1.2")
    store.set_post_ref("k", "slack:oncall", ref)
    store.set_delivered("k", "slack:oncall", 3)
    meta.version = 4
    store.save(meta)  # the alert task saving meta must not clobber what delivery wrote
    assert store.post_ref("k", "slack:oncall") == ref
    assert store.delivered_version("k", "slack:oncall") == 3
    assert store.load("k").version == 4  # type: ignore[union-attr]
    meta.status = "resolved"
    store.save(meta)
    assert 0 < clean_redis.ttl(store.key("k")) <= 7 * 86400
