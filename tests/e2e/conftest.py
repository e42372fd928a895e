"""A real server process (gunicorn) on loopback, on SQLite or on the PostgreSQL of the run."""

from __future__ import annotations

import pytest

from tests.support.servers import demo_server

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with demo_server(tmp_path_factory.mktemp("server")) as srv:
        yield srv
