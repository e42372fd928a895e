"""sd_notify against a real AF_UNIX datagram socket, by path and by abstract name."""

from __future__ import annotations

import os
import socket
import uuid

import pytest

from kiosk.devices.watchdog import SystemdWatchdog
from tests.support.patience import GUARD


@pytest.fixture(params=["path", "abstract"])
def notify_socket(request, tmp_path):
    """(NOTIFY_SOCKET value, receiving socket)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.settimeout(GUARD)  # a guard: each test reads a datagram already sent
    if request.param == "path":
        path = str(tmp_path / "notify")
        sock.bind(path)
        value = path
    else:
        name = f"carrefour-test-{uuid.uuid4().hex}"
        sock.bind(b"\0" + name.encode())
        value = "@" + name
    yield value, sock
    sock.close()


def received(sock: socket.socket) -> str:
    return sock.recv(4096).decode()


def test_ready_ping_status_stopping(notify_socket):
    value, sock = notify_socket
    wd = SystemdWatchdog({"NOTIFY_SOCKET": value, "WATCHDOG_USEC": "30000000"})
    assert wd.enabled and wd.watchdog_enabled
    assert wd.interval() == 15.0
    assert wd.ready("kiosk up") is True
    assert received(sock) == "READY=1\nSTATUS=kiosk up"
    assert wd.ping() is True
    assert received(sock) == "WATCHDOG=1"
    assert wd.status("content 2025-05-14\n12 tickets")
    assert received(sock) == "STATUS=content 2025-05-14 12 tickets"
    assert wd.stopping()
    assert received(sock) == "STOPPING=1"


def test_the_first_ping_also_says_ready(notify_socket):
    value, sock = notify_socket
    wd = SystemdWatchdog({"NOTIFY_SOCKET": value, "WATCHDOG_USEC": "30000000"})
    assert wd.ping()
    assert received(sock) == "READY=1\nWATCHDOG=1"
    assert wd.ping()
    assert received(sock) == "WATCHDOG=1"


def test_reads_the_real_environment(notify_socket, monkeypatch):
    value, sock = notify_socket
    monkeypatch.setenv("NOTIFY_SOCKET", value)
    monkeypatch.setenv("WATCHDOG_USEC", "2000000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    wd = SystemdWatchdog()
    assert wd.interval() == 1.0
    assert wd.ping() and "WATCHDOG=1" in received(sock)


def test_no_op_outside_systemd():
    wd = SystemdWatchdog({})
    assert not wd.enabled and wd.interval() is None
    assert wd.ready() is False and wd.ping() is False and wd.status("x") is False


def test_a_watchdog_meant_for_another_process_is_ignored(notify_socket):
    value, _ = notify_socket
    wd = SystemdWatchdog({"NOTIFY_SOCKET": value, "WATCHDOG_USEC": "30000000",
                          "WATCHDOG_PID": str(os.getpid() + 1)})
    assert wd.enabled and not wd.watchdog_enabled and wd.interval() is None


@pytest.mark.parametrize("usec", ["", "0", "abc", "-5"])
def test_no_or_bad_watchdog_usec_means_no_watchdog(notify_socket, usec):
    value, _ = notify_socket
    assert SystemdWatchdog({"NOTIFY_SOCKET": value, "WATCHDOG_USEC": usec}).interval() is None


def test_a_vanished_socket_is_reported_not_raised(tmp_path):
    wd = SystemdWatchdog({"NOTIFY_SOCKET": str(tmp_path / "gone"), "WATCHDOG_USEC": "1000000"})
    assert wd.enabled
    assert wd.ping() is False
    assert SystemdWatchdog({"NOTIFY_SOCKET": "relative/path"}).enabled is False
