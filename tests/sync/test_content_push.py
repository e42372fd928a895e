"""Push: between syncs the engine long-polls /content/changes and syncs as soon as the server
says the content changed; plain polling every interval with an older server (404) or on
errors; wake() and stop still act at once while a long-poll is in flight."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import pytest

from kiosk.sync.engine import SyncEngine
from kiosk.sync.transport import Transport, TransportError
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


def wait_until(condition, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


@contextmanager
def running(engine: SyncEngine, interval: float):
    stop = threading.Event()
    thread = threading.Thread(target=engine.run, args=(stop,), kwargs={"interval": interval})
    thread.start()
    try:
        yield stop
    finally:
        stop.set()
        thread.join(timeout=5)
        assert not thread.is_alive(), "the sync loop did not stop within 5 s"


def held(store) -> set[str]:
    return {p.id for p in store.poles()}


def test_a_change_reaches_the_kiosk_long_before_its_interval(server, store):
    site = Site()
    server.handler = site
    changed = []
    engine = SyncEngine(store, Transport(server.url, TOKEN, timeout=2.0),
                        on_content_changed=lambda: changed.append(time.monotonic()))
    with running(engine, interval=60.0):
        assert wait_until(lambda: store.content_cursor() == "1")
        assert wait_until(lambda: paths(server, "/api/v1/content/changes"))
        waiting = paths(server, "/api/v1/content/changes")[0]
        assert waiting.query["since"] == "1"
        assert float(waiting.query["wait"]) == 25.0  # engine.push_wait, under the 60 s interval
        assert waiting.headers["authorization"] == f"Bearer {TOKEN}"
        published = time.monotonic()
        site.publish(pole("logement", 2))
        assert wait_until(lambda: "logement" in held(store), timeout=3)
        assert changed[-1] - published < 2
        assert store.content_cursor() == "2"
        # Then it waits again, from the new cursor.
        assert wait_until(lambda: any(r.query["since"] == "2"
                                      for r in paths(server, "/api/v1/content/changes")))
        site.publish(pole("famille", 3))
        assert wait_until(lambda: "famille" in held(store), timeout=3)
    assert len(paths(server, "/api/v1/content")) == 3  # one sync per change, no polling


def test_falls_back_to_the_interval_on_an_older_server(server, store):
    site = Site(push=False)  # /content/changes answers 404
    server.handler = site
    engine = SyncEngine(store, Transport(server.url, TOKEN, timeout=2.0))
    with running(engine, interval=0.5):
        assert wait_until(lambda: len(paths(server, "/api/v1/content")) >= 4, timeout=5)
        site.publish(pole("logement", 2))
        assert wait_until(lambda: "logement" in held(store), timeout=2)
    # Asked once; not again before engine.push_retry (10 minutes).
    assert len(paths(server, "/api/v1/content/changes")) == 1
    assert engine.failures == 0


@pytest.mark.parametrize("reply", [Reply(500, "boom"), Reply(200, {"unexpected": True}),
                                   Reply(200, {"cursor": "1", "changed": "no"})])
def test_falls_back_to_the_interval_on_errors_and_tries_push_again(server, store, reply):
    site = Site(changes_reply=reply)
    server.handler = site
    engine = SyncEngine(store, Transport(server.url, TOKEN, timeout=2.0))
    with running(engine, interval=0.5):
        assert wait_until(lambda: len(paths(server, "/api/v1/content/changes")) >= 3, timeout=5)
    assert len(paths(server, "/api/v1/content")) >= 3  # it kept syncing every interval


def test_wake_and_stop_act_at_once_during_a_long_poll(server, store):
    site = Site()
    server.handler = site
    engine = SyncEngine(store, Transport(server.url, TOKEN, timeout=2.0))
    with running(engine, interval=60.0) as stop:
        assert wait_until(lambda: paths(server, "/api/v1/content/changes"))
        engine.wake()  # a ticket was queued: sync now, not at the end of the long-poll
        assert wait_until(lambda: len(paths(server, "/api/v1/content")) == 2, timeout=1)
        time.sleep(0.5)
        # The long-poll still in flight is reused: one at a time per kiosk.
        assert len(paths(server, "/api/v1/content/changes")) == 1
        stopped = time.monotonic()
        stop.set()
    assert time.monotonic() - stopped < 1.5


def test_a_change_the_kiosk_cannot_apply_does_not_loop(server, store):
    """The server says "changed" but the content is rejected (the cursor stays): the engine
    syncs once for it, then goes back to its interval instead of spinning."""
    site = Site()
    server.handler = site
    engine = SyncEngine(store, Transport(server.url, TOKEN, timeout=2.0))
    with running(engine, interval=60.0):
        assert wait_until(lambda: paths(server, "/api/v1/content/changes"))
        site.poles.append({"kind": "pole", "data": {"id": "bad"}})  # malformed
        site.publish()
        time.sleep(1.0)
    assert store.content_cursor() == "1"
    assert len(paths(server, "/api/v1/content")) == 2


def test_wait_for_changes_reads_the_answer(server):
    server.handler = lambda request: Reply(200, {"cursor": "7", "changed": True})
    transport = Transport(server.url, TOKEN, timeout=2.0)
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
    """Real server (gunicorn): an ORM save in another process reaches the kiosk in seconds."""
    from tests.support.servers import demo_server

    with demo_server(tmp_path / "server", sqlite_only=True) as srv:
        engine = SyncEngine(store, Transport(srv.url, srv.kiosk_token, timeout=5.0))
        with running(engine, interval=60.0):
            assert wait_until(lambda: store.content_cursor() is not None, timeout=10)
            slug = store.services()[0].id
            time.sleep(0.5)  # the long-poll is waiting
            out = srv.manage("shell", "-c", (
                "import time\n"
                "from kiosk.server.content.models import Service\n"
                f"s = Service.objects.get(slug={slug!r})\n"
                "s.hours = [{'days': [0, 1, 2, 3, 4], 'open': '08:30', 'close': '16:15'}]\n"
                "s.save()\n"
                "print(time.time())"))
            saved_at = float(out.split()[-1])
            assert wait_until(lambda: str(store.service(slug).hours[0].closes) == "16:15:00",
                              timeout=5)
            assert time.time() - saved_at < 5  # the interval is 60 s


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
            engine.wait_between_syncs(threading.Event(), delay=0.3, online=True)
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
        engine.wait_between_syncs(threading.Event(), delay=0.3, online=True)
    assert [c for c, _ in transport.calls] == ["wait_for_changes"]
    assert engine.long_poll_errors == 0 and engine.last_long_poll_error is None
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    engine.sync_once()
    assert transport.heartbeats[-1]["long_poll_errors"] == 0
