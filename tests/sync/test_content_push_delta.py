"""A long-poll answer that carries the delta: the engine applies it exactly as a fetched one
(same validation, store write, callback, bytes counted) and only once; without it (an older
server, or a delta over the server's size cap) the engine fetches GET /content as before."""

from __future__ import annotations

import json
import threading

import pytest

from kiosk.localstore import LocalStore
from kiosk.ports import ContentChanges, ContentDelta
from kiosk.sync.engine import SyncEngine
from kiosk.sync.transport import Transport
from tests.support.patience import GUARD, LIVE_TIMEOUT
from tests.sync import Reply
from tests.sync.conftest import TOKEN


def pole(id_, order=1, name=None) -> dict:
    return {"kind": "pole", "data": {"id": id_, "order": order, "color": "#336699",
                                     "pictogram": "mairie", "name": {"fr": name or id_}}}


class DeltaSite:
    """A fake server with a change log: GET /content?since= answers the poles changed since;
    /content/changes answers at once and, with `embed`, carries that same answer."""

    def __init__(self, embed: bool):
        self.embed = embed
        self.cursor = 1
        self.log: list[tuple[int, dict]] = [(1, pole("citoyennete"))]
        self.sent: list[int] = []  # bytes of each /content/changes answer

    def publish(self, item: dict) -> None:
        self.cursor += 1
        self.log.append((self.cursor, item))

    def etag(self) -> str:
        return f'"c{self.cursor}"'

    def content(self, since: str | None) -> dict:
        known = since is not None and 0 < int(since) <= self.cursor
        return {"protocol": 1, "cursor": str(self.cursor), "full": not known, "more": False,
                "items": [item for seq, item in self.log if not known or seq > int(since)],
                "deleted": []}

    def __call__(self, request):
        since = request.query.get("since")
        if request.path == "/api/v1/content":
            if since == str(self.cursor) and request.headers.get("if-none-match") == self.etag():
                return Reply(304)
            return Reply(200, self.content(since), headers={"ETag": self.etag()})
        if request.path == "/api/v1/content/changes":
            body = {"cursor": str(self.cursor), "changed": since != str(self.cursor)}
            if self.embed and body["changed"]:
                body.update(etag=self.etag(), delta=self.content(since))
            self.sent.append(len(json.dumps(body).encode()))
            return Reply(200, body)
        return Reply(404, {"detail": "Not Found"})


def content_requests(server) -> list:
    return [r for r in list(server.requests) if r.path == "/api/v1/content"]


def one_push(engine: SyncEngine):
    """Wait between syncs until the long-poll says "changed", then sync (the delay is only a
    guard: the fake server answers at once)."""
    engine.wait_between_syncs(threading.Event(), delay=GUARD, online=True)
    return engine.sync_once()


def held(store) -> list:
    return [(p.id, p.order, p.name) for p in store.poles()]


def test_an_embedded_delta_is_applied_as_a_fetched_one_and_needs_no_fetch(server, tmp_path):
    stores, reports, changed = {}, {}, {"embedded": [], "fetched": []}
    for mode in ("embedded", "fetched"):
        site = DeltaSite(embed=mode == "embedded")
        server.handler = site
        server.requests.clear()
        store = stores[mode] = LocalStore(tmp_path / f"{mode}.sqlite3")
        engine = SyncEngine(store, Transport(server.url, TOKEN, timeout=LIVE_TIMEOUT),
                            on_content_changed=lambda m=mode: changed[m].append(1))
        engine.sync_once()  # the first sync: a full snapshot
        site.publish(pole("logement", 2))
        site.publish(pole("citoyennete", 1, "Citoyenneté"))  # an edit of a held item
        report = reports[mode] = one_push(engine)
        gets = content_requests(server)
        if mode == "embedded":
            assert len(gets) == 1  # the first sync's only: the push answer had the delta
            assert report.bytes_received == site.sent[-1]  # the answer's bytes on the wire
        else:
            assert len(gets) == 2 and gets[1].query == {"since": "1"}
            assert report.bytes_received == len(json.dumps(site.content("1")).encode())
        assert changed[mode] == [1, 1]  # first sync, then the pushed change: once each
        assert store.content_cursor() == "3" and store.content_etag() == '"c3"'
    assert held(stores["embedded"]) == held(stores["fetched"])
    assert stores["embedded"].poles()[0].title("fr") == "Citoyenneté"  # the edit applied
    assert [p.id for p in stores["embedded"].poles()] == ["citoyennete", "logement"]
    one, two = reports["embedded"], reports["fetched"]
    assert (one.pulled, one.content_changed, one.error) == (two.pulled, two.content_changed,
                                                            two.error) == (2, True, None)
    for store in stores.values():
        store.close()


def test_the_embedded_delta_is_applied_once(server, store):
    site = DeltaSite(embed=True)
    server.handler = site
    engine = SyncEngine(store, Transport(server.url, TOKEN, timeout=LIVE_TIMEOUT))
    engine.sync_once()
    site.publish(pole("logement", 2))
    one_push(engine)
    assert len(content_requests(server)) == 1
    report = engine.sync_once()  # a later sync (wake, interval): asks the server again
    gets = content_requests(server)
    assert len(gets) == 2 and gets[1].query == {"since": "2"}
    assert gets[1].headers["if-none-match"] == '"c2"'  # 304: nothing applied again
    assert (report.pulled, report.content_changed) == (0, False)


def test_an_answer_without_a_delta_still_fetches(server, store):
    site = DeltaSite(embed=False)  # an older server, or a delta over the size cap
    server.handler = site
    engine = SyncEngine(store, Transport(server.url, TOKEN, timeout=LIVE_TIMEOUT))
    engine.sync_once()
    site.publish(pole("logement", 2))
    report = one_push(engine)
    assert len(content_requests(server)) == 2
    assert report.pulled == 1 and [p.id for p in store.poles()] == ["citoyennete", "logement"]


def test_a_rejected_embedded_delta_keeps_the_last_good_content(server, store):
    """Same validation as a fetched delta: a bad item rejects the whole delta."""
    site = DeltaSite(embed=True)
    server.handler = site
    engine = SyncEngine(store, Transport(server.url, TOKEN, timeout=LIVE_TIMEOUT))
    engine.sync_once()
    site.publish({"kind": "pole", "data": {"id": "bad"}})  # malformed
    report = one_push(engine)
    assert report.error is not None and report.error.startswith("content rejected")
    assert store.content_cursor() == "1" and [p.id for p in store.poles()] == ["citoyennete"]
    assert len(content_requests(server)) == 1


def fake_engine(store, delta: ContentDelta | None):
    from tests.support.fakes import FakeTransport

    transport = FakeTransport()
    transport.cursor = "6"
    transport.long_poll = lambda since, wait: ContentChanges("6", True, 99, delta)
    store.apply_content("5", [], [], full=True)
    return SyncEngine(store, transport), transport


def test_a_delta_from_a_cursor_no_longer_held_is_not_applied(store):
    delta = ContentDelta(cursor="6", items=[pole("logement", 2)], deleted=[], full=False,
                         more=False, etag='"6"', size=99)
    engine, transport = fake_engine(store, delta)
    engine.wait_between_syncs(threading.Event(), delay=GUARD, online=True)
    store.apply_content("7", [], [])  # the kiosk moved on meanwhile (another sync)
    engine.sync_once()
    # Fetched from what it holds.
    assert [args[0] for name, args in transport.calls if name == "get_content"] == ["7"]
    assert "logement" not in [p.id for p in store.poles()]


def test_an_embedded_page_with_more_fetches_the_rest(store):
    delta = ContentDelta(cursor="6", items=[pole("logement", 2)], deleted=[], full=False,
                         more=True, etag=None, size=99)
    engine, transport = fake_engine(store, delta)
    transport.cursor = "8"
    engine.wait_between_syncs(threading.Event(), delay=GUARD, online=True)
    report = engine.sync_once()
    assert [args[0] for name, args in transport.calls if name == "get_content"] == ["6"]
    assert store.content_cursor() == "8"
    assert report.bytes_received == 99 + 100  # the long-poll answer's, then the page fetched


@pytest.mark.parametrize("delta", [{"cursor": "7"}, "nope", {"cursor": "7", "items": [],
                                   "deleted": [], "full": "false"}])
def test_an_unreadable_embedded_delta_is_dropped_and_fetched(server, delta, caplog):
    server.handler = lambda request: Reply(200, {"cursor": "7", "changed": True,
                                                 "etag": '"7"', "delta": delta})
    answer = Transport(server.url, TOKEN, timeout=LIVE_TIMEOUT).wait_for_changes("6", wait=3)
    assert (answer.cursor, answer.changed, answer.delta) == ("7", True, None)
    assert "fetching it" in caplog.text


def test_wait_for_changes_reads_the_embedded_delta(server):
    body = {"cursor": "7", "changed": True, "etag": '"c7"',
            "delta": {"protocol": 1, "cursor": "7", "full": False, "more": False,
                      "items": [pole("logement", 2)], "deleted": []}}
    server.handler = lambda request: Reply(200, body)
    answer = Transport(server.url, TOKEN, timeout=LIVE_TIMEOUT).wait_for_changes("6", wait=3)
    assert answer.delta == ContentDelta(cursor="7", items=[pole("logement", 2)], deleted=[],
                                        full=False, more=False, etag='"c7"',
                                        size=len(json.dumps(body).encode()))
    # "changed: false" never carries one; an old server's answer has none.
    for old in ({"cursor": "7", "changed": False, "delta": body["delta"]},
                {"cursor": "7", "changed": True}):
        server.handler = lambda request, old=old: Reply(200, old)
        assert Transport(server.url, TOKEN, timeout=LIVE_TIMEOUT).wait_for_changes("6", 3).delta is None
