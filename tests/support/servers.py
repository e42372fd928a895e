"""A real server process (gunicorn) on loopback, on SQLite or on the PostgreSQL of the run."""

from __future__ import annotations

import atexit
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
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
        prepare_demo(srv)
        srv.start(timeout=GUARD)
        srv.kiosk_token = demo_data()["kiosks"][0]["token"]
        srv.agent = demo_data()["agents"][0]
        yield srv
    finally:
        srv.stop()
        drop()


# Prepared demo servers of this process, to copy: (database kind, the server's own
# settings) -> (a data folder, its PostgreSQL database or "").
_TEMPLATES: dict[tuple, tuple[Path, str]] = {}


def prepare_demo(srv: LocalServer) -> None:
    """`migrate` and `load_demo` for a demo server (the demo's counter timetables left out:
    they would make every estimate depend on the hour the tests run). The first server of
    a kind in this process runs both commands, into a template; the next ones get a copy of
    it: its data folder (secret key, the plans' image files, the SQLite file) and, on
    PostgreSQL, a database made from the template's (CREATE DATABASE ... TEMPLATE). Saves
    about 8 s of CPU a server; the commands themselves keep their own tests. Under make
    test the SQLite templates are shared by the suites' processes (SHARED_TEMPLATES)."""
    sqlite = srv.database_url.startswith("sqlite:")
    if sqlite and srv.database_url != f"sqlite:///{srv.data_dir / 'server.sqlite3'}":
        srv.prepare(demo=True, timetables=False)  # a database elsewhere: not copied
        return
    key = ("sqlite" if sqlite else _server_of(srv.database_url),
           tuple(sorted(srv.extra_env.items())))
    if key not in _TEMPLATES:
        _TEMPLATES[key] = _template(srv, sqlite)
    folder, database = _TEMPLATES[key]
    srv.data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copytree(folder, srv.data_dir, dirs_exist_ok=True)
    if database:
        _run_admin(srv.database_url, 'DROP DATABASE "{name}"',
                   f'CREATE DATABASE "{{name}}" TEMPLATE "{database}"')


def _server_of(url: str) -> str:
    parsed = urlparse(url)
    return f"{parsed.hostname}:{parsed.port}"


def _run_admin(url: str, *statements: str) -> None:
    """Run statements on the cluster of `url` ({name}: its database's name)."""
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    with psycopg.connect(urlunparse(parsed._replace(path="/postgres")), autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement.format(name=name))


# make test's folder of SQLite templates shared by its suites' processes (run-tests.sh): the
# first suite to need one builds it under a lock, the others wait for it and copy it (seven
# suites, each ~6 s of CPU for `migrate` and `load_demo`). Unset: each process its own.
SHARED_TEMPLATES = "CARREFOUR_TEST_TEMPLATES"


def _shared_sqlite_template(srv: LocalServer) -> Path | None:
    root = os.environ.get(SHARED_TEMPLATES)
    if not root:
        return None
    settings = json.dumps(sorted(srv.extra_env.items())).encode()
    folder = Path(root) / f"sqlite-{hashlib.sha256(settings).hexdigest()[:16]}"
    with open(f"{folder}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or the process dies
        if not folder.exists():
            building = Path(tempfile.mkdtemp(dir=root, prefix="building-"))
            _prepare_into(srv, building, f"sqlite:///{building / 'server.sqlite3'}")
            building.rename(folder)  # whole or absent: a build cut short leaves no template
    return folder


def _template(srv: LocalServer, sqlite: bool) -> tuple[Path, str]:
    if sqlite and (shared := _shared_sqlite_template(srv)) is not None:
        return shared, ""
    folder = Path(tempfile.mkdtemp(prefix="carrefour-demo-template-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    if sqlite:
        url, database = f"sqlite:///{folder / 'server.sqlite3'}", ""
    else:  # on the server's own cluster, the one a copy is made on
        database = f"carrefour_template_{uuid.uuid4().hex[:10]}"
        url = urlunparse(urlparse(srv.database_url)._replace(path=f"/{database}"))
        _run_admin(url, 'CREATE DATABASE "{name}"')
        atexit.register(_quietly, lambda: _run_admin(
            url, 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    _prepare_into(srv, folder, url)
    return folder, database


def _prepare_into(srv: LocalServer, folder: Path, url: str) -> None:
    """`migrate` and `load_demo` (no timetables) with `srv`'s settings, into a template."""
    LocalServer(data_dir=folder, database_url=url, extra_env=dict(srv.extra_env)).prepare(
        demo=True, timetables=False)


def _quietly(step: Callable[[], None]) -> None:
    """At exit: the run's cluster may be stopped already (it is thrown away with it)."""
    try:
        step()
    except Exception:  # noqa: BLE001 - nothing to clean then
        pass
