"""The kiosk's systemd units: the settings the hardening relies on, and systemd's own check."""

from __future__ import annotations

import configparser
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from kiosk.ui import stopping

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "kiosk"
UNITS = ["carrefour-kiosk.service", "carrefour-xorg.service",
         "carrefour-kiosk-restart.service", "carrefour-kiosk-restart.timer"]


def unit(name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read_string((DEPLOY / name).read_text(encoding="utf-8").replace("\\\n", " "))
    return parser


def test_the_kiosk_unit():
    service = unit("carrefour-kiosk.service")["Service"]
    assert service["Type"] == "notify"
    assert service["NotifyAccess"] == "main"
    assert service["WatchdogSec"] == "30"
    assert service["Restart"] == "always"
    assert service["ExecStart"].endswith("carrefour-kiosk --config /etc/carrefour/kiosk.toml")
    assert service["LoadCredential"] == "kiosk-token:/etc/carrefour/kiosk-token"
    assert "CARREFOUR_KIOSK_TOKEN=file:%d/kiosk-token" in (DEPLOY / "carrefour-kiosk.service"
                                                          ).read_text()
    assert service["NoNewPrivileges"] == "yes" and service["ProtectSystem"] == "strict"
    # Settings that would break X, GL, sound or the printer stay off.
    for key in ("PrivateTmp", "PrivateDevices", "DevicePolicy", "ProtectClock",
                "MemoryDenyWriteExecute", "PrivateUsers"):
        assert key not in service, key
    assert unit("carrefour-kiosk.service")["Unit"]["BindsTo"] == "carrefour-xorg.service"


def test_the_kiosk_is_stopped_by_sigterm_well_before_sigkill():
    service = unit("carrefour-kiosk.service")["Service"]
    assert service.get("KillSignal", "SIGTERM") == "SIGTERM"  # what kiosk/ui/stopping.py handles
    assert service["KillMode"] == "control-group"
    # The kiosk exits within 3 s (tests/ui/test_clean_stop.py): SIGKILL only as a margin.
    assert 3 < int(service["TimeoutStopSec"]) <= 30
    # Its own forced exit comes first, with room for a loaded machine to run the signal
    # handler at all (CI: 9 s late once); the 'back soon' screen is waited for within it.
    assert stopping.SHOW_AT_MOST < stopping.STOP_BUDGET
    assert stopping.STOP_BUDGET * 3 <= int(service["TimeoutStopSec"])


def test_the_x_server_never_blanks_and_hides_the_cursor():
    start = unit("carrefour-xorg.service")["Service"]["ExecStart"]
    for flag in ("-nocursor", "-s 0", "-dpms", "-nolisten tcp", "-noreset"):
        assert flag in start


def test_the_nightly_restart():
    assert unit("carrefour-kiosk-restart.timer")["Timer"]["OnCalendar"] == "*-*-* 03:30:00"
    assert unit("carrefour-kiosk-restart.service")["Service"]["ExecStart"] == (
        "/usr/bin/systemctl try-restart carrefour-kiosk.service")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_systemd_accepts_the_units(tmp_path):
    """`systemd-analyze verify` in a scratch root with stand-in executables: the only
    complaints allowed are about the targets such a root lacks."""
    etc = tmp_path / "etc" / "systemd" / "system"
    etc.mkdir(parents=True)
    for exe in ("opt/carrefour/venv/bin/carrefour-kiosk", "usr/bin/Xorg",
                "usr/bin/systemctl", "bin/sh"):
        path = tmp_path / exe
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("#!/bin/sh\n")
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    for name in UNITS:
        shutil.copy(DEPLOY / name, etc / name)
    run = subprocess.run(
        ["systemd-analyze", "verify", f"--root={tmp_path}", *(str(etc / n) for n in UNITS)],
        capture_output=True, text=True, timeout=60)
    problems = [line for line in (run.stdout + run.stderr).splitlines()
                if line.strip() and ".target" not in line]
    assert problems == []
    calendar = subprocess.run(["systemd-analyze", "calendar", "*-*-* 03:30:00"],
                              capture_output=True, text=True, timeout=30)
    assert "Normalized form: *-*-* 03:30:00" in calendar.stdout
