"""`make demo`: the central server on SQLite with the 19e's demo content, then the kiosk.

On a machine without a display the kiosk runs under Xvfb and saves a screenshot whose path
is printed. Ctrl-C stops everything, leaving no process behind.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from kiosk.server.launcher import LocalServer  # noqa: E402

VAR = ROOT / "var" / "demo"
PORT = int(os.environ.get("PORT", "8000"))
children: list[subprocess.Popen] = []


def say(text: str) -> None:
    print(f"carrefour-demo: {text}", flush=True)


def start_xvfb() -> str:
    """A virtual screen for machines without one; returns the DISPLAY."""
    if not shutil.which("Xvfb"):
        sys.exit("carrefour-demo: no display and no Xvfb (run `make demo` again to install it)")
    for number in range(90, 140):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
            break
    proc = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    children.append(proc)
    for _ in range(100):
        if Path(f"/tmp/.X11-unix/X{number}").exists():
            return f":{number}"
        time.sleep(0.05)
    sys.exit("carrefour-demo: Xvfb did not start")


def stop_all(server: LocalServer | None) -> None:
    for proc in reversed(children):
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
    for proc in children:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    if server is not None:
        server.stop()


def main() -> int:
    t0 = time.perf_counter()
    demo = json.loads((ROOT / "config" / "demo" / "19e.json").read_text(encoding="utf-8"))
    server = LocalServer(data_dir=VAR / "server", port=PORT, workers=1, threads=8)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    # Ctrl-C stops everything even when started from a shell that ignores SIGINT for it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        say("preparing the database (SQLite) and the 19e demo content…")
        server.prepare(demo=True)
        server.start()
        say(f"server ready at {server.url} (log: {VAR / 'server' / 'server.log'})")
        # The SMS outbox worker, on the log backend: "sent" SMS appear in its log.
        sms_log = open(VAR / "server" / "sms.log", "ab")  # noqa: SIM115 - lives with the process
        children.append(subprocess.Popen(
            [sys.executable, "-m", "kiosk.server", "sms_worker"], env=server.env(),
            stdout=sms_log, stderr=subprocess.STDOUT, start_new_session=True))
        sms_log.close()
        say(f"SMS worker started (log backend: {VAR / 'server' / 'sms.log'})")
        agents = ", ".join(f"{a['username']} / {a['password']} ({a['role']})" for a in demo["agents"])
        print(f"""
  Counter console  {server.url}/guichet/
  Display board    {server.url}/ecran/{demo["site"]["id"]}/
  Statistics       {server.url}/stats/{demo["site"]["id"]}/
  Back-office      {server.url}/admin/
  API (OpenAPI)    {server.url}/api/v1/docs
  Demo logins      {agents}
""", flush=True)
        kiosk_dir = VAR / "kiosk"
        kiosk_dir.mkdir(parents=True, exist_ok=True)
        config = kiosk_dir / "kiosk.toml"
        config.write_text(
            "[server]\n"
            f'server_url = "{server.url}"\n'
            f'token = "{demo["kiosks"][0]["token"]}"\n'
            "sync_interval = 10.0\n\n"
            "[kiosk]\n"
            f'data_dir = "{kiosk_dir}"\n\n'
            "[screen]\nfullscreen = false\ndev_mode = true\nwidth = 1280\nheight = 800\n",
            encoding="utf-8",
        )
        args = [sys.executable, "-m", "kiosk.ui.app", "--config", str(config), "--dev"]
        env = {**os.environ, "CARREFOUR_T0": str(time.time())}
        if not os.environ.get("DISPLAY"):
            env["DISPLAY"] = start_xvfb()
            shot = VAR / "kiosk-home.png"
            args += ["--screenshot", str(shot)]
            say(f"no display here: the kiosk runs under Xvfb ({env['DISPLAY']}); "
                f"its home screen will be saved to {shot}")
        say(f"starting the kiosk ({time.perf_counter() - t0:.1f} s since start). Ctrl-C stops everything.")
        kiosk = subprocess.Popen(args, env=env, start_new_session=True)
        children.append(kiosk)
        kiosk.wait()
        say(f"kiosk exited with {kiosk.returncode}")
        return kiosk.returncode
    except KeyboardInterrupt:
        print()
        say("stopping…")
        return 0
    finally:
        stop_all(server)
        say("stopped: no process left behind.")


if __name__ == "__main__":
    sys.exit(main())
