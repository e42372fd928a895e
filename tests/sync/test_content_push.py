"""Push: between syncs the engine long-polls /content/changes and syncs as soon as the server
says the content changed; plain polling every interval with an older server (404) or on
errors; wake() and stop still act at once while a long-poll is in flight."""

from __future__ import annotations

import threading
from contextlib import contextmanager

import pytest

from kiosk.sync.engine import SyncEngine
from kiosk.sync.transport import Transport, TransportError
from tests.support.patience import GUARD, LIVE_TIMEOUT, NEVER, wait_until
from tests.sync import Reply
from tests.sync.conftest import TOKEN


def pole(id_, order=1) -> dict:
    return {"kind": "pole", "data": {"id": id_, "order": order, "color": "#336699",
                                     "pictogram": "mairie", "name": {"fr": id_}}}


class Site:
    """A fake server's content: a cursor and poles; /content/changes waits for a publish()."""

    def __init__(self, push: bool = True, changes_reply: Reply | None = None):
        self.cursor = 1
        self.poles = [pole("citoyennete")]
        self.push = push
        self.changes_reply = changes_reply
        self.changed = threading.Condition()

    def publish(self, *poles) -> None:
        with self.changed:
            self.poles += list(poles)
            self.cursor += 1
            self.changed.notify_all()

    def __call__(self, request):
        if request.path == "/api/v1/content":
            since = request.query.get("since")
            if since == str(self.cursor):
                return Reply(304)
            return Reply(200, {"protocol": 1, "cursor": str(self.cursor), "full": True,
                               "more": False, "items": list(self.poles), "deleted": []})
        if request.path == "/api/v1/content/changes" and self.push:
            if self.changes_reply is not None:
                return self.changes_reply
            since = request.query.get("since")
            with self.changed:
                self.changed.wait_for(lambda: since != str(self.cursor),
                                      timeout=min(float(request.query["wait"]), 25))
                return Reply(200, {"cursor": str(self.cursor),
                                   "changed": since != str(self.cursor)})
        return Reply(404, {"detail": "Not Found"})


def paths(server, path: str) -> list:
    return [r for r in list(server.requests) if r.path == path]


@contextmanager
def running(engine: SyncEngine, interval: float):
    stop = threading.Event()
    thread = threading.Thread(target=engine.run, args=(stop,), kwargs={"interval": interval})
    thread.start()
    try:
        yield stop
    finally:
        stop.set()
        thread.join(timeout=GUARD)
        assert not thread.is_alive(), "the sync loop did not stop"


def held(store) -> set[str]:
    return {p.id for p in store.poles()}


def test_a_change_reaches_the_kiosk_long_before_its_interval(server, store):
    """An hour of interval: only the push can bring the change within the wait's guard."""
    site = Site()
    server.handler = site
    changed = []
    engine = SyncEngine(store, Transport(server.url, TOKEN, timeout=LIVE_TIMEOUT),
                        on_content_changed=lambda: changed.append(store.content_cursor()))
    with running(engine, interval=NEVER):
        assert wait_until(lambda: store.content_cursor() == "1")
        assert wait_until(lambda: paths(server, "/api/v1/content/changes"))
        waiting = paths(server, "/api/v1/content/changes")[0]
        assert waiting.query["since"] == "1"
        assert float(waiting.query["wait"]) == 25.0  # engine.push_wait, under the interval
        assert waiting.headers["authorization"] == f"Bearer {TOKEN}"
        site.publish(pole("logement", 2))
        assert wait_until(lambda: "logement" in held(store))
        assert wait_until(lambda: changed == ["1", "2"])  # the kiosk was told of it
        # Then it waits again, from the new cursor.
        assert wait_until(lambda: any(r.query["since"] == "2"
                                      for r in paths(server, "/api/v1/content/changes")))
        site.publish(pole("famille", 3))
        assert wait_until(lambda: "famille" in held(store))
    assert len(paths(server, "/api/v1/content")) == 3  # one sync per change, no polling


def test_falls_back_to_the_interval_on_an_older_server(server, store):
    site = Site(push=False)  # /content/changes answers 404
    server.handler = site
    engine = SyncEngine(store, Transport(server.url, TOKEN, timeout=LIVE_TIMEOUT))
    with running(engine, interval=0.5):
        assert wait_until(lambda: len(paths(server, "/api/v1/content")) >= 4)
        site.publish(pole("logement", 2))
        assert wait_until(lambda: "logement" in held(store))
    # Asked once; not again before engine.push_retry (10 minutes).
    assert len(paths(server, "/api/v1/content/changes")) == 1
    assert engine.failures == 0


@pytest.mark.parametrize("reply", [Reply(500, "boom"), Reply(200, {"unexpected": True}),
                                   Reply(200, {"cursor": "1", "changed": "no"})])
def test_falls_back_to_the_interval_on_errors_and_tries_push_again(server, store, reply):
    site = Site(changes_reply=reply)
    server.handler = site
    engine = SyncEngine(store, Transport(server.url, TOKEN, timeout=LIVE_TIMEOUT))
    with running(engine, interval=0.5):
        assert wait_until(lambda: len(paths(server, "/api/v1/content/changes")) >= 3)
    assert len(paths(server, "/api/v1/content")) >= 3  # it kept syncing every interval


def test_wake_and_stop_act_at_once_during_a_long_poll(server, store):
    """The long-poll never answers and the interval is an hour: only wake() can bring the
    second sync, and the loop can only end while the long-poll is still in flight."""
    site = Site(changes_reply=Reply(200, {"cursor": "1", "changed": False}, delay=NEVER))
    server.handler = site
    engine = SyncEngine(store, Transport(server.url, TOKEN, timeout=LIVE_TIMEOUT))
    polls = []
    long_poll = engine._long_poll
    engine._long_poll = lambda since, wait: polls.append(long_poll(since, wait)) or polls[-1]
    with running(engine, interval=NEVER) as stop:
        assert wait_until(lambda: paths(server, "/api/v1/content/changes"))
        engine.wake()  # a ticket was queued: sync now, not at the end of the long-poll
        assert wait_until(lambda: len(paths(server, "/api/v1/content")) == 2)
        assert wait_until(lambda: len(polls) == 2)  # waiting again after that sync
        # The long-poll still in flight is reused: one at a time per kiosk.
        assert polls[1] is polls[0] and not polls[0].done.is_set()
        stop.set()  # running() fails unless the loop ends, the long-poll still unanswered
    assert len(paths(server, "/api/v1/content/changes")) == 1
    assert not polls[0].done.is_set()


class StopOnceIdle(threading.Event):
    """The `stop` of one engine.wait_between_syncs() that sets itself once the wait is past
    its long-poll, in the plain wait: asked twice after a new long-poll is done. Until that
    poll ends it is asked at most once (its loop then sees the poll done), so a wait that
    returns on the poll's answer returns with `asked` < 2; no timer in the way."""

    def __init__(self, engine: SyncEngine):
        super().__init__()
        self.engine, self.before, self.asked = engine, engine._poll, 0

    def is_set(self) -> bool:
        poll = self.engine._poll
        if poll is not None and poll is not self.before and poll.done.is_set():
            self.asked += 1
            if self.asked == 2:
                self.set()
        return super().is_set()


def test_a_change_the_kiosk_cannot_apply_does_not_loop(server, store):
    """The server says "changed" but the content is rejected (the cursor stays): the engine
    syncs once for it, then goes back to its interval instead of syncing again at once."""
    site = Site()
    server.handler = site
    engine = SyncEngine(store, Transport(server.url, TOKEN, timeout=LIVE_TIMEOUT))
    engine.sync_once()
    site.poles.append({"kind": "pole", "data": {"id": "bad"}})  # malformed
    site.publish()
    engine.wait_between_syncs(threading.Event(), delay=NEVER, online=True)  # "changed"
    assert engine.sync_once().error.startswith("content rejected")
    assert store.content_cursor() == "1"
    # Asked again from cursor 1, the server says "changed" at once: the same change.
    stop = StopOnceIdle(engine)
    engine.wait_between_syncs(stop, delay=NEVER, online=True)
    assert stop.asked >= 2, "the wait returned on the change it could not apply"
    assert len(paths(server, "/api/v1/content/changes")) == 2
    assert len(paths(server, "/api/v1/content")) == 2


def test_wait_for_changes_reads_the_answer(server):
    server.handler = lambda request: Reply(200, {"cursor": "7", "changed": True})
    transport = Transport(server.url, TOKEN, timeout=LIVE_TIMEOUT)
    answer = transport.wait_for_changes("6", wait=3)
    assert (answer.cursor, answer.changed) == ("7", True)
    assert answer.size > 0
    assert server.requests[0].query == {"since": "6", "wait": "3"}
    server.handler = lambda request: Reply(404, {"detail": "Not Found"})
    with pytest.raises(TransportError) as caught:
        transport.wait_for_changes("6", wait=3)
    assert caught.value.status == 404 and not caught.value.retryable


@pytest.mark.e2e
def test_engine_gets_an_agent_save_from_the_real_server(tmp_path, store):
    """Real server (gunicorn): an ORM save in another process reaches the kiosk by push."""
    from tests.support.servers import demo_server

    with demo_server(tmp_path / "server", sqlite_only=True) as srv:
        engine = SyncEngine(store, Transport(srv.url, srv.kiosk_token, timeout=LIVE_TIMEOUT))
        with running(engine, interval=NEVER):  # an hour: only the push brings the save
            assert wait_until(lambda: store.content_cursor() is not None)
            slug = store.services()[0].id
            assert wait_until(lambda: engine._poll is not None)  # the long-poll is out
            srv.manage("shell", "-c", (
                "from kiosk.server.content.models import Service\n"
                f"s = Service.objects.get(slug={slug!r})\n"
                "s.hours = [{'days': [0, 1, 2, 3, 4], 'open': '08:30', 'close': '16:15'}]\n"
                "s.save()\n"))
            assert wait_until(lambda: str(store.service(slug).hours[0].closes) == "16:15:00")


# -- a long-poll that fails on the kiosk's side is a bug: reported, not hidden -------------


def engine_over(transport, store):
    store.apply_content("5", [], [], full=True)  # a cursor: the engine long-polls
    return SyncEngine(store, transport, heartbeat=lambda report: {"version": "t"},
                      heartbeat_interval=0.0)


def test_a_long_poll_bug_is_logged_as_an_error_and_counted_in_the_heartbeat(store, caplog):
    from tests.support.fakes import FakeTransport

    transport = FakeTransport()
    transport.cursor = "5"

    def broken(since, wait):
        raise KeyError("changed")  # e.g. a parsing bug in the transport

    transport.long_poll = broken
    engine = engine_over(transport, store)
    with caplog.at_level("DEBUG", logger="kiosk.sync.engine"):
        for _ in range(2):
            engine.wait_between_syncs(StopOnceIdle(engine), delay=NEVER, online=True)
    assert engine.long_poll_errors == 2
    assert engine.last_long_poll_error == "content long-poll: KeyError('changed')"
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 2 and errors[0].exc_info[0] is KeyError

    engine.sync_once()
    assert transport.heartbeats[-1] == {
        "version": "t", "long_poll_errors": 2,
        "last_long_poll_error": "content long-poll: KeyError('changed')"}


def test_a_network_failure_of_the_long_poll_is_not_counted(store, caplog):
    from tests.support.fakes import FakeTransport

    transport = FakeTransport()
    transport.cursor = "5"
    transport.fail["wait_for_changes"] = TransportError("GET /content/changes: ConnectionError")
    engine = engine_over(transport, store)
    with caplog.at_level("DEBUG", logger="kiosk.sync.engine"):
        engine.wait_between_syncs(StopOnceIdle(engine), delay=NEVER, online=True)
    assert [c for c, _ in transport.calls] == ["wait_for_changes"]
    assert engine.long_poll_errors == 0 and engine.last_long_poll_error is None
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    engine.sync_once()
    assert transport.heartbeats[-1]["long_poll_errors"] == 0
