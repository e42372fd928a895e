"""A real server process (gunicorn) on loopback, on SQLite or on the PostgreSQL of the run."""

from __future__ import annotations

import os
import uuid
from urllib.parse import urlparse, urlunparse

import pytest

from kiosk.server.launcher import LocalServer
from tests.conftest import demo_data

pytestmark = pytest.mark.e2e


def _fresh_database_url(tmp_path) -> tuple[str, callable]:
    """A new empty database for one server: SQLite file, or a new PostgreSQL database."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
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


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("server")
    url, drop = _fresh_database_url(tmp)
    srv = LocalServer(data_dir=tmp, database_url=url)
    srv.prepare(demo=True)
    srv.start()
    srv.kiosk_token = demo_data()["kiosks"][0]["token"]
    srv.agent = demo_data()["agents"][0]
    yield srv
    srv.stop()
    drop()
