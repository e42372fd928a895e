"""systemd readiness and watchdog notifications (sd_notify) with a plain socket.

Under `Type=notify` + `WatchdogSec=` (deploy/kiosk/carrefour-kiosk.service) systemd passes
$NOTIFY_SOCKET (a path, or an abstract name starting with "@") and $WATCHDOG_USEC. The kiosk
pings from the Kivy clock every `interval()` seconds (half the watchdog period): if the UI
thread hangs, the pings stop and systemd restarts the kiosk.

The first `ping()` also says READY=1, so a UI that only pings still completes a
`Type=notify` start. Outside systemd every call is a no-op that returns False.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

log = logging.getLogger(__name__)


class SystemdWatchdog:
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.address = _address(env.get("NOTIFY_SOCKET", ""))
        self._usec = _watchdog_usec(env)
        self._ready_sent = False

    @property
    def enabled(self) -> bool:
        """Running under systemd with a notification socket."""
        return self.address is not None

    @property
    def watchdog_enabled(self) -> bool:
        return self.enabled and self._usec is not None

    def interval(self) -> float | None:
        """Seconds between pings (half of WatchdogSec), None when no watchdog is set."""
        if not self.watchdog_enabled or self._usec is None:
            return None
        return self._usec / 2 / 1_000_000

    def notify(self, state: str) -> bool:
        """Send one sd_notify datagram ("READY=1", "WATCHDOG=1", "STATUS=..."...)."""
        if self.address is None:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.connect(self.address)
                sock.sendall(state.encode("utf-8"))
        except OSError as exc:
            log.warning("sd_notify %r to %r failed: %s", state, self.address, exc)
            return False
        return True

    def ready(self, status: str = "") -> bool:
        self._ready_sent = True
        return self.notify("READY=1" + (f"\nSTATUS={status}" if status else ""))

    def ping(self) -> bool:
        if not self._ready_sent and self.enabled:
            self._ready_sent = True
            return self.notify("READY=1\nWATCHDOG=1")
        return self.notify("WATCHDOG=1")

    def status(self, text: str) -> bool:
        """A one-line status shown by `systemctl status`."""
        return self.notify("STATUS=" + " ".join(text.split()))

    def stopping(self) -> bool:
        return self.notify("STOPPING=1")


def _address(value: str) -> str | bytes | None:
    if not value:
        return None
    if value.startswith("@"):
        return b"\0" + value[1:].encode()  # Linux abstract namespace
    if value.startswith("/"):
        return value
    log.warning("ignoring NOTIFY_SOCKET=%r (not a path nor an abstract name)", value)
    return None


def _watchdog_usec(env: Mapping[str, str]) -> int | None:
    """$WATCHDOG_USEC, if it is meant for this process ($WATCHDOG_PID, when set)."""
    pid = env.get("WATCHDOG_PID")
    if pid and pid != str(os.getpid()):
        return None
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    return usec if usec > 0 else None
