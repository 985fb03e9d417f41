"""Live board updates: one Redis stream reader per web process, fanned out to every open page (SSE).

Workers append `post=<thread root>` to `opsbot:web:events` on every change. The reader renders each
changed thread once and hands the HTML to every subscriber's queue; a browser that reconnects sends
`Last-Event-ID` and gets what it missed from the stream (XRANGE) before the live events.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass, field

import redis.asyncio as aioredis
from aiohttp import web

from bot.web_channel.board import render_by_id
from integrations.neutralise import LinkPolicy
from integrations.webchat.store import EVENTS

log = logging.getLogger("opsbot.web_channel")
BLOCK_MS = 5000
QUEUE_SIZE = 1000
PING_S = 15.0


@dataclass(frozen=True)
class BoardEvent:
    id: str  # the stream entry id (SSE `id:`)
    post_id: str
    html: str
    kind: str

    def sse(self) -> bytes:
        data = json.dumps({"id": self.post_id, "kind": self.kind, "html": self.html}, ensure_ascii=False)
        return f"id: {self.id}\nevent: card\ndata: {data}\n\n".encode()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


@dataclass
class BoardFeed:
    client: aioredis.Redis
    links: LinkPolicy
    subscribers: set[asyncio.Queue[BoardEvent | None]] = field(default_factory=set)
    task: asyncio.Task[None] | None = None

    async def events_from(self, entries: list[tuple[bytes | str, dict[bytes | str, bytes | str]]]) -> list[BoardEvent]:
        """Each changed thread rendered once, with the id of its latest entry."""
        latest: dict[str, str] = {}
        for entry_id, fields in entries:
            post_id = _text(fields.get(b"post") or fields.get("post") or "")
            if post_id:
                latest.pop(post_id, None)
                latest[post_id] = _text(entry_id)
        events = []
        for post_id, entry_id in latest.items():
            rendered = await render_by_id(self.client, post_id, self.links)
            if rendered is not None:
                events.append(BoardEvent(id=entry_id, post_id=post_id, html=rendered[1],
                                         kind=rendered[0].card.kind.value))
        return events

    async def replay(self, last_id: str) -> list[BoardEvent]:
        try:
            entries = await self.client.xrange(EVENTS, min=f"({last_id}", max="+", count=QUEUE_SIZE)
        except aioredis.ResponseError:  # not a stream id: nothing to replay
            return []
        return await self.events_from(entries)

    async def latest_id(self) -> str:
        """The id of the stream's newest entry ("0-0" when empty): where a page's snapshot ends."""
        newest = await self.client.xrevrange(EVENTS, count=1)
        return _text(newest[0][0]) if newest else "0-0"

    async def run(self, last: str) -> None:
        while True:
            try:
                answer = await self.client.xread({EVENTS: last}, block=BLOCK_MS, count=500)
            except asyncio.CancelledError:
                raise
            except aioredis.RedisError as exc:
                log.warning("board feed: %s; retrying", exc)
                await asyncio.sleep(1.0)
                continue
            for _stream, entries in answer or []:
                last = _text(entries[-1][0])
                for event in await self.events_from(entries):
                    for queue in list(self.subscribers):
                        with contextlib.suppress(asyncio.QueueFull):  # a stalled page reloads on reconnect
                            queue.put_nowait(event)

    async def subscribe(self) -> asyncio.Queue[BoardEvent | None]:
        """A queue of live events. The reader starts (once) at the stream's newest entry before this
        returns, so a replay taken after it misses nothing."""
        queue: asyncio.Queue[BoardEvent | None] = asyncio.Queue(QUEUE_SIZE)
        self.subscribers.add(queue)
        if self.task is None or self.task.done():
            start = await self.latest_id()
            self.task = asyncio.get_running_loop().create_task(self.run(start), name="board-feed")
        return queue

    async def close(self) -> None:
        for queue in list(self.subscribers):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(None)
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task


async def stream(request: web.Request, feed: BoardFeed) -> web.StreamResponse:
    """`text/event-stream`: replay since Last-Event-ID (or `?since=`, the id the page was rendered at),
    then live events, a comment every PING_S."""
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store",
                                           "X-Accel-Buffering": "no"})
    queue = await feed.subscribe()
    try:
        await response.prepare(request)
        await response.write(b"retry: 1000\n: connected\n\n")
        last_id = request.headers.get("Last-Event-ID", "") or request.query.get("since", "")
        for event in await feed.replay(last_id) if last_id else []:
            await response.write(event.sse())
        while True:
            try:
                item = await asyncio.wait_for(queue.get(), PING_S)
            except TimeoutError:
                await response.write(b": ping\n\n")
                continue
            if item is None:
                break
            await response.write(item.sse())
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        feed.subscribers.discard(queue)
    return response
