"""A small rate limiter on Django's cache: fixed windows, one counter per (scope, who, window).

Who is counted (never an address alone where many clients share one: a lobby's kiosks and
the waiting room's phones come through the town hall's NAT):
- the kiosk (``key="kiosk"``) for the API's writes: a runaway or stolen kiosk token cannot
  flood the queue (``POST /api/v1/tickets``, ``POST /api/v1/assistance``) nor the fleet
  state (``POST /api/v1/heartbeat``); requests with a bad token are refused (401) before;
- the ticket (``key="ticket"``, the view's ``token``) for the phones' actions ("Je pars",
  "plus de temps"): one visitor's taps never cost another visitor on the same Wi-Fi;
- the client IP (``key="ip"``) for the login form and the residents' proposals.

Over the limit the answer is ``429 Too Many Requests`` with ``Retry-After`` (seconds to the end
of the window). The kiosk's transport treats 429 as transient and retries later from its
outbox, so a limited ticket is delayed, never lost.

The counters live in the ``default`` cache (settings.CACHES, from ``CACHE_URL``). Counting is
exact under concurrency: with the database cache (``CACHE_URL=db://carrefour_cache``, shared
by every worker and every app server) the count is read and written under a row lock in one
transaction (Django's own ``incr`` is read-then-write and lets races through); the
local-memory cache counts under its lock, per process (a client may then get up to
``workers × limit``). If the cache fails, requests go through (fail open) and the error is
logged: the queue matters more.

The client IP is ``REMOTE_ADDR``; ``X-Forwarded-For`` is read only when ``REMOTE_ADDR`` is one
of ``settings.TRUSTED_PROXIES`` (addresses or networks), and then the right-most address
that is not a trusted proxy is the client (left-most entries can be forged by anyone).
"""

from __future__ import annotations

import base64
import functools
import inspect
import ipaddress
import logging
import math
import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse

log = logging.getLogger(__name__)

_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


@dataclass(frozen=True)
class Rate:
    limit: int
    period: int  # seconds

    @classmethod
    def parse(cls, text: str) -> Rate:
        """``"60/m"``, ``"10/min"``, ``"6/60s"``, ``"1000/h"``, ``"100/d"``."""
        try:
            count, slash, per = text.strip().partition("/")
            if not slash:
                raise ValueError(text)
            limit = int(count)
            digits = "".join(ch for ch in per if ch.isdigit())
            unit = per[len(digits):].strip().lower()
            period = (int(digits) if digits else 1) * _UNITS[unit or "s"]
        except (KeyError, ValueError):
            raise ValueError(f"rate must look like '60/m', got {text!r}") from None
        if limit < 1 or period < 1:
            raise ValueError(f"rate must be positive, got {text!r}")
        return cls(limit, period)


def _networks(values) -> list:
    nets = []
    for value in values:
        try:
            nets.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            log.warning("TRUSTED_PROXIES: %r is not an address or a network; ignored", value)
    return nets


def _is_trusted(addr: str, nets: list) -> bool:
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    return any(ip in net for net in nets)


def client_ip(request: HttpRequest) -> str:
    """The visitor's address, trusting X-Forwarded-For only from a trusted proxy."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    nets = _networks(getattr(settings, "TRUSTED_PROXIES", ()))
    if not nets or not _is_trusted(remote, nets):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return remote  # junk in the header: count the proxy, never a forged value
        if not _is_trusted(hop, nets):
            return hop
    return hops[0] if hops else remote


def _who(request: HttpRequest, key: str | Callable[[HttpRequest], str],
         view_kwargs: dict | None = None) -> str:
    if callable(key):
        return key(request)
    if key == "kiosk":
        kiosk = getattr(request, "kiosk", None)
        if kiosk is not None:
            return f"kiosk:{kiosk.pk}"
    if key == "ticket" and (view_kwargs or {}).get("token"):
        return f"ticket:{str((view_kwargs or {})['token'])[:64]}"
    return f"ip:{client_ip(request)}"


def rate_for(scope: str) -> Rate:
    return Rate.parse(settings.RATELIMITS[scope])


def hit(scope: str, who: str, rate: Rate, now: float | None = None) -> int | None:
    """Count one request; None when allowed, else the seconds to wait (Retry-After)."""
    now = time.time() if now is None else now
    window = int(now // rate.period)
    cache_key = f"rl:{scope}:{who}:{window}"
    # `cache` is a proxy: the backend itself says which counting is exact.
    incr = _locked_incr if isinstance(caches["default"], DatabaseCache) else cache.incr
    try:
        # incr first: the window's counter exists for all but its first request (with the
        # database cache, add-then-incr costs twice the queries on every request).
        try:
            count = incr(cache_key)
        except ValueError:  # the window's first request (or the counter expired)
            if cache.add(cache_key, 1, timeout=rate.period + 5):
                count = 1
            else:  # another request created it meanwhile (add is one INSERT: one wins)
                count = incr(cache_key)
    except Exception:  # noqa: BLE001 - a broken cache must not stop the queue
        log.exception("rate limiter: cache unavailable, request let through (%s)", scope)
        return None
    if count <= rate.limit:
        return None
    return max(1, math.ceil((window + 1) * rate.period - now))


def _locked_incr(key: str) -> int:
    """The database cache's counter + 1, read and written under a row lock in one
    transaction (SELECT ... FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE transactions,
    settings.py, serialise writers): no two requests read the same count. Kept in Django's
    own format, so `cache.get` reads it. ValueError when the counter does not exist."""
    backend = caches["default"]
    db = router.db_for_write(backend.cache_model_class)
    conn = connections[db]
    table = conn.ops.quote_name(backend._table)
    lock = " FOR UPDATE" if conn.features.has_select_for_update else ""
    cache_key = backend.make_and_validate_key(key)
    with transaction.atomic(using=db), conn.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {table} WHERE cache_key = %s{lock}", [cache_key])
        row = cursor.fetchone()
        if row is None:
            raise ValueError(key)
        count = pickle.loads(base64.b64decode(row[0])) + 1  # our own row, Django's format
        value = base64.b64encode(pickle.dumps(count, backend.pickle_protocol)).decode("latin1")
        cursor.execute(f"UPDATE {table} SET value = %s WHERE cache_key = %s", [value, cache_key])
    return count


def too_many_requests(request: HttpRequest, retry_after: int) -> HttpResponse:
    message = "Trop de requêtes : réessayez dans quelques instants."
    if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        response = JsonResponse({"detail": message, "retry_after": retry_after}, status=429)
    else:
        response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response


def ratelimit(scope: str, *, key: str | Callable[[HttpRequest], str] = "ip",
              methods: tuple[str, ...] = ("POST",)):
    """Limit a view to ``settings.RATELIMITS[scope]`` per kiosk, per ticket or per client IP.

    Only ``methods`` count (by default POST: showing a form is free, submitting it is not).
    Works on plain Django views and on django-ninja operations (put it under ``@api.post``;
    ninja has authenticated the kiosk by then).
    """
    rate_for(scope)  # a misspelt scope or rate fails at import, not at the first request

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if getattr(settings, "RATELIMIT_ENABLED", True) and request.method in methods:
                who = _who(request, key, kwargs)
                retry_after = hit(scope, who, rate_for(scope))
                if retry_after is not None:
                    # A ticket's token opens its phone page: only its first letters in logs.
                    log.warning("rate limit %s hit by %s", scope,
                                who[:13] + "…" if who.startswith("ticket:") else who)
                    return too_many_requests(request, retry_after)
            return view(request, *args, **kwargs)

        # django-ninja reads the view's parameters and resolves string annotations (from
        # `from __future__ import annotations`) in the function's globals: the wrapper's are
        # this module's. Hand it the resolved signature of the view itself.
        try:
            wrapper.__signature__ = inspect.signature(view, eval_str=True)
        except (NameError, TypeError, ValueError):
            pass
        return wrapper

    return decorator
