"""The upgrade path: a database of an earlier release, with tickets in it, migrated to the
latest keeps every ticket (with sensible backfills), and every migration can be undone.

Each case runs in a child process on a database of its own: SQLite, or a new PostgreSQL
database when the run's DATABASE_URL is PostgreSQL (make test runs both)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.servers import fresh_database_url

ROOT = Path(__file__).resolve().parent.parent.parent

# The migrations each earlier release shipped (git history of kiosk/server/*/migrations).
RELEASES = {
    "walking-skeleton": {  # 0fb66b4
        "accounts": "0001_initial", "content": "0001_initial", "devices": "0001_initial",
        "queueing": "0001_initial",
    },
    "queues": {  # a2516b1 (17d1a40, 96a0e3e: no new migration)
        "accounts": "0001_initial", "content": "0002_site_queue_settings",
        "devices": "0001_initial", "notifications": "0001_initial",
        "queueing": "0003_issued_service_drawn_at",
    },
}


def run_step(tmp_path: Path, *args: str) -> dict:
    url, drop = fresh_database_url(tmp_path)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kiosk.server.settings", "DEBUG": "0",
           "SECRET_KEY": "migration-tests-only-0123456789abcdefghijklmnopqrstuvwxyz",
           "DATABASE_URL": url, "CARREFOUR_DATA_DIR": str(tmp_path / "data"),
           "ALLOWED_HOSTS": "testserver", "SECURE_SSL_REDIRECT": "0",
           "SMS_BACKEND": "log", "LOG_LEVEL": "WARNING"}
    try:
        result = subprocess.run([sys.executable, "-m", "tests.deploy.migration_steps", *args],
                                cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    finally:
        drop()
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("release", sorted(RELEASES))
def test_tickets_of_an_earlier_release_survive_the_upgrade(tmp_path, release):
    result = run_step(tmp_path, "upgrade", json.dumps(RELEASES[release]))
    # Only the release's migrations were applied before the data went in.
    assert len(result["applied_before"]) == sum(int(n[:4]) for n in RELEASES[release].values())
    assert not any(m.startswith("assistance.") for m in result["applied_before"])
    after = result["after"]
    called, waiting = after["called"], after["waiting"]
    assert (called["number"], called["status"], called["language"]) == ("C001", "called", "ar")
    assert (waiting["number"], waiting["status"]) == ("C002", "waiting")
    for t in (called, waiting):
        # Backfills: in the queue since issued, issued by their own service, no priority,
        # no phone number, never recalled nor postponed.
        assert t["queued_is_created"] is True
        assert t["issued_service"] == "etat-civil"
        assert (t["priority"], t["phone"], t["recalls"], t["postponed"]) == ("", "", 0, False)
        assert t["phone_page"] == 200  # the QR code printed on the old ticket still works
    assert called["drawn_is_called"] is True
    assert after["next_number"] == "C003"  # numbering goes on, no clash with old tickets
    assert after["old_kiosk_api"] == 200  # kiosks keep their tokens across the upgrade


def test_the_releases_are_real_migration_nodes():
    """A typo in RELEASES would test nothing: every node must exist on disk."""
    for release in RELEASES.values():
        for app, name in release.items():
            assert (ROOT / "kiosk" / "server" / app / "migrations" / f"{name}.py").is_file()


def test_every_migration_can_be_undone_and_redone(tmp_path):
    result = run_step(tmp_path, "roundtrip")
    assert result["irreversible"] == []
    assert result["had_data"]
    assert sorted(result["unapplied"]) == sorted(result["migrations"])
    assert result["left_at_zero"] == []
    assert result["tables_at_zero"] == []
    assert result["after"] == sorted(result["migrations"])


def test_offers_interests_move_to_the_kiosks_vocabulary(tmp_path):
    result = run_step(tmp_path, "interests")
    assert result["interests"] == {
        "amap": ["alimentation", "culture", "reemploi"],  # unknown "xyz" dropped, no repeat
        "lecture": ["culture"],
        "deja": ["nature"],
        "sans": [],
    }
    # Kiosks learn of the two offers that changed at their next sync; the others are left.
    assert result["changes"] == ["amap", "lecture"]
