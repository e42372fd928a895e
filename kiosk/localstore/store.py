"""The kiosk's SQLite store.

One file, WAL, schema versioned with PRAGMA user_version. The content snapshot and its
cursor change in one transaction, so the cursor never claims content we do not hold; a
payload that fails validation is rejected whole and the last good snapshot stays.
The outbox holds writes for the server (offline tickets, agent calls, contributions) with an
idempotency key, so a retry never duplicates anything; the personal data a row carries (an
offline ticket's phone number) is erased from it, and from the file, once the server has it.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from kiosk.domain.content import (
    KINDS,
    Announcement,
    Asset,
    Closure,
    ContentError,
    FloorPlan,
    InfoPage,
    NearbyPlace,
    Offer,
    Pole,
    Service,
    Situation,
    parse_item,
)
from kiosk.localstore.schema import SCHEMA as SCHEMA  # re-exported: the tests read it here
from kiosk.ports import Json

_T = TypeVar("_T")  # what a write transaction returns
_Item = TypeVar("_Item")  # a content item class of KINDS

# How long finished outbox rows stay: a sent row only until the screens no longer ask for it
# (an offline ticket's upload is looked up the same day); a refused one two weeks, for an
# agent to find it in the kiosk's file (and its log line) after a holiday weekend.
SENT_KEEP = dt.timedelta(days=1)
FAILED_KEEP = dt.timedelta(days=14)

# Personal data an outbox payload may carry (a ticket's phone, with the visitor's consent;
# a proposal's contact): kept only until the server has answered for the row.
PERSONAL_FIELDS = ("phone", "contact")


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # rejected by the server: retrying would not help


@dataclass(frozen=True)
class Lease:
    """Numbers first..last of a service's day, leased to this kiosk; `next` is the next
    one to give (next > last: used up)."""

    service: str
    day: str  # YYYY-MM-DD, the server's day: valid that day only
    prefix: str
    first: int
    last: int
    next: int

    @property
    def remaining(self) -> int:
        return max(0, self.last - self.next + 1)


@dataclass(frozen=True)
class OutboxItem:
    id: int
    kind: str
    idempotency_key: str
    payload: Json
    status: OutboxStatus
    attempts: int
    next_attempt_at: dt.datetime
    last_error: str | None
    result: Json | None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


class LocalStore:
    """Thread-safe access to the kiosk's SQLite file (one connection, one lock); implements
    kiosk.ports.KioskStore. `clock()`: the time the outbox stamps and prunes with (tests)."""

    def __init__(self, path: str | Path, clock: Callable[[], dt.datetime] | None = None):
        self.path = str(path)
        self._given_clock = clock
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._closed = False
        # isolation_level=None: we issue BEGIN IMMEDIATE ourselves, so a write never
        # starts as a read and fails to upgrade its lock.
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        # Deleted or overwritten content is zeroed in the file, not left in free space: a
        # visitor's phone number erased from the outbox does not linger on the kiosk's disk.
        self._db.execute("PRAGMA secure_delete=ON")
        self._migrate()
        self._resync_if_new_kinds()

    def close(self) -> None:
        """Checkpoint the WAL into the file (left whole on its own), then close; once only."""
        with self._lock:  # after a write in progress
            if not self._closed:
                self._closed = True
                self._flush_erased()
                self._db.close()

    def _clock(self) -> dt.datetime:
        # The module's _now looked up at each call: tests/support/faults.SimClock patches it.
        return (self._given_clock or _now)()

    def data_dir(self) -> Path | None:
        """The directory of the SQLite file (synced assets live beside it); None in memory."""
        if self.path == ":memory:" or self.path.startswith("file:"):
            return None
        return Path(self.path).parent

    # -- plumbing ------------------------------------------------------------------------

    def _migrate(self) -> None:
        with self._lock:
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > len(SCHEMA):
                raise RuntimeError(
                    f"{self.path} has schema {version}, newer than this kiosk ({len(SCHEMA)})"
                )
            for number, script in enumerate(SCHEMA[version:], start=version + 1):
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    for statement in script.split(";"):
                        if statement.strip():
                            self._db.execute(statement)
                    self._db.execute(f"PRAGMA user_version = {number}")
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise

    def _resync_if_new_kinds(self) -> None:
        """A kiosk upgraded to know new content kinds asks for a full snapshot once: the
        items of those kinds were skipped while it did not know them."""
        known = ",".join(sorted(KINDS))
        if self.get_meta("known_kinds") != known:
            def reset(db: sqlite3.Connection) -> None:
                db.execute("DELETE FROM meta WHERE key IN ('content_cursor', 'content_etag')")
                db.execute("INSERT INTO meta (key, value) VALUES ('known_kinds', ?) "
                           "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (known,))
            self._write(reset)

    def _write(self, fn: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run fn(db) in one BEGIN IMMEDIATE transaction."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                result = fn(self._db)
                self._db.execute("COMMIT")
                return result
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def _read(self, sql: str, params: Iterable[object] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, tuple(params)).fetchall()

    # -- meta ----------------------------------------------------------------------------

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        rows = self._read("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else default

    def set_meta(self, key: str, value: str) -> None:
        self._write(
            lambda db: db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
        )

    def kiosk_id(self) -> str:
        """A stable random id for this kiosk installation, created on first use."""
        value = self.get_meta("kiosk_id")
        if value is None:
            value = str(uuid.uuid4())
            self.set_meta("kiosk_id", value)
        return value

    # -- content -------------------------------------------------------------------------

    def content_cursor(self) -> str | None:
        """The server cursor of the snapshot we hold; None before the first sync."""
        return self.get_meta("content_cursor")

    def content_etag(self) -> str | None:
        return self.get_meta("content_etag")

    def apply_content(
        self,
        cursor: str,
        items: list[Json],
        deleted: list[Json],
        full: bool = False,
        etag: str | None = None,
    ) -> int:
        """Apply a content delta atomically; return the number of rows changed.

        Every item is validated first: one bad item rejects the whole payload
        (ContentError) and leaves the last good snapshot in place. A well-formed item of a
        kind this kiosk does not know yet (a newer server) is skipped, not an error: a kiosk
        one version behind keeps working (docs/protocol.md, compatibility).
        """
        parsed = []
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("kind"), str):
                raise ContentError("content item must be an object with a kind")
            kind, data = item["kind"], item.get("data")
            if kind not in KINDS:
                continue
            obj = parse_item(kind, data)
            parsed.append((kind, obj.id, json.dumps(data, ensure_ascii=False, sort_keys=True)))
        gone = []
        for item in deleted:
            if (not isinstance(item, dict) or not isinstance(item.get("kind"), str)
                    or not isinstance(item.get("id"), str)):
                raise ContentError("deletion must name a kind and an id")
            if item["kind"] in KINDS:
                gone.append((item["kind"], item["id"]))

        def apply(db: sqlite3.Connection) -> int:
            changed = 0
            if full:
                changed += db.execute("DELETE FROM content").rowcount
            for kind, id_ in gone:
                changed += db.execute(
                    "DELETE FROM content WHERE kind = ? AND id = ?", (kind, id_)
                ).rowcount
            for kind, id_, data in parsed:
                db.execute(
                    "INSERT INTO content (kind, id, data) VALUES (?, ?, ?) "
                    "ON CONFLICT (kind, id) DO UPDATE SET data = excluded.data",
                    (kind, id_, data),
                )
                changed += 1
            # The cursor moves in the same transaction as the content it describes.
            for key, value in (("content_cursor", cursor), ("content_etag", etag or "")):
                db.execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )
            db.execute(
                "INSERT INTO meta (key, value) VALUES ('content_synced_at', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (_iso(self._clock()),),
            )
            return changed

        return self._write(apply)

    def _items(self, kind: str, cls: type[_Item]) -> list[_Item]:
        """The items of `kind` (each a `cls`: the class KINDS maps it to)."""
        out = []
        for (data,) in self._read("SELECT data FROM content WHERE kind = ?", (kind,)):
            try:
                item = parse_item(kind, json.loads(data))
            except (ContentError, ValueError):
                continue  # validated on the way in; never let one row blank a screen
            if isinstance(item, cls):
                out.append(item)
        return out

    def poles(self) -> list[Pole]:
        return sorted(self._items("pole", Pole), key=lambda p: (p.order, p.id))

    def services(self, pole: str | None = None) -> list[Service]:
        items = self._items("service", Service)
        if pole is not None:
            items = [s for s in items if s.pole == pole]
        return sorted(items, key=lambda s: (s.order, s.id))

    def _one(self, kind: str, id_: str, cls: type[_Item]) -> _Item | None:
        rows = self._read("SELECT data FROM content WHERE kind = ? AND id = ?", (kind, id_))
        if not rows:
            return None
        try:
            item = parse_item(kind, json.loads(rows[0][0]))
        except (ContentError, ValueError):
            return None  # same guard as _items(): a stale row is skipped, never a crash
        return item if isinstance(item, cls) else None

    def service(self, service_id: str) -> Service | None:
        return self._one("service", service_id, Service)

    def situations(self) -> list[Situation]:
        """Life situations, in their order. Their `services` may name a service this
        snapshot does not hold (yet): look each up with `service()` and skip the Nones."""
        return sorted(self._items("situation", Situation), key=lambda s: (s.order, s.id))

    def situation(self, situation_id: str) -> Situation | None:
        return self._one("situation", situation_id, Situation)

    def places(self) -> list[NearbyPlace]:
        """Nearby places, in their order (the agents' choice, usually the nearest first)."""
        return sorted(self._items("place", NearbyPlace), key=lambda p: (p.order, p.walking_minutes, p.id))

    def page(self, page_id: str) -> InfoPage | None:
        """An information page ("carte-citoyenne")."""
        return self._one("page", page_id, InfoPage)

    def offers(self, source: str | None = None) -> list[Offer]:
        """Published offers ("carte" or "local" ones, or all), in the agents' order; what
        happens when is the caller's business (kiosk.domain.content.current_offers)."""
        items = self._items("offer", Offer)
        if source is not None:
            items = [o for o in items if o.source == source]
        return sorted(items, key=lambda o: (o.order, o.id))

    def offer(self, offer_id: str) -> Offer | None:
        return self._one("offer", offer_id, Offer)

    def closures(self) -> list[Closure]:
        """Site-wide exceptions to the opening hours (holidays...), earliest first."""
        return sorted(self._items("closure", Closure), key=lambda c: (c.starts, c.id))

    def announcements(self) -> list[Announcement]:
        """Every announcement held; which ones show now is the caller's business
        (kiosk.domain.content.active_announcements)."""
        return sorted(self._items("announcement", Announcement), key=lambda a: (a.order, a.id))

    def asset(self, slug: str) -> Asset | None:
        """The synced asset (kiosk.domain.content.Asset) content names `slug`, or None; its
        file, once downloaded, is kiosk.sync.assets (<data dir>/assets/<sha256>.<ext>)."""
        return self._one("asset", slug, Asset)

    def assets(self) -> list[Asset]:
        """Every asset item held (the files the kiosk should have)."""
        return sorted(self._items("asset", Asset), key=lambda a: a.id)

    def plans(self) -> list[FloorPlan]:
        """Floor plans agents uploaded (kiosk.domain.content.FloorPlan), in their order."""
        return sorted(self._items("plan", FloorPlan), key=lambda p: (p.order, p.id))

    def plan(self, plan_id: str) -> FloorPlan | None:
        """The synced floor plan `plan_id` (a service's `plan`), or None: the kiosk then
        shows the plan bundled under that id, without landmarks."""
        return self._one("plan", plan_id, FloorPlan)

    # -- outbox --------------------------------------------------------------------------

    def enqueue(self, kind: str, payload: Json, idempotency_key: str | None = None) -> OutboxItem:
        """Add a write for the server; the key makes every retry of it safe."""
        key = idempotency_key or str(uuid.uuid4())
        now = _iso(self._clock())

        def insert(db: sqlite3.Connection) -> int:
            return int(db.execute(
                "INSERT INTO outbox (kind, idempotency_key, payload, next_attempt_at, created_at)"
                " VALUES (?, ?, ?, ?, ?) RETURNING id",
                (kind, key, json.dumps(payload, ensure_ascii=False), now, now),
            ).fetchone()[0])

        return self.outbox_item(self._write(insert))

    def outbox_item(self, item_id: int) -> OutboxItem:
        rows = self._read(
            "SELECT id, kind, idempotency_key, payload, status, attempts, next_attempt_at,"
            " last_error, result FROM outbox WHERE id = ?",
            (item_id,),
        )
        if not rows:
            raise KeyError(item_id)
        return self._to_item(rows[0])

    @staticmethod
    def _to_item(row: tuple[Any, ...]) -> OutboxItem:
        return OutboxItem(
            id=row[0],
            kind=row[1],
            idempotency_key=row[2],
            payload=json.loads(row[3]),
            status=OutboxStatus(row[4]),
            attempts=row[5],
            next_attempt_at=dt.datetime.fromisoformat(row[6]),
            last_error=row[7],
            result=json.loads(row[8]) if row[8] else None,
        )

    def claim_due(self, limit: int = 20, now: dt.datetime | None = None) -> list[OutboxItem]:
        """Claim pending rows whose time has come (pending -> sending), oldest first.

        A row left in 'sending' by a crash is released by `release_stuck`; since every
        row carries its idempotency key, sending it again is safe.
        """
        moment = _iso(now or self._clock())

        def claim(db: sqlite3.Connection) -> list[tuple[Any, ...]]:
            return db.execute(
                "UPDATE outbox SET status = 'sending', claimed_at = ?, attempts = attempts + 1"
                " WHERE id IN (SELECT id FROM outbox WHERE status = 'pending'"
                " AND next_attempt_at <= ? ORDER BY id LIMIT ?)"
                " RETURNING id, kind, idempotency_key, payload, status, attempts,"
                " next_attempt_at, last_error, result",
                (moment, moment, limit),
            ).fetchall()

        return sorted((self._to_item(r) for r in self._write(claim)), key=lambda i: i.id)

    def mark_sent(self, item_id: int, result: Json) -> None:
        """The server has the row: done, and its personal data erased from the kiosk."""
        self._finish(item_id, OutboxStatus.SENT, result=result)

    def mark_rejected(self, item_id: int, error: str) -> None:
        """Refused for good: no retry will need its personal data either."""
        self._finish(item_id, OutboxStatus.FAILED, error=error)

    def _finish(self, item_id: int, status: str, result: Json | None = None,
                error: str | None = None) -> None:
        def finish(db: sqlite3.Connection) -> bool:
            row = db.execute("SELECT payload FROM outbox WHERE id = ?", (item_id,)).fetchone()
            payload = json.loads(row[0]) if row else {}
            personal = [key for key in PERSONAL_FIELDS if key in payload]
            for key in personal:
                del payload[key]
            db.execute(
                "UPDATE outbox SET status = ?, result = ?, last_error = ?, payload = ? WHERE id = ?",
                (status, json.dumps(result) if result is not None else None, error,
                 json.dumps(payload, ensure_ascii=False) if row else "{}", item_id),
            )
            return bool(personal)

        if self._write(finish):
            self._flush_erased()

    def forget_past_phones(self, today: str) -> int:
        """Erase the phone of offline tickets of past days still waiting for the server: it
        would store them cancelled, without the number (no SMS can be due any more), so the
        kiosk keeps it no longer than that day even if the link never returns."""
        erased = self._write(lambda db: db.execute(
            "UPDATE outbox SET payload = json_remove(payload, '$.phone')"
            " WHERE kind = 'ticket' AND json_extract(payload, '$.phone') IS NOT NULL"
            " AND json_extract(payload, '$.offline.lease_day') < ?", (today,)).rowcount)
        if erased:
            self._flush_erased()
        return erased

    def _flush_erased(self) -> None:
        """After erasing personal data: copy the WAL into the file (the pages written since
        replace the old ones, whose freed space secure_delete zeroed) and truncate it, so
        no earlier version of the row stays in the WAL. Best effort: a busy checkpoint is
        retried by the next erasure and by SQLite's own checkpoints."""
        with self._lock:
            try:
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            except sqlite3.Error:
                pass

    def mark_retry(self, item_id: int, error: str, next_attempt_at: dt.datetime) -> None:
        """The send failed in a way a retry may fix: back to pending, later."""
        self._write(
            lambda db: db.execute(
                "UPDATE outbox SET status = 'pending', last_error = ?, next_attempt_at = ?"
                " WHERE id = ? AND status = 'sending'",
                (error, _iso(next_attempt_at), item_id),
            )
        )

    def release_stuck(self, older_than: dt.timedelta = dt.timedelta(minutes=2)) -> int:
        """Rows claimed by a process that died go back to pending (their key makes resending safe)."""
        limit = _iso(self._clock() - older_than)
        return self._write(
            lambda db: db.execute(
                "UPDATE outbox SET status = 'pending' WHERE status = 'sending' AND claimed_at < ?",
                (limit,),
            ).rowcount
        )

    def outbox_depth(self) -> int:
        return int(self._read(
            "SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')"
        )[0][0])

    def outbox_failed(self) -> int:
        """Rows the server refused for good, still held."""
        return int(self._read("SELECT COUNT(*) FROM outbox WHERE status = 'failed'")[0][0])

    def prune_outbox(self, now: dt.datetime | None = None) -> int:
        """Forget finished rows (sent after SENT_KEEP, refused after FAILED_KEEP): the outbox
        is not an archive of visitors, and a kiosk's file must not grow with every ticket.
        Pending rows are never pruned. Freed pages are zeroed (secure_delete) and reused."""
        moment = now or self._clock()
        sent, failed = _iso(moment - SENT_KEEP), _iso(moment - FAILED_KEEP)
        return self._write(
            lambda db: db.execute(
                "DELETE FROM outbox WHERE (status = 'sent' AND created_at < ?)"
                " OR (status = 'failed' AND created_at < ?)",
                (sent, failed),
            ).rowcount
        )

    # -- leased numbers (offline tickets) -------------------------------------------------

    def add_lease(self, service: str, day: str, first: int, last: int, prefix: str) -> Lease:
        """Keep a block the server leased (POST /api/v1/leases); adding it twice is harmless."""
        if not 1 <= first <= last:
            raise ValueError(f"bad lease {first}..{last}")
        self._write(lambda db: db.execute(
            "INSERT INTO lease (service, day, prefix, first, last, next, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (service, day, first) DO NOTHING",
            (service, day, prefix, first, last, first, _iso(self._clock())),
        ))
        return Lease(service, day, prefix, first, last, first)

    def leases(self, service: str | None = None, day: str | None = None) -> list[Lease]:
        """Leases held (of a service, of a day), oldest first; used-up ones included."""
        sql = "SELECT service, day, prefix, first, last, next FROM lease WHERE 1 = 1"
        params: list[str] = []
        if service is not None:
            sql, params = sql + " AND service = ?", [*params, service]
        if day is not None:
            sql, params = sql + " AND day = ?", [*params, day]
        return [Lease(*row) for row in self._read(sql + " ORDER BY day, service, id", params)]

    def lease_remaining(self, service: str, day: str) -> int:
        return sum(lease.remaining for lease in self.leases(service, day))

    def take_offline_number(self, service: str, day: str) -> int | None:
        """The next unused leased number of `service` on `day`, marked used in the same
        transaction (it never comes back, even after a crash or a restart); None: none left."""

        def take(db: sqlite3.Connection) -> int | None:
            row = db.execute(
                "UPDATE lease SET next = next + 1 WHERE id = (SELECT id FROM lease"
                " WHERE service = ? AND day = ? AND next <= last ORDER BY id LIMIT 1)"
                " RETURNING next - 1", (service, day),
            ).fetchone()
            return row[0] if row else None

        return self._write(take)

    def prune_leases(self, today: str) -> int:
        """Forget the leases of past days: their numbers are no longer valid."""
        return self._write(
            lambda db: db.execute("DELETE FROM lease WHERE day < ?", (today,)).rowcount)
