"""Start a local server process (demo, end-to-end tests, benchmarks): migrate, load, serve.

Uses the production stack (gunicorn, threads) on loopback (and on `lan_host` too when set:
the demo for phones on the same Wi-Fi); the database is SQLite in `data_dir` unless
`database_url` says otherwise. No Django import here: it all runs in
child processes, so the caller's settings never leak in.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LocalServer:
    data_dir: Path
    database_url: str = ""
    port: int = 0
    workers: int = 2
    threads: int = 8
    extra_env: dict = field(default_factory=dict)
    process: subprocess.Popen | None = None
    lan_host: str = ""  # also served on this address (phones); its URL goes in the QR codes

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def public_url(self) -> str:
        """The URL phones open (PUBLIC_BASE_URL): the LAN address's, else the loopback one."""
        return f"http://{self.lan_host}:{self.port}" if self.lan_host else self.url

    def env(self) -> dict:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key_file = self.data_dir / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(50))
            key_file.chmod(0o600)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "kiosk.server.settings",
            "SECRET_KEY_FILE": str(key_file),
            "DEBUG": "0",
            "CARREFOUR_DATA_DIR": str(self.data_dir),
            # Plain http on loopback only: production keeps all of these on (nginx + TLS).
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "SECURE_HSTS_SECONDS": "0",
            "ALLOWED_HOSTS": ",".join(["127.0.0.1", "localhost"] + [self.lan_host] * bool(self.lan_host)),
            "PUBLIC_BASE_URL": self.public_url if self.lan_host else "",
            "DEMO": "1",  # a local demo / test server: load_demo may create its accounts
            "SESSION_END_OF_DAY": "",  # a test run or a demo may cross 20:00: 12 h sessions
            **self.extra_env,
        }
        env.pop("DATABASE_URL", None)
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        return env

    def manage(self, *args: str, quiet: bool = True) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "kiosk.server", *args], env=self.env(),
            capture_output=True, text=True, timeout=300,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def prepare(self, demo: bool = True, timetables: bool = True) -> None:
        """Migrate and load the demo; `timetables` False: the counters without their weekly
        timetables (open, no planned end), so estimates do not depend on the hour."""
        self.manage("migrate", "--noinput")
        if demo:
            self.manage("load_demo", *([] if timetables else ["--without-timetables"]))

    def start(self, timeout: float = 30.0, log_path: Path | None = None) -> LocalServer:
        self.port = self.port or free_port()
        log = open(log_path or self.data_dir / "server.log", "ab")  # noqa: SIM115 - lives with the process
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "kiosk.server.wsgi:application",
             "--bind", f"127.0.0.1:{self.port}",
             *(["--bind", f"{self.lan_host}:{self.port}"] if self.lan_host else []),
             "--workers", str(self.workers),
             "--threads", str(self.threads), "--timeout", "60", "--graceful-timeout", "5",
             "--access-logfile", "-"],
            env=self.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process and self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}; see the log")
            try:
                with urllib.request.urlopen(f"{self.url}/api/v1/health", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"server not ready on {self.url} after {timeout} s")

    def stop(self, kill: bool = False) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None
