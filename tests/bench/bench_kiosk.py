"""Kiosk start to first frame (demo content, offline) vs a bare Kivy "hello", same run, Xvfb."""

from __future__ import annotations

import compileall
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kiosk.localstore import LocalStore
from kiosk.sync.engine import SyncEngine
from kiosk.sync.transport import Transport
from tests.bench.table import Row
from tests.support.servers import demo_server
from tests.support.xvfb import xvfb

ROOT = Path(__file__).resolve().parents[2]
RUNS = 5
NAVIGATIONS = int(os.environ.get("BENCH_NAVIGATIONS", "5000"))
FIRST_FRAME = re.compile(r"first frame after (\d+\.\d+) s")


def _first_frame(args: list[str], display: str, env_extra: dict | None = None) -> float:
    env = {**os.environ, "DISPLAY": display, "KIVY_NO_CONSOLELOG": "1", **(env_extra or {}),
           "CARREFOUR_T0": repr(time.time())}
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    match = FIRST_FRAME.search(proc.stdout)
    if not match:
        raise RuntimeError(f"no first frame reported ({proc.returncode}): {proc.stdout}{proc.stderr}")
    return float(match.group(1))


def run() -> list[Row]:
    # A kiosk runs an installed package (pip byte-compiles it, deploy/kiosk/README.md), as
    # Kivy itself is in the hello baseline; this checkout may run with
    # PYTHONDONTWRITEBYTECODE=1, which would compile every kiosk module at every start.
    compileall.compile_dir(str(ROOT / "kiosk"), quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data_dir = tmp / "kiosk"
        with demo_server(tmp / "server", sqlite_only=True) as server:
            store = LocalStore(data_dir / "kiosk.sqlite3")
            SyncEngine(store, Transport(server.url, server.kiosk_token)).sync_once()
            store.close()
        config = tmp / "kiosk.toml"
        # No token: the kiosk starts on its synced snapshot without touching the network.
        config.write_text(f'[kiosk]\ndata_dir = "{data_dir}"\n\n[screen]\nfullscreen = false\n'
                          "dev_mode = true\nwidth = 1280\nheight = 800\n", encoding="utf-8")
        kiosk, hello = [], []
        with xvfb() as display:
            for _ in range(RUNS):  # interleaved, so both see the same machine state
                hello.append(_first_frame(["tests/bench/hello_kivy.py"], display,
                                          {"KIVY_HOME": str(tmp / "kivy-hello")}))
                kiosk.append(_first_frame(["-m", "kiosk.ui.app", "--config", str(config),
                                           "--exit-after-first-frame"], display))
            nav = _navigations(config, display, tmp)
    k, h = statistics.median(kiosk), statistics.median(hello)
    taps = nav["tap_to_frame_ms"]
    p95 = statistics.quantiles(taps, n=100)[94]
    growth = nav["rss_end_mib"] - nav["rss_after_100_mib"]
    return [
        Row("kiosk start to first frame (median of 5)", k, "s", "bare Kivy hello", h,
            "<= 1.5x", k / h <= 1.5),
        Row(f"tap -> new screen drawn, p95 ({len(taps)} taps)", p95, "ms", target="<= 50 ms",
            ok=p95 <= 50),
        Row("tap -> new screen drawn, median", statistics.median(taps), "ms"),
        Row("RSS after 100 navigations", nav["rss_after_100_mib"], "MiB"),
        Row(f"RSS growth, {nav['navigations']} vs 100 navigations", growth, "MiB",
            target="<= +5 MiB", ok=growth <= 5),
    ]


def _navigations(config: Path, display: str, tmp: Path) -> dict:
    out = tmp / "nav.json"
    env = {**os.environ, "DISPLAY": display, "KIVY_NO_CONSOLELOG": "1"}
    proc = subprocess.run([sys.executable, "-m", "tests.bench.kiosk_nav", "--config", str(config),
                           "--navigations", str(NAVIGATIONS), "--out", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    if not out.exists():
        raise RuntimeError(f"navigation bench crashed: {proc.stdout}{proc.stderr}")
    result = json.loads(out.read_text(encoding="utf-8"))
    if not result.get("ok"):
        raise RuntimeError(f"navigation bench failed: {result.get('error')}")
    return result
