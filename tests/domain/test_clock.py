"""The kiosk's "today" is the mairie's, whatever the machine's clock zone (issue: between
23:00 and 00:00 UTC offline tickets were refused and "hours today" showed the day before)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.domain import clock

ROOT = Path(__file__).resolve().parents[2]
# 23:30 UTC on a Sunday: already Monday 00:30 in Paris, still Sunday 23:30 on a UTC machine,
# Monday 12:30 in Auckland.
INSTANT = dt.datetime(2026, 12, 6, 23, 30, tzinfo=dt.UTC)

SCRIPT = f"""
import datetime as dt
from kiosk.domain import clock
from kiosk.sync import desk
clock._utc_now = lambda: dt.datetime({INSTANT.year}, {INSTANT.month}, {INSTANT.day},
                                     {INSTANT.hour}, {INSTANT.minute}, tzinfo=dt.UTC)
print(clock.site_today().isoformat(), desk.local_day(), clock.site_now().strftime("%H:%M"))
"""


@pytest.mark.parametrize("machine_zone", ["UTC", "Pacific/Auckland", "Europe/Paris"])
def test_today_is_the_sites_whatever_the_machines_zone(machine_zone):
    env = {**os.environ, "TZ": machine_zone, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, cwd=ROOT, check=True,
                         capture_output=True, text=True, timeout=60).stdout.split()
    assert out == ["2026-12-07", "2026-12-07", "00:30"]  # Paris: Monday, 00:30


def test_another_site_zone(monkeypatch):
    monkeypatch.setattr(clock, "_utc_now", lambda: INSTANT)
    clock.set_zone("America/Cayenne")  # Guyane: UTC-3
    try:
        assert clock.site_today() == dt.date(2026, 12, 6)
        assert clock.local_time(dt.datetime(2026, 12, 6, 12, 0)).hour == 9  # naive = UTC
    finally:
        clock.set_zone(clock.DEFAULT_ZONE)


def test_an_unknown_zone_is_refused():
    with pytest.raises(clock.ClockError):
        clock.set_zone("Mars/Olympus")


def test_the_kiosk_config_sets_the_zone(tmp_path):
    from kiosk.config import ConfigError, load_config

    path = tmp_path / "kiosk.toml"
    path.write_text('[kiosk]\ntime_zone = "Indian/Reunion"\n', encoding="utf-8")
    try:
        load_config(path)
        assert clock.zone().key == "Indian/Reunion"
        path.write_text('[kiosk]\ntime_zone = "Nowhere/Land"\n', encoding="utf-8")
        with pytest.raises(ConfigError):
            load_config(path)
    finally:
        clock.set_zone(clock.DEFAULT_ZONE)
