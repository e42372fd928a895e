"""The failover drill of deploy/README.md ("More than one machine"), for real on loopback.

A PostgreSQL primary and a streaming replica made by `pg_basebackup -R`, synchronous
(`synchronous_standby_names`: a ticket number is committed on both or not at all); the
server, started as its unit starts it, issues tickets on the primary; the primary is lost
(`pg_ctl stop -m immediate`, as a crash); the replica is promoted (`pg_ctl promote`) and the
server pointed at it: every ticket is there and the numbering goes on, no number twice.
Skipped only when the PostgreSQL binaries are not installed.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import psycopg
import pytest
import requests

from kiosk.server.launcher import LocalServer, free_port
from tests.conftest import demo_data
from tests.support.patience import GUARD
from tests.support.unit import start_as_unit

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

BINS = sorted(glob.glob("/usr/lib/postgresql/*/bin"))


def pg(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    """A PostgreSQL tool, as the 'postgres' user when we are root (initdb refuses root)."""
    argv = [f"{BINS[-1]}/{args[0]}", *args[1:]]
    if os.geteuid() == 0:
        argv = ["runuser", "-u", "postgres", "--", *argv]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def start(data: Path, port: int, sockets: Path, log: Path) -> None:
    pg("pg_ctl", "-D", str(data), "-l", str(log), "-w", "-t", "60", "start", "-o",
       f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={sockets} "
       "-c fsync=off -c full_page_writes=off")


@pytest.fixture
def pg_dir():
    if not BINS or not shutil.which("runuser"):
        pytest.skip("PostgreSQL binaries are not installed (apt install postgresql)")
    path = Path(f"/tmp/carrefour-pg-failover-{uuid.uuid4().hex[:8]}")
    path.mkdir()
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")
    yield path
    for data in ("primary", "replica"):
        if (path / data).exists():
            pg("pg_ctl", "-D", str(path / data), "-m", "immediate", "stop", check=False)
    shutil.rmtree(path, ignore_errors=True)


def issue(server: LocalServer, service: str, n: int) -> list[str]:
    token = demo_data()["kiosks"][0]["token"]
    numbers = []
    for _ in range(n):
        r = requests.post(f"{server.url}/api/v1/tickets", timeout=60,
                          json={"service": service, "language": "fr", "priority": ""},
                          headers={"Authorization": f"Bearer {token}",
                                   "Idempotency-Key": str(uuid.uuid4())})
        assert r.status_code == 201, r.text
        numbers.append(r.json()["number"])
    return numbers


def test_replica_promoted_after_the_primary_is_lost(pg_dir, tmp_path):
    primary, replica = pg_dir / "primary", pg_dir / "replica"
    p_port = r_port = free_port()
    while r_port == p_port:  # free_port may hand out the same free port twice
        r_port = free_port()
    # 1. The primary, with one synchronous standby named replica1 (README, step 1).
    pg("initdb", "-D", str(primary), "-U", "postgres", "--auth=trust", "-E", "UTF8",
       "--locale=C.UTF-8")
    with open(primary / "postgresql.conf", "a") as conf:
        conf.write("wal_level = replica\nmax_wal_senders = 5\nsynchronous_commit = on\n")
    start(primary, p_port, pg_dir, pg_dir / "primary.log")
    admin = f"postgres://postgres@127.0.0.1:{p_port}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("CREATE ROLE carrefour LOGIN PASSWORD 'carrefour'")
        conn.execute("CREATE DATABASE carrefour OWNER carrefour")
    # 2. The replica: a base backup that streams from the primary (README, step 2).
    pg("pg_basebackup", "-h", "127.0.0.1", "-p", str(p_port), "-U", "postgres",
       "-D", str(replica), "-R", "-X", "stream", "--checkpoint=fast")
    with open(replica / "postgresql.auto.conf", "a") as conf:
        conf.write(f"primary_conninfo = 'host=127.0.0.1 port={p_port} user=postgres "
                   "application_name=replica1'\n")
    start(replica, r_port, pg_dir, pg_dir / "replica.log")
    # Synchronous once the replica streams (before, every commit would wait for it).
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("ALTER SYSTEM SET synchronous_standby_names = 'FIRST 1 (replica1)'")
        conn.execute("SELECT pg_reload_conf()")
        state, deadline = [], time.monotonic() + GUARD
        while state != [("replica1", "sync")] and time.monotonic() < deadline:
            state = conn.execute("SELECT application_name, sync_state FROM pg_stat_replication"
                                 ).fetchall()
            time.sleep(0.1)  # polling the primary's view: no event to wait on
    assert state == [("replica1", "sync")]

    # 3. The server on the primary: the schema, the demo, tickets.
    url = f"postgres://carrefour:carrefour@127.0.0.1:{p_port}/carrefour"
    server = LocalServer(data_dir=tmp_path / "server", database_url=url)
    service = demo_data()["services"][0]["id"]
    try:
        server.prepare(demo=True)
        start_as_unit(server, {"GUNICORN_WORKERS": "1"})
        before = issue(server, service, 5)
    finally:
        server.stop()

    # 4. The primary is lost; the replica is promoted (README, failover).
    pg("pg_ctl", "-D", str(primary), "-m", "immediate", "stop")
    replica_admin = f"postgres://postgres@127.0.0.1:{r_port}/postgres"
    with psycopg.connect(replica_admin, autocommit=True) as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone()[0] is True
    pg("pg_ctl", "-D", str(replica), "-w", "promote")
    with psycopg.connect(replica_admin, autocommit=True) as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone()[0] is False

    # 5. The server pointed at the new primary: everything is there, numbering goes on.
    server.database_url = f"postgres://carrefour:carrefour@127.0.0.1:{r_port}/carrefour"
    server.port = 0
    try:
        start_as_unit(server, {"GUNICORN_WORKERS": "1"})
        after = issue(server, service, 5)
    finally:
        server.stop()
    prefix = before[0].rstrip("0123456789")
    numbers = [int(n[len(prefix):]) for n in before + after]
    assert numbers == list(range(numbers[0], numbers[0] + 10)), before + after
