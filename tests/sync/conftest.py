"""Fixtures shared by the sync tests: a fake server on loopback, a kiosk store, a transport."""

from __future__ import annotations

import pytest

from kiosk.localstore import LocalStore
from kiosk.sync.transport import Transport
from tests.support.patience import LIVE_TIMEOUT
from tests.sync import FakeServer

TOKEN = "kiosk-token-for-tests-0123456789"


@pytest.fixture
def server():
    srv = FakeServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def store(tmp_path):
    s = LocalStore(tmp_path / "kiosk.sqlite3")
    yield s
    s.close()


@pytest.fixture
def transport(server):
    t = Transport(server.url, TOKEN, timeout=LIVE_TIMEOUT)  # no test here needs it to fire
    yield t
    t._session.close()
