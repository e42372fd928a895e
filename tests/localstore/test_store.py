"""The kiosk's SQLite store: schema, atomic content snapshots, the outbox and its claims."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
import uuid

import pytest

from kiosk.domain.content import ContentError
from kiosk.localstore import LocalStore, OutboxStatus
from kiosk.localstore.store import SCHEMA
from tests.support.patience import GUARD


def pole(id_="citoyennete", order=1, color="#1F4E8C", name="Citoyenneté") -> dict:
    return {"kind": "pole", "data": {"id": id_, "order": order, "color": color,
                                     "pictogram": "mairie", "name": {"fr": name}}}


def service(id_="etat-civil", pole_="citoyennete", order=1, prefix="C", name="État civil") -> dict:
    return {"kind": "service", "data": {"id": id_, "pole": pole_, "order": order,
                                        "prefix": prefix, "pictogram": "livret",
                                        "name": {"fr": name},
                                        "hours": [{"days": [0], "open": "08:30", "close": "12:00"}]}}


@pytest.fixture
def path(tmp_path):
    return tmp_path / "kiosk" / "kiosk.sqlite3"


@pytest.fixture
def store(path):
    s = LocalStore(path)
    yield s
    s.close()


def raw(path, sql, params=()):
    """A separate connection, as another process would see the file."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def snapshot(store: LocalStore) -> tuple:
    return (
        store.content_cursor(),
        store.content_etag(),
        [(p.id, p.title("fr")) for p in store.poles()],
        [(s.id, s.pole, s.title("fr")) for s in store.services()],
    )


# -- schema ----------------------------------------------------------------------------


def test_migrates_a_new_file_to_the_current_schema(store, path):
    assert path.exists()  # parent directory created too
    assert raw(path, "PRAGMA user_version") == [(len(SCHEMA),)]
    tables = {r[0] for r in raw(path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"meta", "content", "outbox"} <= tables
    assert raw(path, "PRAGMA journal_mode") == [("wal",)]


def test_reopening_keeps_data_and_does_not_migrate_again(path):
    first = LocalStore(path)
    kiosk_id = first.kiosk_id()
    first.apply_content("3", [pole()], [])
    first.close()
    second = LocalStore(path)
    try:
        assert second.kiosk_id() == kiosk_id
        assert second.content_cursor() == "3"
        assert [p.id for p in second.poles()] == ["citoyennete"]
    finally:
        second.close()
    assert raw(path, "PRAGMA user_version") == [(len(SCHEMA),)]


def test_a_file_from_a_newer_kiosk_is_refused(path):
    path.parent.mkdir(parents=True)
    raw(path, "PRAGMA user_version = 99")
    with pytest.raises(RuntimeError, match="newer"):
        LocalStore(path)


def test_in_memory_store_works():
    s = LocalStore(":memory:")
    try:
        s.apply_content("1", [pole()], [])
        assert [p.id for p in s.poles()] == ["citoyennete"]
    finally:
        s.close()


def test_kiosk_id_is_a_stable_uuid(store):
    value = store.kiosk_id()
    assert str(uuid.UUID(value)) == value
    assert store.kiosk_id() == value


def test_meta_set_get_and_overwrite(store):
    assert store.get_meta("x") is None
    assert store.get_meta("x", "default") == "default"
    store.set_meta("x", "1")
    store.set_meta("x", "2")
    assert store.get_meta("x") == "2"


# -- content ---------------------------------------------------------------------------


def test_empty_store_has_no_cursor_and_no_content(store):
    assert store.content_cursor() is None
    assert store.poles() == [] and store.services() == []
    assert store.service("etat-civil") is None


def test_apply_content_stores_items_cursor_and_etag(store):
    changed = store.apply_content(
        "7", [pole(), service(), service("deces", order=0, prefix="D", name="Décès")], [],
        full=True, etag='"s1-c7"',
    )
    assert changed == 3
    assert store.content_cursor() == "7"
    assert store.content_etag() == '"s1-c7"'
    assert store.get_meta("content_synced_at") is not None
    assert [s.id for s in store.services()] == ["deces", "etat-civil"]  # by order
    assert store.service("etat-civil").prefix == "C"


def test_items_are_sorted_by_order_then_id_and_filtered_by_pole(store):
    store.apply_content("1", [
        pole("logement", order=3), pole("famille-social", order=2), pole("b-pole", order=2),
        service("z", pole_="logement", order=0, prefix="L"),
        service("a", pole_="famille-social", order=5, prefix="F"),
    ], [])
    assert [p.id for p in store.poles()] == ["b-pole", "famille-social", "logement"]
    assert [s.id for s in store.services(pole="logement")] == ["z"]
    assert store.services(pole="nope") == []


def test_an_update_replaces_the_stored_item(store):
    store.apply_content("1", [pole(name="Ancien nom")], [])
    changed = store.apply_content("2", [pole(name="Nouveau nom")], [])
    assert changed == 1
    assert [p.title("fr") for p in store.poles()] == ["Nouveau nom"]


@pytest.mark.parametrize(
    "bad",
    [
        pole(color="red"),
        service(prefix="cc"),
        {"kind": None, "data": {"id": "x"}},
        {"kind": "pole", "data": None},
        {"kind": "pole"},
        "not an object",
        {"kind": "pole", "data": {"id": "x", "color": "#000000", "pictogram": "p", "name": {"en": "x"}}},
    ],
)
def test_one_bad_item_rejects_the_whole_payload(store, bad):
    store.apply_content("5", [pole(), service()], [], full=True, etag='"e5"')
    before = snapshot(store)
    with pytest.raises(ContentError):
        store.apply_content(
            "6", [pole("logement", order=9), bad, service("deces", prefix="D")],
            [{"kind": "service", "id": "etat-civil"}], etag='"e6"',
        )
    assert snapshot(store) == before


@pytest.mark.parametrize("bad", [{"kind": "pole"}, {"kind": "pole", "id": 3}, "etat-civil", None])
def test_a_bad_deletion_rejects_the_whole_payload(store, bad):
    store.apply_content("5", [pole(), service()], [])
    before = snapshot(store)
    with pytest.raises(ContentError, match="deletion"):
        store.apply_content("6", [pole("logement")], [bad])
    assert snapshot(store) == before


def test_a_deletion_without_a_valid_kind_is_rejected(store):
    store.apply_content("5", [pole()], [])
    with pytest.raises(ContentError):
        store.apply_content("6", [], [{"id": "citoyennete"}])
    with pytest.raises(ContentError):
        store.apply_content("6", [], [{"kind": 3, "id": "citoyennete"}])


def test_kinds_from_a_newer_server_are_skipped_not_fatal(store):
    """A kiosk one version behind keeps applying the kinds it knows."""
    store.apply_content("5", [pole()], [])
    store.apply_content("6", [service(), {"kind": "hologram", "data": {"id": "x"}}],
                        [{"kind": "hologram", "id": "y"}])
    assert store.content_cursor() == "6"
    assert [s.id for s in store.services()] == [service()["data"]["id"]]
    assert [p.id for p in store.poles()] == [pole()["data"]["id"]]


def test_a_failure_inside_the_transaction_rolls_back(store, monkeypatch):
    """Even when writing fails half way, the cursor never claims content we do not hold."""
    store.apply_content("5", [pole(), service()], [], full=True, etag='"e5"')
    before = snapshot(store)

    class Boom(Exception):
        pass

    real_write = store._write

    def failing_write(fn):
        def wrapped(db):
            fn(db)  # every statement ran...
            raise Boom  # ...and the commit never happens

        return real_write(wrapped)

    monkeypatch.setattr(store, "_write", failing_write)
    with pytest.raises(Boom):
        store.apply_content("6", [pole("logement")], [{"kind": "pole", "id": "citoyennete"}],
                            full=True, etag='"e6"')
    monkeypatch.undo()
    assert snapshot(store) == before


def test_deletions_remove_items_and_count(store):
    store.apply_content("1", [pole(), service(), service("deces", prefix="D")], [])
    changed = store.apply_content(
        "2", [], [{"kind": "service", "id": "deces"}, {"kind": "service", "id": "never-existed"}]
    )
    assert changed == 1
    assert [s.id for s in store.services()] == ["etat-civil"]
    assert store.service("deces") is None
    assert store.content_cursor() == "2"


def test_a_deletion_only_touches_its_kind(store):
    store.apply_content("1", [pole("same"), service("same", pole_="same")], [])
    store.apply_content("2", [], [{"kind": "pole", "id": "same"}])
    assert store.poles() == []
    assert [s.id for s in store.services()] == ["same"]


def test_a_delta_keeps_what_it_does_not_mention(store):
    store.apply_content("1", [pole(), service()], [], full=True)
    store.apply_content("2", [pole("logement", order=2)], [])
    assert [p.id for p in store.poles()] == ["citoyennete", "logement"]
    assert [s.id for s in store.services()] == ["etat-civil"]


def test_a_full_snapshot_replaces_everything(store):
    store.apply_content("1", [pole(), pole("logement"), service(), service("deces", prefix="D")],
                        [], full=True)
    changed = store.apply_content("9", [pole("vie-quartier")], [], full=True, etag='"e9"')
    assert changed == 4 + 1  # four rows gone, one written
    assert [p.id for p in store.poles()] == ["vie-quartier"]
    assert store.services() == []
    assert store.content_cursor() == "9"


def test_an_empty_full_snapshot_empties_the_store(store):
    store.apply_content("1", [pole(), service()], [], full=True)
    store.apply_content("2", [], [], full=True)
    assert store.poles() == [] and store.services() == []


def test_no_etag_clears_the_old_one(store):
    store.apply_content("1", [pole()], [], etag='"e1"')
    store.apply_content("2", [], [])
    assert store.content_cursor() == "2"
    assert not store.content_etag()


def test_a_stored_row_that_no_longer_validates_is_skipped_in_lists(store, path):
    store.apply_content("1", [pole(), service()], [])
    raw(path, "INSERT INTO content (kind, id, data) VALUES ('pole', 'broken', ?)",
        (json.dumps({"id": "broken", "color": "nope"}),))
    raw(path, "INSERT INTO content (kind, id, data) VALUES ('pole', 'garbage', 'not json')")
    assert [p.id for p in store.poles()] == ["citoyennete"]


def test_service_lookup_of_a_row_that_no_longer_validates_is_none(store, path):
    raw(path, "INSERT INTO content (kind, id, data) VALUES ('service', 'old', ?)",
        (json.dumps({"id": "old", "prefix": "cc"}),))
    assert store.service("old") is None


# -- outbox ----------------------------------------------------------------------------


def age(path, item_id, column, delta):
    """Move a timestamp of an outbox row into the past."""
    when = (dt.datetime.now(dt.UTC) - delta).isoformat(timespec="microseconds")
    raw(path, f"UPDATE outbox SET {column} = ? WHERE id = ?", (when, item_id))


def test_enqueue_creates_a_pending_row_with_a_uuid_key(store):
    item = store.enqueue("ticket", {"service": "deces", "language": "ar"})
    assert item.status is OutboxStatus.PENDING
    assert item.attempts == 0
    assert item.payload == {"service": "deces", "language": "ar"}
    assert uuid.UUID(item.idempotency_key)
    assert item.next_attempt_at <= dt.datetime.now(dt.UTC)
    assert item.last_error is None and item.result is None
    assert store.outbox_depth() == 1


def test_enqueue_keeps_a_given_key_and_refuses_a_duplicate(store):
    key = str(uuid.uuid4())
    assert store.enqueue("ticket", {}, idempotency_key=key).idempotency_key == key
    with pytest.raises(sqlite3.IntegrityError):
        store.enqueue("ticket", {"other": 1}, idempotency_key=key)
    assert store.outbox_depth() == 1


def test_each_enqueue_gets_its_own_key(store):
    keys = {store.enqueue("ticket", {}).idempotency_key for _ in range(5)}
    assert len(keys) == 5


def test_outbox_item_unknown_id(store):
    with pytest.raises(KeyError):
        store.outbox_item(12345)


def test_claim_due_claims_oldest_first_up_to_the_limit(store):
    ids = [store.enqueue("ticket", {"n": n}).id for n in range(5)]
    claimed = store.claim_due(limit=3)
    assert [i.id for i in claimed] == ids[:3]
    assert all(i.status is OutboxStatus.SENDING and i.attempts == 1 for i in claimed)
    assert [i.id for i in store.claim_due(limit=10)] == ids[3:]
    assert store.claim_due() == []  # nothing left pending
    assert store.outbox_depth() == 5  # sending still counts


def test_claim_due_skips_rows_not_yet_due(store):
    item = store.enqueue("ticket", {})
    store.claim_due()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    store.mark_retry(item.id, "503", later)
    assert store.claim_due() == []
    assert store.claim_due(now=later - dt.timedelta(seconds=1)) == []
    again = store.claim_due(now=later)
    assert [i.id for i in again] == [item.id]
    assert again[0].attempts == 2


def test_mark_retry_puts_the_row_back_with_the_error(store):
    item = store.enqueue("ticket", {})
    store.claim_due()
    when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
    store.mark_retry(item.id, "server answered 503", when)
    row = store.outbox_item(item.id)
    assert row.status is OutboxStatus.PENDING
    assert row.last_error == "server answered 503"
    assert row.next_attempt_at == when
    assert row.attempts == 1


def test_mark_retry_is_ignored_unless_the_row_is_sending(store):
    item = store.enqueue("ticket", {})
    store.claim_due()
    store.mark_sent(item.id, {"number": "C001"})
    store.mark_retry(item.id, "late failure", dt.datetime.now(dt.UTC))
    row = store.outbox_item(item.id)
    assert row.status is OutboxStatus.SENT
    assert row.last_error is None


def test_mark_sent_records_the_result_and_leaves_the_depth(store):
    item = store.enqueue("ticket", {})
    store.claim_due()
    store.mark_sent(item.id, {"id": "tok", "number": "C001"})
    row = store.outbox_item(item.id)
    assert row.status is OutboxStatus.SENT
    assert row.result == {"id": "tok", "number": "C001"}
    assert store.outbox_depth() == 0
    assert store.claim_due() == []


def test_mark_rejected_is_final(store):
    item = store.enqueue("ticket", {})
    store.claim_due()
    store.mark_rejected(item.id, "404 unknown service")
    row = store.outbox_item(item.id)
    assert row.status is OutboxStatus.FAILED
    assert row.last_error == "404 unknown service"
    assert store.outbox_depth() == 0
    assert store.claim_due() == []


def test_release_stuck_only_releases_old_claims(store, path):
    old = store.enqueue("ticket", {"n": 1})
    fresh = store.enqueue("ticket", {"n": 2})
    pending = store.enqueue("ticket", {"n": 3})
    store.claim_due(limit=2)
    age(path, old.id, "claimed_at", dt.timedelta(minutes=10))
    assert store.release_stuck(older_than=dt.timedelta(minutes=2)) == 1
    assert store.outbox_item(old.id).status is OutboxStatus.PENDING
    assert store.outbox_item(fresh.id).status is OutboxStatus.SENDING
    assert store.outbox_item(pending.id).status is OutboxStatus.PENDING
    # The released row is claimable again, with the same key, one more attempt.
    again = [i for i in store.claim_due() if i.id == old.id]
    assert again and again[0].idempotency_key == old.idempotency_key and again[0].attempts == 2


def test_release_stuck_leaves_finished_rows_alone(store, path):
    item = store.enqueue("ticket", {})
    store.claim_due()
    store.mark_sent(item.id, {})
    age(path, item.id, "claimed_at", dt.timedelta(hours=1))
    assert store.release_stuck(older_than=dt.timedelta(minutes=2)) == 0
    assert store.outbox_item(item.id).status is OutboxStatus.SENT


def test_prune_forgets_only_old_finished_rows(store, path):
    sent_old, failed_old, sent_new, pending_old = (store.enqueue("ticket", {}) for _ in range(4))
    store.claim_due()
    store.mark_sent(sent_old.id, {})
    store.mark_rejected(failed_old.id, "no")
    store.mark_sent(sent_new.id, {})
    store.mark_retry(pending_old.id, "503", dt.datetime.now(dt.UTC))
    failed_new = store.enqueue("ticket", {})
    store.claim_due()
    store.mark_rejected(failed_new.id, "no")
    for item in (sent_old, pending_old, failed_new):
        age(path, item.id, "created_at", dt.timedelta(days=2))  # sent rows go after a day
    age(path, failed_old.id, "created_at", dt.timedelta(days=15))  # refused: after two weeks
    assert store.prune_outbox() == 2
    remaining = {r[0] for r in raw(path, "SELECT id FROM outbox")}
    assert remaining == {sent_new.id, pending_old.id, failed_new.id}


def test_two_stores_on_one_file_never_claim_the_same_row(path):
    setup = LocalStore(path)
    ids = {setup.enqueue("ticket", {"n": n}).id for n in range(300)}
    setup.close()
    stores = [LocalStore(path), LocalStore(path)]
    claimed: list[list[int]] = [[], []]
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def worker(index: int) -> None:
        try:
            barrier.wait()
            while True:
                batch = stores[index].claim_due(limit=3)
                if not batch:
                    return
                claimed[index].extend(item.id for item in batch)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=GUARD)
    for s in stores:
        s.close()
    assert not errors
    assert not any(t.is_alive() for t in threads)
    first, second = set(claimed[0]), set(claimed[1])
    assert len(first) == len(claimed[0]) and len(second) == len(claimed[1])
    assert first.isdisjoint(second)
    assert first | second == ids
    assert raw(path, "SELECT COUNT(*) FROM outbox WHERE status = 'sending' AND attempts = 1") == [
        (300,)
    ]


def test_a_kiosk_that_learns_new_kinds_resyncs_from_scratch(tmp_path, monkeypatch):
    from kiosk.localstore import store as store_module

    path = tmp_path / "kiosk.sqlite3"
    old = LocalStore(path)
    old.apply_content("7", [pole()], [], etag='"e7"')
    old.close()
    again = LocalStore(path)  # same version: keeps its cursor
    assert again.content_cursor() == "7"
    again.close()
    monkeypatch.setitem(store_module.KINDS, "hologram", object)
    upgraded = LocalStore(path)  # knows one more kind: asks for a full snapshot
    assert upgraded.content_cursor() is None and upgraded.content_etag() in (None, "")
    assert [p.id for p in upgraded.poles()] == ["citoyennete"]  # content kept meanwhile
    upgraded.close()
