"""Closing the store (the kiosk's stop): the WAL is copied into the file and emptied."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from kiosk.localstore import LocalStore


def test_close_checkpoints_the_wal_into_the_file(tmp_path):
    path = tmp_path / "kiosk.sqlite3"
    store = LocalStore(path)
    item = store.enqueue("ticket", {"service": "etat-civil"}, "key-1")
    wal = Path(f"{path}-wal")
    assert wal.exists() and wal.stat().st_size > 0  # the row is in the WAL, not the file yet
    other = sqlite3.connect(path)  # keeps the WAL alive: only the checkpoint can empty it
    other.execute("SELECT count(*) FROM outbox").fetchall()
    try:
        store.close()
        store.close()  # a second close (main's finally after on_stop) does nothing
        assert wal.stat().st_size == 0
        db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)  # the file alone
        try:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert db.execute("SELECT status FROM outbox WHERE id = ?",
                              (item.id,)).fetchone() == ("pending",)
        finally:
            db.close()
    finally:
        other.close()
