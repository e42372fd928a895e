"""The outbox is pruned: 90 days of a busy kiosk's tickets leave its SQLite file small,
and the sync engine does the pruning itself (LocalStore.prune_outbox, SyncEngine)."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

import pytest

from kiosk.localstore import LocalStore, OutboxStatus
from kiosk.localstore.store import FAILED_KEEP, SENT_KEEP
from kiosk.sync.engine import SyncEngine
from tests.support.fakes import FakeTransport

TICKETS_PER_DAY = 300  # a busy day at the 19e: every ticket of the day through one kiosk
DAYS = 90
BOUND = 1_500_000  # bytes, database + WAL: a few days of rows, whatever the kiosk's age


class Clock:
    def __init__(self, start: dt.datetime):
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now


def file_size(path) -> int:
    return sum(os.path.getsize(p) for p in (path, f"{path}-wal") if os.path.exists(p))


def a_day_of_tickets(store: LocalStore, day: int) -> None:
    """A day's tickets go out and come back acknowledged; one in a hundred is refused."""
    for n in range(TICKETS_PER_DAY):
        item = store.enqueue("ticket", {
            "service": "etat-civil", "language": "fr", "phone": "+33612345678",
            "sms_consent": True, "offline": {"lease_day": f"day-{day}", "number": n,
                                             "issued_at": "2026-03-03T09:00:00.000+00:00",
                                             "public_token": "t" * 22}})
        if n % 100 == 99:
            store.mark_rejected(item.id, "422 service closed")
        else:
            store.mark_sent(item.id, {"id": "x" * 22, "number": f"A{n:03d}", "status": "waiting",
                                      "phone_url": "https://carrefour.example/t/" + "x" * 22,
                                      "position": n, "estimated_wait_minutes": 12})


@pytest.fixture
def memory_disk(tmp_path):
    """A directory in RAM where there is one: every erasure of a phone checkpoints the WAL
    with an fsync, which a real disk makes slow (27,000 of them here); sizes are the same."""
    if not Path("/dev/shm").is_dir():
        yield tmp_path
        return
    with tempfile.TemporaryDirectory(dir="/dev/shm", prefix="carrefour-prune-") as folder:
        yield Path(folder)


def test_ninety_days_of_tickets_keep_the_database_under_a_bound(memory_disk):
    clock = Clock(dt.datetime(2026, 1, 5, 8, tzinfo=dt.UTC))
    path = memory_disk / "kiosk.sqlite3"
    store = LocalStore(path, clock=clock)
    sizes = []
    try:
        for day in range(DAYS):
            clock.now += dt.timedelta(days=1)
            a_day_of_tickets(store, day)
            store.prune_outbox()  # what the engine does at most once an hour
            sizes.append(file_size(path))
        rows = store._read("SELECT status, COUNT(*) FROM outbox GROUP BY status")
    finally:
        store.close()
    counts = dict(rows)
    # Sent rows: the day just gone (younger than SENT_KEEP); refused ones: two weeks' worth.
    assert counts.get("sent", 0) <= TICKETS_PER_DAY * (SENT_KEEP.days + 1)
    assert counts.get("failed", 0) <= (TICKETS_PER_DAY // 100) * (FAILED_KEEP.days + 1)
    assert max(sizes) < BOUND, max(sizes)
    # Steady: the last weeks weigh what the third week weighed (freed pages are reused).
    assert sizes[-1] <= sizes[20] * 1.1, (sizes[20], sizes[-1])


def test_pending_rows_are_never_pruned_and_a_failure_stays_two_weeks():
    clock = Clock(dt.datetime(2026, 3, 1, 8, tzinfo=dt.UTC))
    store = LocalStore(":memory:", clock=clock)
    waiting = store.enqueue("ticket", {"service": "a"})
    sent = store.enqueue("ticket", {"service": "a"})
    store.mark_sent(sent.id, {"id": "t"})
    refused = store.enqueue("ticket", {"service": "a"})
    store.mark_rejected(refused.id, "422")

    clock.now += SENT_KEEP + dt.timedelta(minutes=1)
    assert store.prune_outbox() == 1  # the sent one only
    assert store.outbox_item(refused.id).status == OutboxStatus.FAILED
    assert store.outbox_failed() == 1
    clock.now += FAILED_KEEP
    assert store.prune_outbox() == 1
    assert store.outbox_failed() == 0
    clock.now += dt.timedelta(days=400)
    assert store.prune_outbox() == 0
    assert store.outbox_item(waiting.id).status == OutboxStatus.PENDING
    store.close()


def test_the_sync_engine_prunes_at_its_first_sync_then_at_most_hourly(tmp_path):
    clock = Clock(dt.datetime(2026, 3, 1, 8, tzinfo=dt.UTC))
    store = LocalStore(tmp_path / "kiosk.sqlite3", clock=clock)
    seconds = [0.0]
    engine = SyncEngine(store, FakeTransport(), clock=lambda: seconds[0])

    def sent_rows() -> int:
        return store._read("SELECT COUNT(*) FROM outbox WHERE status = 'sent'")[0][0]

    store.enqueue("ticket", {"service": "a"})
    engine.sync_once()  # pushed (sent), then pruned: too young to go
    assert sent_rows() == 1
    clock.now += dt.timedelta(days=2)
    seconds[0] += 600
    engine.sync_once()  # ten minutes later on the engine's clock: no prune yet
    assert sent_rows() == 1
    seconds[0] += engine.prune_interval
    engine.sync_once()
    assert sent_rows() == 0
    store.close()
