"""The content answers of a site, built once per worker for all its kiosks.

When an agent saves an edit, every kiosk of the site is woken by its long-poll and asks for
the same delta (the same `since`, the same cursor) within a second: hundreds of identical
requests. The answer depends only on the site, `since` and the content's cursor (the
cursor moves with every change, so a cached answer is never stale: a newer state has
another key). Each worker keeps the last answers' bytes, plain and gzipped, in memory,
bounded in total size; a full snapshot (a kiosk starting) is shared the same way.

Answers live TTL seconds at most: the rush after an edit lasts seconds, and a database
restored from a backup (its cursor numbers used again for other content) is never answered
from memory for longer than that.

The content long-poll's `changed` answer carries that same delta when it is small
(`changes_answer`, at most EMBED_MAX_BYTES): the woken kiosks then need no second request.
It is kept here too, under its own key, so the hundreds of kiosks of one site cost one build.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from django.utils.text import compress_string

MAX_BYTES = 16 * 1024 * 1024  # per worker: a few full snapshots and many deltas
TTL = 60.0
GZIP_MIN_BYTES = 512  # smaller answers are sent plain: gzip would save next to nothing
# The delta a long-poll answer may carry: a few edits in six languages fit; a snapshot-sized
# answer is fetched by GET /content as before (paged, conditional, its own timeout).
EMBED_MAX_BYTES = 64 * 1024


@dataclass(frozen=True)
class Answer:
    body: bytes
    gzipped: bytes | None  # None when too small to be worth it
    etag: str | None
    content_type: str

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped or b"")


class AnswerCache:
    def __init__(self, max_bytes: int = MAX_BYTES, ttl: float = TTL, clock=time.monotonic):
        self.max_bytes = max_bytes
        self.ttl = ttl
        self.clock = clock
        self._items: OrderedDict[tuple, tuple[float, Answer]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple) -> Answer | None:
        with self._lock:
            found = self._items.get(key)
            if found is None or self.clock() - found[0] > self.ttl:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return found[1]

    def put(self, key: tuple, answer: Answer) -> Answer:
        if answer.size > self.max_bytes:
            return answer  # never kept: it would evict everything else
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1].size
            self._items[key] = (self.clock(), answer)
            self._bytes += answer.size
            while self._bytes > self.max_bytes:
                _, (_, evicted) = self._items.popitem(last=False)
                self._bytes -= evicted.size
        return answer

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0


ANSWERS = AnswerCache()


def key_for(site_id: int, since: int | None, cursor: int) -> tuple:
    """`since` outside (0, cursor] asks for a full snapshot: one key for all of them."""
    if since is None or since <= 0 or since > cursor:
        since = None
    return (site_id, since, cursor)


# The delta is over EMBED_MAX_BYTES: answer `changed` alone (kept so that the other kiosks of
# the site do not each build the delta again to find out).
TOO_BIG = Answer(body=b"", gzipped=None, etag=None, content_type="")


def changes_key(site_id: int, since: int | None, cursor: int) -> tuple:
    return ("changes", *key_for(site_id, since, cursor))


def changes_answer(delta: Answer, cursor: int) -> Answer:
    """The long-poll's `changed` answer at `cursor` carrying `delta` (the bytes GET /content
    answers, not parsed again) and its ETag; TOO_BIG when the delta is over the cap."""
    if len(delta.body) > EMBED_MAX_BYTES:
        return TOO_BIG
    body = b'{"cursor":"%d","changed":true,"etag":%s,"delta":%s}' % (
        cursor, json.dumps(delta.etag).encode(), delta.body)
    return Answer(body=body,
                  gzipped=compress_string(body) if len(body) >= GZIP_MIN_BYTES else None,
                  etag=None, content_type=delta.content_type)
