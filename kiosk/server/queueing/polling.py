"""Conditional polling of the live pages (docs/queues.md): the phone page, the counter
console and the display board poll their etat.json; while nothing changed they get a
bodiless 304 Not Modified, answered before any heavy query.

The validator is the site's QueueVersion (bumped in the transaction of every queue change,
so every gunicorn worker and server sees it) plus a time bucket: estimates and clocks age
even when the queue does not move, so an unchanged page is still redrawn at least every
POLL_BUCKET_SECONDS. Each resource's buckets are offset by its own id, so the pages of a
site do not all come back for a full answer at the same second.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.db.models import OuterRef, Subquery
from django.http import HttpResponseNotModified, JsonResponse

from kiosk.server.queueing.models import QueueVersion

POLL_BUCKET_SECONDS = 30


def version_of(site_ref: str = "site_id") -> Subquery:
    """Annotation: the QueueVersion of the row's site (NULL before the site's first change)."""
    return Subquery(QueueVersion.objects.filter(site_id=OuterRef(site_ref))
                    .values("version")[:1])


def wall_clock() -> float:
    """The validators' clock (their time bucket): a function of its own, so that a test can
    hold it within one bucket."""
    return time.time()


def poll_etag(kind: str, version: int | None, resource_id: int,
              now: float | None = None) -> str:
    now = wall_clock() if now is None else now
    bucket = int((now + resource_id % POLL_BUCKET_SECONDS) // POLL_BUCKET_SECONDS)
    return f'W/"{kind}{version or 0}.{bucket}"'


def unchanged(request, etag: str) -> bool:
    sent = request.headers.get("If-None-Match", "")
    return bool(sent) and etag in (tag.strip() for tag in sent.split(","))


def revalidate(response, etag: str, private: bool = True):
    """Headers of a polled state: the validator, and "keep it but ask me each time"."""
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache" if private else "no-cache"
    return response


def not_modified(etag: str, private: bool = True):
    return revalidate(HttpResponseNotModified(), etag, private)


def polled_json(request, etag: str, state: Callable[[], dict], private: bool = True):
    """A polled state's answer: 304 while the client holds `etag`, else `state()` as JSON,
    with the validator either way (state() is not computed for a 304)."""
    if unchanged(request, etag):
        return not_modified(etag, private)
    return revalidate(JsonResponse(state()), etag, private)


# Per process, what only a queue change can change, keyed by the site's queue version (read
# from the database by the caller before computing): the consoles of a site share it. A
# result computed after reading version v reflects v or newer, never older.
_SHARED: dict[tuple, object] = {}
_SHARED_MAX = 512


def shared(key: tuple, version: int | None, compute):
    """compute(), shared under (key, version) by the process; not shared without a version."""
    if version is None:
        return compute()
    full = (*key, version)
    value = _SHARED.get(full)
    if value is None:
        if len(_SHARED) >= _SHARED_MAX:
            _SHARED.clear()
        value = _SHARED[full] = compute()
    return value


def clear_shared() -> None:
    _SHARED.clear()
