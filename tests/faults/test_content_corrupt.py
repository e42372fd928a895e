"""Fault 4: the content payload arrives corrupt or truncated.

A fake server (tests/sync's FakeServer: a tiny http.server on loopback) answers
GET /api/v1/content with a good snapshot, then with broken answers one after the other
(cut mid-JSON, not JSON at all, wrong types in the envelope, one bad item among good ones),
then with a good delta again. Through it all the kiosk's real SyncEngine + LocalStore keep
the last good snapshot and its cursor, report the error (never raise), and the good delta
is applied as soon as it comes.
"""

from __future__ import annotations

import json

import pytest

from kiosk.localstore import LocalStore
from kiosk.sync.engine import SyncEngine
from kiosk.sync.transport import Transport
from tests.sync import FakeServer, Reply

pytestmark = pytest.mark.timeout(900)

TOKEN = "kiosk-token-for-fault-tests-0123456789"


def pole(id_, order=1) -> dict:
    return {"kind": "pole", "data": {"id": id_, "order": order, "color": "#336699",
                                     "pictogram": "mairie", "name": {"fr": id_}}}


def service(id_, pole_, prefix) -> dict:
    return {"kind": "service", "data": {"id": id_, "pole": pole_, "order": 1, "prefix": prefix,
                                        "pictogram": "info", "name": {"fr": id_}}}


def content(cursor, items=(), deleted=(), full=False, **override) -> dict:
    return {"protocol": 1, "cursor": cursor, "full": full, "more": False,
            "items": items if isinstance(items, str | dict) else list(items),
            "deleted": deleted if deleted is None else list(deleted), **override}


GOOD = content("10", [pole("citoyennete"), pole("famille", 2),
                      service("naissance", "citoyennete", "N")], full=True)
GOOD_TEXT = json.dumps(GOOD)
BAD_ITEM = dict(pole("logement"))
BAD_ITEM["data"] = {**BAD_ITEM["data"], "color": "not-a-color"}

CORRUPT = {
    "truncated JSON": Reply(200, GOOD_TEXT[: len(GOOD_TEXT) // 2].encode()),
    "empty body": Reply(200, b""),
    "not JSON (a proxy's error page)": Reply(200, b"<html><body>Bad gateway</body></html>"),
    "a list, not an object": Reply(200, [GOOD]),
    "cursor missing": Reply(200, {k: v for k, v in GOOD.items() if k != "cursor"}),
    "cursor null": Reply(200, content(None)),
    "cursor an object": Reply(200, content({"at": 11})),
    "items an object": Reply(200, content("11", {"kind": "pole"})),
    "items a string": Reply(200, content("11", "pole")),
    "deleted null": Reply(200, content("11", deleted=None)),
    "full a string": Reply(200, content("11", [pole("citoyennete")], full="false")),
    "more a string": Reply(200, content("11", more="no")),
    "an item without data": Reply(200, content("11", [pole("famille"), {"kind": "pole"}])),
    "an item of the wrong type": Reply(200, content("11", [pole("famille"), ["pole", "x"]])),
    "one bad item among good ones": Reply(200, content("11", [pole("vie-quartier", 4), BAD_ITEM])),
    "a service with a number as prefix": Reply(200, content(
        "11", [service("deces", "citoyennete", 7)])),
    "more pages, the cursor not moving": Reply(200, content("10", more=True)),
    "a deletion without an id": Reply(200, content("11", deleted=[{"kind": "pole"}])),
}


@pytest.fixture
def fake():
    server = FakeServer().start()
    yield server
    server.stop()


def snapshot(store: LocalStore) -> tuple:
    return (store.content_cursor(), [p.id for p in store.poles()],
            [(s.id, s.prefix) for s in store.services()])


def test_corrupt_content_keeps_the_last_good_snapshot_and_recovers(fake, tmp_path):
    answer: dict[str, Reply] = {"now": Reply(200, GOOD)}
    fake.handler = lambda request: (answer["now"] if request.path == "/api/v1/content"
                                    else Reply(404, {"detail": "none"}))
    reports = []
    changed = []
    store = LocalStore(tmp_path / "kiosk.sqlite3")
    engine = SyncEngine(store, Transport(fake.url, TOKEN, timeout=30.0),
                        on_status=reports.append, on_content_changed=lambda: changed.append(1))
    first = engine.sync_once()
    assert first.error is None and first.content_changed
    good = snapshot(store)
    assert good == ("10", ["citoyennete", "famille"], [("naissance", "N")])

    accepted = []
    for name, reply in CORRUPT.items():
        answer["now"] = reply
        before = len(changed)
        report = engine.sync_once()  # never raises
        if report.error is None or snapshot(store) != good or len(changed) != before:
            accepted.append((name, report.error, snapshot(store)))
        assert reports[-1] is report  # the UI and the heartbeat hear about it
    assert accepted == [], "corrupt payloads taken as content"
    assert [r.path for r in fake.requests[-len(CORRUPT):]] == ["/api/v1/content"] * len(CORRUPT)
    # The kiosk asks again from its last good cursor each time.
    assert {r.query.get("since") for r in fake.requests[1:]} == {"10"}

    answer["now"] = Reply(200, content("12", [pole("logement", 3)],
                                       deleted=[{"kind": "pole", "id": "famille"}]))
    report = engine.sync_once()
    assert report.error is None and report.content_changed
    assert snapshot(store) == ("12", ["citoyennete", "logement"], [("naissance", "N")])
    store.close()
