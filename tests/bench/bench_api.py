"""Ticket creation and content sync through the real server (gunicorn, SQLite), on loopback."""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from kiosk.server.launcher import LocalServer
from tests.bench.table import Row
from tests.conftest import demo_data

CLIENTS = 8
REQUESTS = 400


def _latencies(fn, n: int, clients: int) -> tuple[list[float], float]:
    def one(i):
        t = time.perf_counter()
        fn(i)
        return time.perf_counter() - t

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        lat = list(pool.map(one, range(n)))
    return lat, time.perf_counter() - started


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000


def run() -> list[Row]:
    token = demo_data()["kiosks"][0]["token"]
    with tempfile.TemporaryDirectory() as tmp:
        # 400 tickets from one kiosk: the bench measures issuing, not the rate limiter.
        server = LocalServer(data_dir=Path(tmp), workers=2, threads=4,
                             extra_env={"RATELIMIT_ENABLED": "0"})
        server.prepare(demo=True)
        server.start()
        try:
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {token}"
            content = session.get(f"{server.url}/api/v1/content", timeout=10)
            service = next(i["data"]["id"] for i in content.json()["items"]
                           if i["kind"] == "service" and i["data"]["ticketing"])

            def bare(_):
                session.get(f"{server.url}/api/v1/health", timeout=10).raise_for_status()

            def ticket(_):
                session.post(f"{server.url}/api/v1/tickets", json={"service": service},
                             headers={"Idempotency-Key": str(uuid.uuid4())},
                             timeout=30).raise_for_status()

            bare(0)
            base_lat, base_wall = _latencies(bare, REQUESTS, CLIENTS)
            tick_lat, tick_wall = _latencies(ticket, REQUESTS, CLIENTS)
            etag = content.headers["ETag"]
            cursor = content.json()["cursor"]
            not_modified = session.get(f"{server.url}/api/v1/content", params={"since": cursor},
                                       headers={"If-None-Match": etag}, timeout=10)
            assert not_modified.status_code == 304
        finally:
            server.stop()
    return [
        Row("ticket creation p50 (8 clients, SQLite)", _p(tick_lat, 50), "ms",
            "bare JSON endpoint", _p(base_lat, 50)),
        Row("ticket creation p99 (8 clients, SQLite)", _p(tick_lat, 99), "ms",
            "bare JSON endpoint", _p(base_lat, 99)),
        Row("ticket creation throughput (SQLite)", REQUESTS / tick_wall, "req/s",
            "bare JSON endpoint", REQUESTS / base_wall),
        Row("content full snapshot", len(content.content) / 1024, "KiB"),
        Row("content unchanged (304) body", len(not_modified.content), "B",
            "full snapshot", len(content.content), target="<= 0.01x",
            ok=len(not_modified.content) <= 0.01 * len(content.content)),
    ]
