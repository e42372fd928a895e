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
