"""Push: 50 simulated kiosks (each its own Transport, LocalStore and real SyncEngine loop with
long-poll) on a real server (SQLite, loopback) started exactly as
deploy/server/carrefour-server.service starts it (tests/support/unit.py: its ExecStart and
gunicorn.conf.py, read from the files); 10 agent saves of one service's hours; time from
each save until every kiosk's store holds the new value, and the bytes a kiosk received for
that one-field edit against a full snapshot. The 500-kiosk figures are in bench_load."""

from __future__ import annotations

import gzip
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from kiosk.localstore import LocalStore
from kiosk.server.launcher import LocalServer
from kiosk.sync.engine import SyncEngine
from kiosk.sync.transport import Transport
from tests.bench.table import Row
from tests.conftest import demo_data
from tests.support.unit import describe, start_as_unit

KIOSKS = 50
SAVES = 10
INTERVAL = 60.0  # the plain interval: without push a change would take up to a minute


class Kiosk:
    def __init__(self, url: str, token: str, path: Path, slug: str):
        self.store = LocalStore(path)
        self.slug = slug
        self.seen: dict[str, float] = {}  # closing time held -> time.time() it arrived
        self.delta_bytes: list[int] = []
        self.full_bytes = 0
        self.engine = SyncEngine(self.store, Transport(url, token, timeout=10.0),
                                 on_content_changed=self.changed, on_status=self.status)

    def changed(self) -> None:
        service = self.store.service(self.slug)
        if service and service.hours:
            self.seen.setdefault(service.hours[0].closes.strftime("%H:%M"), time.time())

    def status(self, report) -> None:
        if report.content_changed:
            if self.full_bytes == 0:
                self.full_bytes = report.bytes_received
            else:
                self.delta_bytes.append(report.bytes_received)


def save(server: LocalServer, slug: str, close: str) -> float:
    out = server.manage("shell", "-c", (
        "import time\n"
        "from kiosk.server.content.models import Service\n"
        f"s = Service.objects.get(slug={slug!r})\n"
        "s.hours = [dict(h, close=" + repr(close) + ") if i == 0 else h"
        " for i, h in enumerate(s.hours)]\n"
        "s.save()\n"
        "print(time.time())"))
    return float(out.split()[-1])


def run() -> list[Row]:
    token = demo_data()["kiosks"][0]["token"]
    slug = demo_data()["services"][0]["id"]
    with tempfile.TemporaryDirectory() as tmp:
        server = LocalServer(data_dir=Path(tmp) / "server", extra_env={"RATELIMIT_ENABLED": "0"})
        server.prepare(demo=True)
        start_as_unit(server)
        print(f"  server: as the unit starts it (gunicorn {describe()}), SQLite, {server.url}",
              file=sys.stderr, flush=True)
        kiosks = [Kiosk(server.url, token, Path(tmp) / f"k{i}.sqlite3", slug)
                  for i in range(KIOSKS)]
        stop = threading.Event()
        threads = [threading.Thread(target=k.engine.run, args=(stop, INTERVAL), daemon=True)
                   for k in kiosks]
        lags, missing = [], 0
        try:
            for t in threads:
                t.start()
            deadline = time.monotonic() + 30
            while any(k.full_bytes == 0 for k in kiosks) and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(1.0)  # every kiosk is in its long-poll
            for n in range(SAVES):
                close = f"18:{n + 10:02d}"
                saved_at = save(server, slug, close)
                deadline = time.monotonic() + 15
                while (any(close not in k.seen for k in kiosks)
                       and time.monotonic() < deadline):
                    time.sleep(0.02)
                arrived = [k.seen.get(close) for k in kiosks]
                missing += sum(a is None for a in arrived)
                lags.append(max((a or time.time()) for a in arrived) - saved_at)
            # The last one-field delta as a kiosk pulls it, and gzipped (if nginx compressed JSON).
            cursor = int(kiosks[0].store.content_cursor())
            body = requests.get(f"{server.url}/api/v1/content", params={"since": cursor - 1},
                                headers={"Authorization": f"Bearer {token}"}, timeout=10).content
        finally:
            stop.set()
            for k in kiosks:
                k.engine.wake()
            for t in threads:
                t.join(timeout=5)
            server.stop()
            for k in kiosks:
                k.store.close()
    deltas = [b for k in kiosks for b in k.delta_bytes]
    delta = statistics.median(deltas) if deltas else float("nan")
    full = statistics.median(k.full_bytes for k in kiosks)
    p50 = statistics.median(lags)
    p95 = sorted(lags)[max(0, int(round(0.95 * len(lags))) - 1)]
    if missing:
        print(f"  {missing} kiosk-saves not seen within 15 s", file=sys.stderr, flush=True)
    return [
        Row(f"push: save -> all {KIOSKS} kiosks, p50 (the unit's server, SQLite)",
            p50, "s", "target", 5.0, target="<= 1.0x", ok=p50 <= 5.0 and not missing),
        Row(f"push: save -> all {KIOSKS} kiosks, p95 ({SAVES} saves)", p95, "s", "target", 5.0,
            target="<= 1.0x", ok=p95 <= 5.0 and not missing),
        Row("push: bytes for a one-field edit (delta)", delta, "B", "target 2 KB", 2048.0,
            target="<= 1.0x", ok=delta <= 2048),
        Row("push: delta vs full snapshot", delta, "B", "full snapshot", full),
        Row("push: the same delta gzipped (informative)", len(gzip.compress(body)), "B",
            "target 2 KB", 2048.0),
    ]
