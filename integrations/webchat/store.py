"""The web channel as a chat platform: posts, updates and thread notes kept in Redis for the board.

Workers post here like they post to Slack; the web process reads the same keys and follows one Redis
stream to push changes to browsers (bot.web_channel). Layout:
- `opsbot:web:posts`: hash, post id -> `WebPost` JSON (the card, its channel, its thread root);
- `opsbot:web:order`: sorted set of the posts that start a thread (the board), by time posted;
- `opsbot:web:thread:<id>`: list of `ThreadEntry` JSON (the bot's notes, people's replies, cards
  answered in the thread), oldest first;
- `opsbot:web:events`: stream of `post=<root id>`, one entry per change, capped.
No state lives in a web process, so any number of replicas serve the same board.
"""

from __future__ import annotations

import time
import uuid
from typing import cast

import redis
from pydantic import BaseModel

from core.cards import Card
from integrations.chat import PostRef, ThreadMessage
from integrations.neutralise import NO_LINKS, LinkPolicy

POSTS = "opsbot:web:posts"
ORDER = "opsbot:web:order"
THREAD_PREFIX = "opsbot:web:thread:"
EVENTS = "opsbot:web:events"
EVENTS_MAXLEN = 10_000
BOT_USER = "opsbot"


class WebPost(BaseModel):
    id: str
    channel: str
    card: Card
    thread_id: str | None = None
    posted_at: float
    updated_at: float
    version: int = 1


class ThreadEntry(BaseModel):
    """One line of a card's thread: a note of the bot, a person's reply, or a card answered there."""

    at: float
    user: str = BOT_USER
    text: str = ""
    post_id: str | None = None

    @property
    def by_bot(self) -> bool:
        return self.user == BOT_USER


def thread_key(post_id: str) -> str:
    return THREAD_PREFIX + post_id


def person_entry(user: str, text: str) -> ThreadEntry:
    return ThreadEntry(at=time.time(), user=user if user != BOT_USER else f"{user} (person)", text=text)


class WebChannel:
    platform = "web"

    def __init__(self, client: redis.Redis, max_posts: int = 2000, links: LinkPolicy = NO_LINKS) -> None:
        self.redis = client
        self.max_posts = max_posts
        self.links = links  # the web process renders with the same policy (bot.config's allowlist)

    def post(self, channel: str, card: Card, thread_id: str | None = None) -> PostRef:
        now = time.time()
        root = self.thread_root(channel, thread_id) if thread_id else None
        post = WebPost(id=uuid.uuid4().hex[:20], channel=channel, card=card, thread_id=root, posted_at=now,
                       updated_at=now)
        pipe = self.redis.pipeline()
        pipe.hset(POSTS, post.id, post.model_dump_json())
        if root:
            pipe.rpush(thread_key(root), ThreadEntry(at=now, post_id=post.id).model_dump_json())
        else:
            pipe.zadd(ORDER, {post.id: now})
        pipe.xadd(EVENTS, {"post": root or post.id}, maxlen=EVENTS_MAXLEN, approximate=True)
        pipe.execute()
        self._trim()
        return PostRef(platform=self.platform, channel=channel, post_id=post.id, thread_id=root)

    def update(self, ref: PostRef, card: Card) -> None:
        post = self.load(ref.post_id)
        if post is None:  # trimmed from the board meanwhile: show it again
            self.post(ref.channel, card, ref.thread_id)
            return
        post = post.model_copy(update={"card": card, "updated_at": time.time(), "version": post.version + 1})
        pipe = self.redis.pipeline()
        pipe.hset(POSTS, post.id, post.model_dump_json())
        pipe.xadd(EVENTS, {"post": post.thread_id or post.id}, maxlen=EVENTS_MAXLEN, approximate=True)
        pipe.execute()

    def reply(self, ref: PostRef, text: str) -> PostRef:
        root = ref.thread_id or ref.post_id
        pipe = self.redis.pipeline()
        pipe.rpush(thread_key(root), ThreadEntry(at=time.time(), text=text).model_dump_json())
        pipe.xadd(EVENTS, {"post": root}, maxlen=EVENTS_MAXLEN, approximate=True)
        pipe.execute()
        return PostRef(platform=self.platform, channel=ref.channel, post_id=uuid.uuid4().hex[:20], thread_id=root)

    def thread(self, ref: PostRef) -> list[ThreadMessage]:
        entries = [ThreadEntry.model_validate_json(raw) for raw in self._thread(ref.post_id)]
        return [ThreadMessage(user=e.user, text=e.text) for e in entries if not e.by_bot and e.text]

    def thread_root(self, channel: str, message_id: str) -> str:
        post = self.load(message_id)
        return post.thread_id or post.id if post else message_id

    def load(self, post_id: str) -> WebPost | None:
        raw = cast("bytes | None", self.redis.hget(POSTS, post_id))
        return WebPost.model_validate_json(raw) if raw else None

    def _thread(self, post_id: str) -> list[bytes]:
        return cast("list[bytes]", self.redis.lrange(thread_key(post_id), 0, -1))

    def _trim(self) -> None:
        """Keep the newest `max_posts` threads; older ones leave the board with their threads."""
        excess = cast(int, self.redis.zcard(ORDER)) - self.max_posts
        if excess <= 0:
            return
        for raw_id, _ in cast("list[tuple[bytes, float]]", self.redis.zpopmin(ORDER, excess)):
            post_id = raw_id.decode() if isinstance(raw_id, bytes) else str(raw_id)
            children = [ThreadEntry.model_validate_json(raw).post_id for raw in self._thread(post_id)]
            self.redis.hdel(POSTS, post_id, *[c for c in children if c])
            self.redis.delete(thread_key(post_id))
