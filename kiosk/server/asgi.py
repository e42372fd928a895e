"""ASGI entry point: gunicorn with uvicorn workers (deploy/server/gunicorn.conf.py).

Under ASGI the content long-poll is a coroutine (kiosk/server/content/push.py): hundreds of
kiosks wait on one process without a thread each. Sync views run on a few threads shared by
the process's requests, so PostgreSQL connections come from a pool (DB_POOL, on here by
default; settings.py), each handed back at the end of the request that took it.

Two handlers:
- everything but the long-poll: Django's handler with its middleware chain and the (sync)
  view run in one hop to one of the threads the worker keeps. (Django's default under ASGI
  starts a thread per request and hops between the loop and it around every middleware:
  about twenty hops a request.)
- the long-poll: Django's handler gives every request its own thread for its sync parts (a
  ThreadSensitiveContext), alive until the request ends: for a 25 s long-poll, an idle
  thread per waiting kiosk. This one has no such context: the long-poll's short sync parts
  (token check, first read, Django's request signals) go to a few threads shared by all
  long-polls of the process, and the wait itself is on the event loop (every middleware
  is async-capable: kiosk/server/middleware.py).

Everything but the long-poll is admitted `SYNC_REQUESTS` at a time per process (a
semaphore on the loop; the others wait there, in order, holding no thread), and runs on
`SYNC_REQUESTS` threads kept for the process. Without the gate an overloaded worker had
hundreds of threads fighting for the GIL and for the pool's connections, and a request
that waited over DB_POOL_TIMEOUT for one answered 500 (the load bench saw 315). Admitted
requests never wait for a connection: the pool holds as many as the semaphore admits, plus
one per long-poll thread and one for the push hub.
"""

import asyncio
import os
import weakref

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiosk.server.settings")
os.environ.setdefault("DB_POOL", "1")

from concurrent.futures import ThreadPoolExecutor  # noqa: E402

import django  # noqa: E402 - after the environment
from asgiref.sync import SyncToAsync, ThreadSensitiveContext, sync_to_async  # noqa: E402
from django.core.handlers.asgi import ASGIHandler  # noqa: E402
from django.core.handlers.exception import convert_exception_to_response  # noqa: E402
from django.db import close_old_connections  # noqa: E402

from kiosk.server.middleware import long_poll_chain  # noqa: E402

django.setup(set_prefix=False)

LONG_POLL_PATHS = frozenset({"/api/v1/content/changes"})
LONG_POLL_THREADS = 4  # per worker, for all its long-polls' short sync parts


def shared_context(threads: int, name: str) -> ThreadSensitiveContext:
    """A thread-sensitive context for many requests of this process, never exited, with its
    own threads: asgiref sends a context's thread-sensitive calls to that context's executor."""
    context = ThreadSensitiveContext()
    SyncToAsync.context_to_thread_executor[context] = ThreadPoolExecutor(
        max_workers=threads, thread_name_prefix=name)
    return context


_SHARED = shared_context(LONG_POLL_THREADS, "long-poll")  # every long-poll of the process


def sync_requests() -> int:
    """How many requests a worker runs at once: SYNC_REQUESTS, else what the pool has left
    once the long-polls' threads and the push hub's reader hold one connection each."""
    from django.conf import settings

    pool = settings.DATABASES["default"].get("OPTIONS", {}).get("pool")
    default = pool["max_size"] - LONG_POLL_THREADS - 1 if isinstance(pool, dict) else 16
    return max(1, int(os.environ.get("SYNC_REQUESTS") or default))


def _then_close_connections(chain):
    """The chain, then this thread's database connection back to the pool (what Django's
    request_finished does, but on the thread that used it: with shared threads, Django's
    own request signals may run on another of them)."""
    def run(request):
        try:
            return chain(request)
        finally:
            close_old_connections()
    return run


class OneHopHandler(ASGIHandler):
    """Django's handler with the middleware chain and the view run sync, in one hop, on
    `threads` threads kept for the process. Django's handler starts a thread for every
    request, and another to join it at the end: each start holds the event loop, and every
    connection of the worker with it, until the new thread gets the GIL (a profile of the
    load bench found 42 % of the loop's samples in Thread.start). One hop per request needs
    no thread of its own: the Admitted gate lets no more requests in than there are threads."""

    def __init__(self, threads: int):
        super().__init__()
        self._context = shared_context(threads, "request")

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)
        self._middleware_chain = sync_to_async(
            _then_close_connections(self._middleware_chain), thread_sensitive=True)

    async def __call__(self, scope, receive, send):
        # Django's own per-request context is then a no-op: it keeps the one set here.
        token = SyncToAsync.thread_sensitive_context.set(self._context)
        try:
            await super().__call__(scope, receive, send)
        finally:
            SyncToAsync.thread_sensitive_context.reset(token)


class SharedThreadHandler(ASGIHandler):
    """Django's handler without a thread per request (see above), and with only the
    middleware a kiosk's long-poll needs, run on the loop (middleware.long_poll_chain):
    each hop to the shared thread is a wait for the GIL on a busy server."""

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=True)
        self._view_middleware, self._exception_middleware = [], []
        self._template_response_middleware = []
        self._middleware_chain = long_poll_chain(
            convert_exception_to_response(self._get_response_async))

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        # The sync parts go to a few shared threads (not one: on a busy server each would
        # queue behind the others for the GIL). Each part gives its connection back itself.
        token = SyncToAsync.thread_sensitive_context.set(_SHARED)
        try:
            await self.handle(scope, receive, send)
        finally:
            SyncToAsync.thread_sensitive_context.reset(token)


class Admitted:
    """An ASGI app run for at most `limit` requests at a time (per event loop); the
    others wait, first come first served, on the loop."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit
        self._gates: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # loop -> gate
        self.running = 0  # admitted now (tests, metrics)

    async def __call__(self, scope, receive, send):
        loop = asyncio.get_running_loop()
        gate = self._gates.get(loop)
        if gate is None:
            gate = self._gates[loop] = asyncio.Semaphore(self.limit)
        async with gate:
            self.running += 1
            try:
                return await self.app(scope, receive, send)
            finally:
                self.running -= 1


SYNC_REQUESTS = sync_requests()
django_application = Admitted(OneHopHandler(SYNC_REQUESTS), SYNC_REQUESTS)
long_poll_application = SharedThreadHandler()


async def application(scope, receive, send):
    if scope["type"] == "http" and scope["path"] in LONG_POLL_PATHS:
        return await long_poll_application(scope, receive, send)
    return await django_application(scope, receive, send)
