"""The restore drill, for real: a database with the demo content and tickets, backup.sh,
the database dropped, restore.sh, and everything is back (deploy/server/, deploy/README.md).

PostgreSQL: on the cluster of the test run (DATABASE_URL_PG, set by deploy/dev/run-tests.sh,
or DATABASE_URL when it is PostgreSQL); without one, a throw-away cluster is started with
deploy/dev/postgres.sh. Skipped only when the PostgreSQL binaries are not installed.
SQLite: always."""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest

from kiosk.server.launcher import LocalServer, free_port

ROOT = Path(__file__).resolve().parent.parent.parent
BACKUP = ROOT / "deploy" / "server" / "backup.sh"
RESTORE = ROOT / "deploy" / "server" / "restore.sh"

pytestmark = pytest.mark.timeout(900)

MAKE_TICKETS = """
import json
from kiosk.server.content.models import Site
from kiosk.server.queueing.models import Ticket
from kiosk.server.queueing.issuing import do_issue_ticket
site = Site.objects.get(slug="paris-19")
services = list(site.services.filter(ticketing=True).order_by("slug")[:2])
made = [do_issue_ticket(s)[0] for s in services for _ in range(2)]
print(json.dumps([t.public_token for t in made]))
"""

SNAPSHOT = """
import json
from django.test import Client
from kiosk.server.content.models import Pole, Service, Site
from kiosk.server.devices.models import Kiosk
from kiosk.server.queueing.models import Ticket
tickets = {t.public_token: [t.display, t.status, t.service.slug]
           for t in Ticket.objects.select_related("service").order_by("pk")}
token = next(iter(tickets))
print(json.dumps({
    "sites": sorted(Site.objects.values_list("slug", flat=True)),
    "poles": Pole.objects.count(), "services": Service.objects.count(),
    "service_names": sorted(str(n) for n in Service.objects.values_list("name", flat=True)),
    "kiosks": sorted(Kiosk.objects.values_list("token_hash", flat=True)),
    "tickets": tickets,
    "phone_page": Client(HTTP_HOST="127.0.0.1").get(f"/t/{token}").status_code,
}))
"""


def shell(srv: LocalServer, code: str):
    return json.loads(srv.manage("shell", "-c", code).strip().splitlines()[-1])


def run(script: Path, *args: str, env: dict, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(["bash", str(script), *args], env=env, capture_output=True,
                            text=True, timeout=180)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def script_env(srv: LocalServer, **extra) -> dict:
    env = srv.env()
    env.update(extra)
    return env


def drill(srv: LocalServer, backups: Path, drop, exists) -> None:
    srv.prepare(demo=True)
    tokens = shell(srv, MAKE_TICKETS)
    assert len(tokens) == 4
    before = shell(srv, SNAPSHOT)
    assert before["services"] > 5 and set(tokens) <= set(before["tickets"])
    assert before["phone_page"] == 200

    env = script_env(srv, BACKUP_KEEP="2")
    out = run(BACKUP, str(backups), env=env).stdout
    made = sorted(p for p in backups.iterdir() if not p.name.endswith(".partial"))
    assert len(made) == 1 and made[0].name in out
    assert made[0].stat().st_mode & 0o077 == 0  # private: it holds phone numbers, if any
    backup = made[0]

    # A database that holds data is never overwritten by mistake.
    refused = run(RESTORE, str(backup), env=env, check=False)
    assert refused.returncode != 0 and "--force" in refused.stderr

    drop()
    assert not exists()
    run(RESTORE, str(backup), env=env)
    srv.manage("migrate", "--noinput")  # the documented next step: a no-op here
    after = shell(srv, SNAPSHOT)
    assert after == before

    # Numbering goes on after a restore: no number is given twice.
    again = shell(srv, MAKE_TICKETS)
    numbers = shell(srv, "import json; from kiosk.server.queueing.models import Ticket; "
                         "print(json.dumps([t.display for t in Ticket.objects.all()]))")
    assert len(numbers) == len(set(numbers)) == 8 and set(again).isdisjoint(tokens)

    # Rotation: BACKUP_KEEP=2 keeps the two newest.
    for stamp in ("20200101-000000", "20200102-000000"):
        shutil.copy(backup, backup.with_name(backup.name.replace(backup.name[10:25], stamp)))
    run(BACKUP, str(backups), env=env)
    kept = sorted(p.name for p in backups.iterdir())
    assert len(kept) == 2 and not any("2020010" in name for name in kept), kept


# -- SQLite ----------------------------------------------------------------------------


def test_sqlite_backup_and_restore(tmp_path):
    db = tmp_path / "data" / "carrefour.sqlite3"
    srv = LocalServer(data_dir=tmp_path / "data", database_url=f"sqlite:///{db}")

    def drop():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)

    drill(srv, tmp_path / "backups", drop, db.exists)


def test_sqlite_default_location_without_database_url(tmp_path):
    """No DATABASE_URL: the embedded default in CARREFOUR_DATA_DIR, as the server uses it."""
    srv = LocalServer(data_dir=tmp_path / "data")
    srv.prepare(demo=False)
    env = script_env(srv)
    env.pop("DATABASE_URL", None)
    out = run(BACKUP, str(tmp_path / "b"), env=env).stdout
    assert ".sqlite3" in out
    (path,) = (tmp_path / "b").iterdir()
    assert run(RESTORE, str(path), env=env, check=False).returncode != 0  # exists: --force
    run(RESTORE, "--force", str(path), env=env)
    assert (tmp_path / "data" / "carrefour.sqlite3.before-restore").exists()


def test_a_damaged_backup_is_refused(tmp_path):
    bad = tmp_path / "carrefour-20240101-000000.sqlite3"
    bad.write_bytes(b"SQLite format 3\x00" + os.urandom(4000))
    srv = LocalServer(data_dir=tmp_path / "data")
    result = run(RESTORE, str(bad), env=script_env(srv), check=False)
    assert result.returncode != 0
    assert not (tmp_path / "data" / "carrefour.sqlite3").exists()


# -- PostgreSQL ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pg_base_url():
    url = os.environ.get("DATABASE_URL_PG", "")
    if not url and os.environ.get("DATABASE_URL", "").startswith("postgres"):
        url = os.environ["DATABASE_URL"]
    if url:
        yield url
        return
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb") or not shutil.which("pg_dump"):
        pytest.skip("PostgreSQL binaries are not installed (apt install postgresql)")
    pg_env = {**os.environ, "PG_DIR": f"/tmp/carrefour-pg-backup-{uuid.uuid4().hex[:8]}",
              "PG_PORT": str(free_port())}
    source = f"source {ROOT / 'deploy/dev/postgres.sh'}"
    started = subprocess.run(["bash", "-c", f'{source} && pg_start >&2 && echo "$DATABASE_URL_PG"'],
                             env=pg_env, capture_output=True, text=True, timeout=120)
    try:
        assert started.returncode == 0, started.stderr
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run(["bash", "-c", f"{source} && pg_stop"], env=pg_env, timeout=60)


def test_postgresql_backup_and_restore(tmp_path, pg_base_url):
    import psycopg

    name = f"carrefour_bk_{uuid.uuid4().hex[:10]}"
    parsed = urlparse(pg_base_url)
    admin = urlunparse(parsed._replace(path="/postgres"))
    url = urlunparse(parsed._replace(path=f"/{name}"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def exists() -> bool:
        with psycopg.connect(admin, autocommit=True) as conn:
            return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                (name,)).fetchone() is not None

    srv = LocalServer(data_dir=tmp_path / "data", database_url=url)
    try:
        drill(srv, tmp_path / "backups", drop, exists)
        # --force replaces a database in use by the restore of an earlier state.
        (backup,) = sorted((tmp_path / "backups").iterdir())[-1:]
        run(RESTORE, "--force", str(backup), env=script_env(srv))
    finally:
        drop()
