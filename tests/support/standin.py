"""A tiny stand-in for the kiosk package, to test remote updates end to end in seconds:
wheels made with zipfile (no build backend), a console script `carrefour-kiosk` that runs
the real updater (kiosk/sync/updater.py) and the real transport against a real server, and
a supervisor that plays systemd (boot guard before each start, restart on every exit).

The stand-in imports `kiosk` from this checkout (PYTHONPATH): the bundle carries only the
stand-in's own wheel, not the kiosk's dependencies.
"""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUARD = ROOT / "kiosk" / "release" / "guard.py"
NAME = "carrefour_standin"

GOOD = '''
import os, sys, threading
from pathlib import Path

VERSION = {version!r}


def main():
    from kiosk.release.bundle import load_public_key  # noqa: F401 (the real code)
    from kiosk.sync.transport import Transport
    from kiosk.sync.updater import UpdateConfig, make_updater

    env = os.environ
    root = Path(env["STANDIN_ROOT"])
    config = UpdateConfig(enabled=True, root=root, public_keys=(env["STANDIN_KEY"],),
                          boot_deadline=float(env.get("STANDIN_DEADLINE", "90")))
    switched = threading.Event()
    updater = make_updater(config, VERSION, env["STANDIN_SERVER"], env["STANDIN_TOKEN"],
                           quiet=lambda: not (root / "busy").exists(), restart=switched.set)
    updater.start()
    {before_first_frame}
    updater.first_frame()
    transport = Transport(env["STANDIN_SERVER"], env["STANDIN_TOKEN"])
    print(f"standin {{VERSION}} running", flush=True)
    while not switched.is_set():
        answer = transport.heartbeat({{"version": VERSION, "outbox_depth": 0,
                                      **updater.heartbeat_fields()}})
        updater.on_heartbeat_answer(answer)
        switched.wait(float(env.get("STANDIN_HEARTBEAT", "0.3")))
    sys.exit(75)
'''

# A broken build: the process starts, then hangs before its first frame and heartbeat.
HANG = "threading.Event().wait()"


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def make_wheel(out_dir: Path, version: str, broken: bool = False) -> Path:
    """carrefour_standin-<version>-py3-none-any.whl with a `carrefour-kiosk` script."""
    source = GOOD.format(version=version, before_first_frame=HANG if broken else "pass")
    info = f"{NAME}-{version}.dist-info"
    files = {
        f"{NAME}/__init__.py": source.encode(),
        f"{info}/METADATA": (f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {version}\n"
                             ).encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: standin\nRoot-Is-Purelib: true\n"
                         b"Tag: py3-none-any\n",
        f"{info}/entry_points.txt": f"[console_scripts]\ncarrefour-kiosk = {NAME}:main\n".encode(),
    }
    record = [_record_line(n, d) for n, d in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{NAME}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


@dataclass
class Run:
    version: str | None
    returncode: int | None = None


@dataclass
class Supervisor:
    """systemd's part: `ExecStartPre=` the boot guard, `ExecStart=current/bin/carrefour-kiosk`,
    `Restart=always`; `runs` lists each start (version run, exit status)."""

    root: Path
    env: dict
    runs: list[Run] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)
    _stop: threading.Event = field(default_factory=threading.Event)
    _process: subprocess.Popen | None = None
    error: BaseException | None = None  # what ended the supervisor's loop, if anything
    _thread: threading.Thread | None = None

    def start(self) -> Supervisor:
        self._thread = threading.Thread(target=self._loop, name="standin-supervisor", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        log = open(self.root / "standin.log", "ab")  # noqa: SIM115 - closed at the end
        try:
            while not self._stop.is_set():
                # No time limit of its own (it had 60 s: a stress run found this thread dead
                # mid-test, and that limit was the one thing here to raise); the test's
                # waits are the guard.
                subprocess.run([sys.executable, str(GUARD), "--root", str(self.root)],
                               stdout=log, stderr=subprocess.STDOUT, check=False)
                version = Path(os.readlink(self.root / "current")).name
                run = Run(version)
                with self.changed:
                    self.runs.append(run)
                    self.changed.notify_all()
                self._process = subprocess.Popen(
                    [str(self.root / "current" / "bin" / "carrefour-kiosk")],
                    env={**os.environ, **self.env}, stdout=log, stderr=subprocess.STDOUT)
                if self._stop.is_set():
                    self._process.terminate()
                code = self._process.wait()
                with self.changed:
                    run.returncode = code
                    self.changed.notify_all()
        except BaseException as exc:  # told to the test's waits (wait_for), not lost
            with self.changed:
                self.error = exc
                self.changed.notify_all()
            raise
        finally:
            log.close()

    def wait_for(self, predicate, timeout: float) -> bool:
        """Until `predicate(runs)` holds; raises what stopped the supervisor if it died."""
        with self.changed:
            held = self.changed.wait_for(
                lambda: self.error is not None or predicate(self.runs), timeout)
            if self.error is not None:
                raise AssertionError("the supervisor stopped") from self.error
            return held

    def stop(self) -> None:
        self._stop.set()
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
        if self._thread is not None:
            self._thread.join(20)
