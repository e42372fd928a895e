"""A real server process (gunicorn) on loopback, on SQLite or on the PostgreSQL of the run."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from kiosk.server.launcher import LocalServer
from tests.conftest import demo_data
from tests.support.patience import GUARD


def fresh_database_url(tmp_path: Path, sqlite_only: bool = False) -> tuple[str, Callable[[], None]]:
    """A new empty database for one server: SQLite file, or a new PostgreSQL database."""
    base = os.environ.get("DATABASE_URL", "")
    if sqlite_only or not base.startswith("postgres"):
        return f"sqlite:///{tmp_path / 'server.sqlite3'}", lambda: None
    import psycopg

    name = f"carrefour_e2e_{uuid.uuid4().hex[:10]}"
    parsed = urlparse(base)
    admin_url = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunparse(parsed._replace(path=f"/{name}")), drop


@contextmanager
def demo_server(tmp_path: Path, sqlite_only: bool = False,
                extra_env: dict | None = None) -> Iterator[LocalServer]:
    """The server with the 19e demo content; `.kiosk_token` and `.agent` from the demo file.
    `extra_env`: settings for this server only (e.g. RATELIMIT_ENABLED=0)."""
    url, drop = fresh_database_url(tmp_path, sqlite_only=sqlite_only)
    srv = LocalServer(data_dir=tmp_path, database_url=url, extra_env=dict(extra_env or {}))
    try:
        # The demo's counter timetables would make every estimate depend on the hour the
        # tests run (a ticket near closing time is "not reachable today").
        srv.prepare(demo=True, timetables=False)
        srv.start(timeout=GUARD)
        srv.kiosk_token = demo_data()["kiosks"][0]["token"]
        srv.agent = demo_data()["agents"][0]
        yield srv
    finally:
        srv.stop()
        drop()
