"""Per-kiosk bearer tokens (created and revoked by agents in the back-office)."""

from __future__ import annotations

import time

from asgiref.sync import sync_to_async
from ninja.security import HttpBearer

from kiosk.server.devices.models import Kiosk, hash_token

# The content long-poll's memory of tokens it checked (per process): a revoked or moved
# kiosk keeps long-polling its site's public content at most this long.
LONG_POLL_TOKEN_SECONDS = 30.0
LONG_POLL_TOKENS_MAX = 10_000
_known: dict[str, tuple[float, Kiosk]] = {}  # token hash -> (checked at, kiosk)


def forget_tokens() -> None:
    """The long-poll checks every token again (a kiosk revoked or moved in this process)."""
    _known.clear()


class KioskBearer(HttpBearer):
    def authenticate(self, request, token: str):
        kiosk = Kiosk.objects.authenticate(token)
        if kiosk is None:
            return None
        kiosk.seen()
        request.kiosk = kiosk
        return kiosk


class LongPollBearer(KioskBearer):
    """The content long-poll's (GET /content/changes): on the worker's event loop, from the
    tokens the process checked in the last LONG_POLL_TOKEN_SECONDS. After an edit every
    kiosk of the site comes back at once; without it, each one cost a thread, a pooled
    connection's check and a query before its answer, already built, could go out. A token
    not remembered (or refused) is checked as by KioskBearer, in a thread. The long-poll
    gives only what the kiosk's screens show anyone, never a write."""

    async def __call__(self, request):
        scheme, _, token = request.headers.get(self.header, "").partition(" ")
        if scheme.lower() != self.openapi_scheme or not token:
            return None
        key, now = hash_token(token), time.monotonic()
        hit = _known.get(key)
        if hit is not None and now - hit[0] < LONG_POLL_TOKEN_SECONDS:
            request.kiosk = hit[1]
            return hit[1]
        kiosk = await sync_to_async(self.authenticate)(request, token)
        if kiosk is None:
            _known.pop(key, None)
            return None
        if len(_known) >= LONG_POLL_TOKENS_MAX:
            _known.clear()
        _known[key] = (now, kiosk)
        return kiosk
