"""The board read from Redis (the keys `integrations.webchat.store` writes) and rendered as HTML."""

from __future__ import annotations

import redis.asyncio as aioredis

from integrations.neutralise import LinkPolicy
from integrations.webchat.render import render_post
from integrations.webchat.store import ORDER, POSTS, ThreadEntry, WebPost, thread_key


async def load_post(client: aioredis.Redis, post_id: str) -> WebPost | None:
    raw = await client.hget(POSTS, post_id)  # type: ignore[misc]
    return WebPost.model_validate_json(raw) if raw else None


async def render_thread(client: aioredis.Redis, post: WebPost, links: LinkPolicy) -> str:
    """The post's element: its card, its thread's notes and the cards answered in it."""
    entries = [ThreadEntry.model_validate_json(raw)
               for raw in await client.lrange(thread_key(post.id), 0, -1)]  # type: ignore[misc]
    child_ids = [e.post_id for e in entries if e.post_id]
    children: dict[str, WebPost] = {}
    if child_ids:
        raws = await client.hmget(POSTS, child_ids)  # type: ignore[misc]
        children = {p.id: p for p in (WebPost.model_validate_json(r) for r in raws if r)}
    return render_post(post, entries, children, links)


async def render_by_id(client: aioredis.Redis, post_id: str, links: LinkPolicy) -> tuple[WebPost, str] | None:
    post = await load_post(client, post_id)
    if post is None:
        return None
    return post, await render_thread(client, post, links)


async def render_board(client: aioredis.Redis, limit: int, links: LinkPolicy) -> list[tuple[WebPost, str]]:
    """The newest `limit` threads, newest first."""
    ids = [i.decode() if isinstance(i, bytes) else str(i) for i in await client.zrevrange(ORDER, 0, limit - 1)]
    if not ids:
        return []
    raws = await client.hmget(POSTS, ids)  # type: ignore[misc]
    posts = [WebPost.model_validate_json(raw) for raw in raws if raw]
    return [(post, await render_thread(client, post, links)) for post in posts]
