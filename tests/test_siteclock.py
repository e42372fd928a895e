"""The tests' site clock (tests/support/siteclock.py): a process started with its environment
reads the wall clock shifted by the offset (Python, SQLite and C programs alike), while its
monotonic clock and timed waits stay the kernel's (nothing here waits a fixed time)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time

from tests.support import siteclock

CHILD = """
import datetime as dt, json, sqlite3, threading, time
before = time.monotonic()
ready = threading.Event()
threading.Thread(target=ready.set).start()
waited = ready.wait(60)  # a timed wait on the monotonic clock, ended by the other thread
print(json.dumps(dict(
    wall=time.time(), mono=before, now=dt.datetime.now(dt.UTC).isoformat(), waited=waited,
    sqlite=sqlite3.connect(":memory:").execute("select strftime('%s', 'now')").fetchone()[0])))
"""


def run_child(env: dict[str, str]) -> tuple[dict, float, float, float, float]:
    wall0, mono0 = time.time(), time.monotonic()
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True,
                         text=True, check=True, timeout=120).stdout
    return json.loads(out), wall0, time.time(), mono0, time.monotonic()


def test_a_child_reads_the_shifted_wall_clock_and_the_real_monotonic_one():
    child, wall0, wall1, mono0, mono1 = run_child({**os.environ, **siteclock.env()})
    off = siteclock.OFFSET
    assert wall0 + off <= child["wall"] <= wall1 + off
    now = dt.datetime.fromisoformat(child["now"]).timestamp()
    assert wall0 + off <= now <= wall1 + off
    assert int(wall0 + off) <= int(child["sqlite"]) <= wall1 + off
    assert mono0 <= child["mono"] <= mono1  # the kernel's monotonic clock, shared
    assert child["waited"] is True  # the timed wait returned on its event: no hang, no error


def test_without_it_the_child_reads_the_real_clock():
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "SITECLOCK_OFFSET")}
    child, wall0, wall1, _, _ = run_child(env)
    assert wall0 <= child["wall"] <= wall1


def test_the_offset_takes_the_site_to_the_chosen_time_of_its_own_day():
    paris = dt.timezone(dt.timedelta(hours=1))  # December: Europe/Paris is UTC+1
    for real, start, site in [
        (dt.datetime(2026, 12, 7, 23, 40, 5, tzinfo=paris), dt.time(10), "2026-12-07T10:00:00"),
        (dt.datetime(2026, 12, 7, 0, 20, tzinfo=paris), dt.time(10), "2026-12-07T10:00:00"),
        (dt.datetime(2026, 12, 7, 9, 15, tzinfo=dt.UTC), dt.time(23, 40), "2026-12-07T23:40:00"),
    ]:
        shifted = real + dt.timedelta(seconds=siteclock.offset_for(real, start))
        assert shifted.astimezone(paris).replace(tzinfo=None).isoformat() == site


def test_the_test_process_reads_the_same_clock(monkeypatch):
    from kiosk.domain import clock

    siteclock.use_in_process(monkeypatch)
    before = siteclock.utc_now()
    now = clock.site_now()
    assert before <= now <= siteclock.utc_now()
    assert clock.site_today() == now.date()
