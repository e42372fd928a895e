"""The ASGI entry point admits a bounded number of requests per worker (kiosk/server/asgi.py):
the rest wait their turn on the event loop, in order, and the kiosks' long-polls are not
counted (hundreds of them wait all day)."""

from __future__ import annotations

import asyncio

import pytest

from kiosk.server import asgi


class Held:
    """An ASGI app whose requests stay inside until released; records who got in when."""

    def __init__(self):
        self.inside = 0
        self.most = 0
        self.order: list[str] = []
        self.release = asyncio.Event()
        self.entered = asyncio.Condition()

    async def __call__(self, scope, receive, send):
        async with self.entered:
            self.inside += 1
            self.most = max(self.most, self.inside)
            self.order.append(scope["path"])
            self.entered.notify_all()
        try:
            await self.release.wait()
        finally:
            self.inside -= 1


def _scope(path: str) -> dict:
    return {"type": "http", "path": path}


def test_at_most_the_limit_run_at_once_and_the_others_follow_in_order():
    async def scenario():
        held = Held()
        gate = asgi.Admitted(held, limit=3)
        calls = [asyncio.create_task(gate(_scope(f"/r{i}"), None, None)) for i in range(10)]
        async with asyncio.timeout(60), held.entered:  # a broken gate fails, never hangs
            await held.entered.wait_for(lambda: held.inside >= 3)
        assert (held.inside, gate.running) == (3, 3)
        held.release.set()
        await asyncio.gather(*calls)
        return held, gate

    held, gate = asyncio.run(scenario())
    assert held.most == 3
    assert held.order == [f"/r{i}" for i in range(10)]  # first come, first served
    assert gate.running == 0


def test_a_failing_request_gives_its_place_back():
    async def scenario():
        async def broken(scope, receive, send):
            raise RuntimeError("the view failed")

        gate = asgi.Admitted(broken, limit=1)
        for _ in range(3):  # a leaked place would block the second call forever
            with pytest.raises(RuntimeError):
                await asyncio.wait_for(gate(_scope("/x"), None, None), timeout=30)
        return gate

    assert asyncio.run(scenario()).running == 0


def test_long_polls_bypass_the_limit_and_the_rest_go_through_it(monkeypatch):
    async def scenario():
        held, polls = Held(), Held()
        monkeypatch.setattr(asgi, "django_application", asgi.Admitted(held, limit=1))
        monkeypatch.setattr(asgi, "long_poll_application", polls)
        pages = [asyncio.create_task(asgi.application(_scope("/t/abc/etat.json"), None, None))
                 for _ in range(2)]
        waits = [asyncio.create_task(asgi.application(_scope(path), None, None))
                 for path in sorted(asgi.LONG_POLL_PATHS) * 4]
        async with asyncio.timeout(60):  # a long-poll held at the gate fails, never hangs
            async with polls.entered:
                await polls.entered.wait_for(lambda: polls.inside >= len(waits))
            async with held.entered:
                await held.entered.wait_for(lambda: held.inside >= 1)
        counts = (held.inside, polls.inside)
        held.release.set()
        polls.release.set()
        await asyncio.gather(*pages, *waits)
        return counts, held

    (pages_in, polls_in), held = asyncio.run(scenario())
    assert pages_in == 1 and polls_in == 4 and held.most == 1


def test_the_default_limit_leaves_the_long_polls_and_the_push_reader_a_connection(monkeypatch):
    from django.conf import settings

    monkeypatch.delenv("SYNC_REQUESTS", raising=False)
    monkeypatch.setitem(settings.DATABASES["default"], "OPTIONS", {"pool": {"max_size": 16}})
    assert asgi.sync_requests() == 16 - asgi.LONG_POLL_THREADS - 1
    monkeypatch.setenv("SYNC_REQUESTS", "7")
    assert asgi.sync_requests() == 7
    monkeypatch.setenv("SYNC_REQUESTS", "0")
    assert asgi.sync_requests() == 1  # never none at all


def _get(path: str) -> tuple[dict, list[dict]]:
    """An ASGI GET as uvicorn hands it to the application: its scope, receive and send."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
             "root_path": "", "query_string": b"", "headers": [(b"host", b"localhost")],
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000)}
    return scope, []


def test_requests_run_on_the_threads_kept_for_the_process_and_hand_their_connection_back(
        monkeypatch):
    """Django's handler starts a thread for every request and another to join it, each start
    holding the event loop until the new thread runs; ours keeps `threads` for the process.
    Each request's chain gives its thread's database connection back on that thread."""
    import threading

    closed_on: list[str] = []
    real_close = asgi.close_old_connections

    def close_recorded():
        closed_on.append(threading.current_thread().name)
        real_close()

    monkeypatch.setattr(asgi, "close_old_connections", close_recorded)
    started: list[str] = []
    real_start = threading.Thread.start

    def start_recorded(thread):
        started.append(thread.name)
        real_start(thread)

    async def scenario():
        app = asgi.Admitted(asgi.OneHopHandler(threads=3), limit=3)
        gone = asyncio.Event()  # the client never leaves: Django listens for it all along

        async def one():
            scope, messages = _get("/api/v1/health")
            body = [{"type": "http.request", "body": b"", "more_body": False}]

            async def receive():  # the request's body, then nothing
                if body:
                    return body.pop()
                await gone.wait()

            async def send(message):
                messages.append(message)

            await app(scope, receive, send)
            return messages

        monkeypatch.setattr(threading.Thread, "start", start_recorded)
        async with asyncio.timeout(120):
            return await asyncio.gather(*(one() for _ in range(30)))

    answers = asyncio.run(scenario())
    monkeypatch.undo()
    assert [m[0]["status"] for m in answers] == [200] * 30
    assert all(b'"status": "ok"' in b"".join(x.get("body", b"") for x in m) for m in answers)
    assert len(started) <= 3, started  # Django's own handler: 60 here
    assert all(name.startswith("request") for name in started), started
    assert len(closed_on) == 30 and all(name.startswith("request") for name in closed_on)
