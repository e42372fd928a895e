"""The server as deploy/server/carrefour-server.service starts it, for benches and e2e tests.

The command is the unit's ExecStart (gunicorn --config deploy/server/gunicorn.conf.py) and
its Environment= lines, read from the unit file, never copied: what is measured is what is
shipped. Only what a machine would differ in changes: /opt/carrefour is this checkout, the
venv's gunicorn is this interpreter's, secrets come from LocalServer (no systemd
credentials here) and the port is a free loopback one (GUNICORN_BIND, read by the config).
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

from kiosk.server.launcher import LocalServer, free_port

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "server" / "carrefour-server.service"


def unit_lines(unit: Path = UNIT) -> list[str]:
    text = re.sub(r"\\\n\s*", " ", unit.read_text())  # continuation lines
    return [line.strip() for line in text.splitlines()]


def unit_command(unit: Path = UNIT) -> tuple[list[str], list[str], dict[str, str]]:
    """(ExecStartPre as manage args, ExecStart argv, Environment) of the server's unit."""
    env: dict[str, str] = {}
    pre: list[str] = []
    start: list[str] = []
    for line in unit_lines(unit):
        key, _, value = line.partition("=")
        if key == "Environment":
            for item in shlex.split(value):
                name, _, val = item.partition("=")
                if "%d" not in val:  # systemd credentials: LocalServer hands its own
                    env[name] = val
        elif key == "ExecStartPre":
            argv = shlex.split(value)
            pre = argv[argv.index("kiosk.server") + 1:]
        elif key == "ExecStart":
            start = [arg.replace("/opt/carrefour", str(ROOT)) for arg in shlex.split(value)]
    if not start or not start[0].endswith("/gunicorn"):
        raise RuntimeError(f"{unit}: ExecStart is not gunicorn: {start}")
    return pre, [sys.executable, "-m", "gunicorn", *start[1:]], env


def describe() -> str:
    """One line for bench output: the flags as the unit and its config set them."""
    _, argv, env = unit_command()
    return " ".join(argv[3:]).replace(str(ROOT) + "/", "")


def start_as_unit(server: LocalServer, extra_env: dict | None = None,
                  timeout: float = 60.0, log_name: str = "server.log") -> LocalServer:
    """ExecStartPre, then ExecStart, on `server`'s data and database; returns when /health
    answers. `extra_env`: what server.env would set on that machine (GUNICORN_WORKERS...)."""
    pre, argv, env = unit_command()
    if pre:
        server.manage(*pre)
    server.port = server.port or free_port()
    log = open(server.data_dir / log_name, "ab")  # noqa: SIM115 - lives with the process
    server.process = subprocess.Popen(
        argv, cwd=ROOT,
        env={**server.env(), **env, **(extra_env or {}),
             "GUNICORN_BIND": f"127.0.0.1:{server.port}"},
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    server.wait_ready(timeout)
    return server
