"""A real Kannel on loopback for tests: bearerbox + smsbox + the fake SMSC.

    with KannelHarness(tmp_path) as kannel:
        requests.get(kannel.sendsms_url, params={..., "username": kannel.username, ...})
        kannel.wait_for_received(1)  # [ReceivedSms(sender, to, coding, text)]

Kannel comes from Debian: ``kannel`` (bearerbox, smsbox) and ``kannel-extras``
(``/usr/lib/kannel/test/fakesmsc``). fakesmsc is a *client* of bearerbox's ``smsc = fake``
port: started with ``-m 0`` and a dummy message it sends nothing, stays connected and logs
every message bearerbox routes to it as ``Got message N: <sender receiver type data>``
(type ``text`` with the UTF-8 text as is, or ``ucs-2`` with URL-encoded UTF-16BE bytes).
It also makes bearerbox report DLR 8 (SMSC ack) then 1 (delivered) for each message.

Each process runs in its own session (process group); `stop` terminates the groups, then
kills what is left, and a finalizer does the same if a test forgets. Logs stay in the
directory given; their tails go into the error when Kannel fails to start.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import weakref
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote_to_bytes

from tests.support.patience import GUARD, LIVE_TIMEOUT, wait_until

FAKESMSC_CANDIDATES = ("/usr/lib/kannel/test/fakesmsc", "/usr/libexec/kannel/test/fakesmsc")
_LOG_PREFIX = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[\d+\] \[\d+\] [A-Z]+: ", re.MULTILINE)
_GOT = re.compile(r"^Got message \d+: <(?P<body>.*)>\s*$", re.DOTALL)


class KannelUnavailable(RuntimeError):
    """Kannel binaries are missing (install the Debian packages kannel and kannel-extras)."""


class KannelStartError(RuntimeError):
    crashed = False  # a process died of a signal, not of a configuration error


@dataclass(frozen=True)
class ReceivedSms:
    sender: str
    to: str
    coding: str  # "text" (GSM-7/8-bit text) or "ucs-2", as fakesmsc prints it
    text: str


def find_binaries() -> dict[str, str]:
    found = {
        "bearerbox": shutil.which("bearerbox") or shutil.which("bearerbox", path="/usr/sbin"),
        "smsbox": shutil.which("smsbox") or shutil.which("smsbox", path="/usr/sbin"),
        "fakesmsc": next((p for p in FAKESMSC_CANDIDATES if os.access(p, os.X_OK)), None),
    }
    missing = [name for name, path in found.items() if not path]
    if missing:
        raise KannelUnavailable(
            f"Kannel binaries not found: {', '.join(missing)} "
            "(apt-get install kannel kannel-extras)"
        )
    return found  # type: ignore[return-value]


def free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for sock in sockets:
            sock.close()


def parse_fakesmsc_log(log: str) -> list[ReceivedSms]:
    """The messages in fakesmsc's output (a text may span lines: it may contain newlines)."""
    received = []
    for record in _LOG_PREFIX.split(log):
        match = _GOT.match(record.rstrip("\n"))
        if not match:
            continue
        sender, to, coding, data = (match.group("body").split(" ", 3) + ["", "", "", ""])[:4]
        if coding == "ucs-2":
            text = unquote_to_bytes(data.replace("+", "%20")).decode("utf-16-be")
        elif coding in ("data", "udh-data", "udh"):
            text = unquote_to_bytes(data.replace("+", "%20")).decode("utf-8", "replace")
        else:
            text = data
        received.append(ReceivedSms(sender, to, coding, text))
    return received


def _stop_processes(processes: list[subprocess.Popen], files: list) -> None:
    for process in reversed(processes):  # smsbox and fakesmsc first, bearerbox last
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + 5
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for process in processes:
        try:
            os.killpg(process.pid, signal.SIGKILL)  # stragglers, threads or children
        except (ProcessLookupError, PermissionError):
            pass
        process.wait()
    processes.clear()
    for handle in files:
        handle.close()
    files.clear()


class KannelHarness:
    """bearerbox + smsbox + fakesmsc bound to 127.0.0.1 on free ports, logs in `tmp_dir`."""

    def __init__(self, tmp_dir: str | os.PathLike, *, sender: str = "Mairie19",
                 start_timeout: float = GUARD):
        self.dir = Path(tmp_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.binaries = find_binaries()
        self.admin_port, self.smsbox_port, self.sendsms_port, self.smsc_port = free_ports(4)
        self.username = "carrefour"
        self.password = secrets.token_hex(8)
        self.admin_password = secrets.token_hex(8)
        self.sender = sender
        self.smsc_id = "fake"
        self.start_timeout = start_timeout
        self.conf_path = self.dir / "kannel.conf"
        self._processes: list[subprocess.Popen] = []
        self._files: list = []
        self._finalizer = weakref.finalize(self, _stop_processes, self._processes, self._files)

    # -- addresses -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.sendsms_port}"

    @property
    def sendsms_url(self) -> str:
        return f"{self.base_url}/cgi-bin/sendsms"

    @property
    def status_url(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}/status.txt?password={self.admin_password}"

    # -- configuration ---------------------------------------------------------------------

    def config(self) -> str:
        d = self.dir
        return f"""\
group = core
admin-port = {self.admin_port}
admin-interface = 127.0.0.1
admin-password = {self.admin_password}
status-password = {self.admin_password}
admin-allow-ip = "127.0.0.1"
smsbox-port = {self.smsbox_port}
smsbox-interface = 127.0.0.1
box-allow-ip = "127.0.0.1"
log-file = "{d / 'bearerbox.log'}"
log-level = 0
dlr-storage = internal

group = smsc
smsc = fake
smsc-id = {self.smsc_id}
port = {self.smsc_port}
connect-allow-ip = "127.0.0.1"

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {self.smsbox_port}
sendsms-port = {self.sendsms_port}
sendsms-interface = 127.0.0.1
global-sender = "{self.sender}"
log-file = "{d / 'smsbox.log'}"
log-level = 0

group = sendsms-user
username = {self.username}
password = {self.password}
user-allow-ip = "127.0.0.1"
concatenation = true
max-messages = 3

group = sms-service
keyword = default
text = "No service"
omit-empty = true
"""

    # -- life cycle ------------------------------------------------------------------------

    def __enter__(self) -> KannelHarness:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return bool(self._processes) and all(p.poll() is None for p in self._processes)

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        out = open(self.dir / f"{name}.out", "ab")  # closed in stop()
        self._files.append(out)
        process = subprocess.Popen(
            args, cwd=self.dir, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._processes.append(process)
        return process

    START_ATTEMPTS = 3

    def start(self) -> KannelHarness:
        """Start the three processes. Debian's smsbox 1.4.5 now and then dies of a
        segmentation fault in its first second (seen on a loaded 2-core machine, never
        later): a start that crashes (negative exit code) is tried again, up to 3 times;
        any other failure is raised at once."""
        for attempt in range(1, self.START_ATTEMPTS + 1):
            try:
                return self._start_once()
            except KannelStartError as exc:
                if not exc.crashed or attempt == self.START_ATTEMPTS:
                    raise  # a crashed start stopped all three: the next one starts afresh
        raise AssertionError("unreachable")

    def _start_once(self) -> KannelHarness:
        if self._processes:
            raise RuntimeError("KannelHarness already started")
        self.conf_path.write_text(self.config(), encoding="utf-8")
        deadline = time.monotonic() + self.start_timeout
        try:
            self._spawn("bearerbox", [self.binaries["bearerbox"], "-v", "1", str(self.conf_path)])
            self._wait(deadline, "bearerbox admin port", lambda: self._http_status(
                self.status_url) == 200)
            self._spawn("fakesmsc", [
                self.binaries["fakesmsc"], "-H", "127.0.0.1", "-r", str(self.smsc_port),
                "-i", "0.1", "-m", "0", "0 0 text nop",
            ])
            self._spawn("smsbox", [self.binaries["smsbox"], "-v", "1", str(self.conf_path)])
            self._wait(deadline, "fake SMSC online", self._smsc_online)
            self._wait(deadline, "smsbox sendsms port", lambda: self._http_status(
                self.sendsms_url) is not None)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        _stop_processes(self._processes, self._files)

    def _wait(self, deadline: float, what: str, ready) -> None:
        while True:
            for process in self._processes:
                if process.poll() is not None:
                    error = KannelStartError(
                        f"{Path(process.args[0]).name} exited with {process.returncode} while "
                        f"waiting for {what}\n{self.log_tail()}"
                    )
                    error.crashed = process.returncode < 0  # killed by a signal (SIGSEGV)
                    raise error
            if ready():
                return
            if time.monotonic() > deadline:
                raise KannelStartError(f"timed out waiting for {what}\n{self.log_tail()}")
            time.sleep(0.05)

    @staticmethod
    def _http_status(url: str) -> int | None:
        try:
            with urllib.request.urlopen(url, timeout=LIVE_TIMEOUT) as response:
                response.read()
                return response.status
        except urllib.error.HTTPError as exc:
            exc.close()
            return exc.code
        except OSError:
            return None

    def status_text(self) -> str:
        try:
            with urllib.request.urlopen(self.status_url, timeout=LIVE_TIMEOUT) as response:
                return response.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def _smsc_online(self) -> bool:
        return any(
            line.strip().startswith(f"{self.smsc_id}[") and "(online" in line
            for line in self.status_text().splitlines()
        )

    # -- observations ----------------------------------------------------------------------

    def received(self) -> list[ReceivedSms]:
        """Every message the fake SMSC got so far, in order."""
        path = self.dir / "fakesmsc.out"
        if not path.exists():
            return []
        return parse_fakesmsc_log(path.read_text(encoding="utf-8", errors="replace"))

    def wait_for_received(self, count: int, timeout: float = GUARD) -> list[ReceivedSms]:
        """The messages received once there are `count` (fewer if `timeout` s pass first)."""
        wait_until(lambda: len(self.received()) >= count, timeout, step=0.05)
        return self.received()

    MARKER_TO = "+33612340000"  # the fence's number (no ticket has it)

    def received_before_a_marker(self, timeout: float = GUARD) -> list[ReceivedSms]:
        """Every message but markers, once a marker sent now through the gateway is in: one
        SMSC link, one queue, so whatever was sent before it has arrived too (a fence, where
        a sleep would guess how long a duplicate takes to come)."""
        text = f"marqueur {secrets.token_hex(4)}"
        query = urllib.parse.urlencode({"username": self.username, "password": self.password,
                                        "to": self.MARKER_TO, "text": text, "charset": "UTF-8"})
        with urllib.request.urlopen(f"{self.sendsms_url}?{query}", timeout=timeout) as response:
            response.read()
        assert wait_until(lambda: any(m.text == text for m in self.received()), timeout,
                          step=0.05), f"the marker never arrived\n{self.log_tail()}"
        return [m for m in self.received() if m.to.lstrip("+") != self.MARKER_TO.lstrip("+")]

    def log_tail(self, lines: int = 25) -> str:
        parts = []
        for name in ("bearerbox.log", "bearerbox.out", "smsbox.log", "smsbox.out",
                     "fakesmsc.out"):
            path = self.dir / name
            if path.exists():
                tail = path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
                parts.append(f"--- {path} ---\n" + "\n".join(tail))
        return "\n".join(parts) or f"(no Kannel logs in {self.dir})"
