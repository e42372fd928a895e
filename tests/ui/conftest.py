"""Kivy UI tests: a real Xvfb screen, a real server, the kiosk app driven in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import siteclock
from tests.support.patience import NEVER
from tests.support.servers import demo_server
from tests.support.xvfb import xvfb

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "tests" / "artifacts" / "screenshots"

pytestmark = pytest.mark.ui

# A driver run's safety net: its own waits are on conditions, each with a 90 s deadline.
RUN_DEADLINE = 600
# The kiosk's HTTP timeout in the tests: a busy machine makes the server slow, not gone
# (an unreachable server is a closed port: refused at once).
REQUEST_TIMEOUT = 30.0


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("timeout") is None and "tests/ui/" in item.nodeid:
            item.add_marker(pytest.mark.timeout(RUN_DEADLINE + 60))


@pytest.fixture(scope="session")
def display():
    with xvfb() as name:
        yield name


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    # On the tests' site clock (tests/support/siteclock.py), as every kiosk it serves.
    # Every UI test's kiosk uses the demo's one kiosk token, a dozen kiosk starts a minute
    # (each leasing numbers for every service): far more than a real kiosk, so the
    # per-kiosk limits are raised here (they are tested in tests/security).
    with demo_server(tmp_path_factory.mktemp("ui-server"), sqlite_only=True,
                     extra_env={"RATELIMIT_LEASES": "100000/m",
                                "RATELIMIT_TICKETS": "100000/m",
                                "RATELIMIT_HEARTBEAT": "100000/m",
                                **siteclock.env()}) as srv:
        yield srv


@pytest.fixture(autouse=True)
def site_clock(monkeypatch):
    """The test process reads the same site clock as the server and the kiosks it starts."""
    siteclock.use_in_process(monkeypatch)


def kiosk_env(display: str) -> dict[str, str]:
    """A kiosk process's environment: the Xvfb screen and the tests' site clock."""
    # Mesa's software GL draws on the kiosk's own thread: its rasterizer threads cost more
    # CPU than they save on the run's 2 busy cores (the layout matrix in English: 36.0 ->
    # 32.4 CPU s of the kiosk process, the mean of three runs each; a real kiosk has a GPU).
    return {**os.environ, "DISPLAY": display, **siteclock.env(), "LP_NUM_THREADS": "0"}


def kivy_script_result(display: str, script: str, *args: str) -> dict:
    """Run `script` in a Kivy process on the Xvfb screen; the JSON of its RESULT line."""
    proc = subprocess.run([sys.executable, "-c", script, *args], cwd=ROOT,
                          env=kiosk_env(display), capture_output=True, text=True, timeout=300)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
    assert line, proc.stderr[-3000:]
    return json.loads(line[len("RESULT "):])


@pytest.fixture(scope="session")
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


def screen_section(dev: bool = True) -> str:
    """The `[screen]` section of the UI tests' kiosks: windowed, 1280 x 800, and without
    multisampling (2 in production): under Xvfb, Mesa's software GL makes Kivy's 2 samples a
    4-sample buffer, and a kiosk frame cost 2.8x the CPU with it (88 -> 31 ms: the layout
    matrix in English). What the tests check (layout, glyphs, contrast behind text, frames
    compared) does not depend on the smoothing of shapes' edges; the production-settings
    test (test_clean_stop.py: the 'back soon' screen photographed) keeps multisampling."""
    return (f"[screen]\nfullscreen = false\ndev_mode = {'true' if dev else 'false'}\n"
            "width = 1280\nheight = 800\nmultisamples = 0\n")


def write_config(path: Path, server_url: str, token: str, data_dir: Path, dev: bool = True) -> Path:
    path.write_text(
        "[server]\n"
        f'server_url = "{server_url}"\n'
        f'token = "{token}"\n'
        f"sync_interval = 5.0\nrequest_timeout = {REQUEST_TIMEOUT}\n\n"
        f'[kiosk]\ndata_dir = "{data_dir}"\n'
        # A scripted run is no visitor: a starved process must not meet the idle reset
        # mid-run (the matrix once lost its service screen to it under a CPU hog). The
        # idle tests give their own times (tests/ui/test_flows.py write_flow_config).
        f"idle_timeout = {NEVER}\n\n"
        + screen_section(dev),
        encoding="utf-8",
    )
    return path


def drive(module: str, scenario: str, config: Path, out: Path, shots: Path, display: str,
          *extra: str, expect_ok: bool = True) -> dict:
    """Run one scenario of a kiosk driver (`python -m <module> <scenario> ...`, a real kiosk
    process on `display`); its JSON result, with the process's stdout and stderr. Fails the
    test when the driver crashed, or (`expect_ok`) when the scenario failed."""
    proc = subprocess.run(
        [sys.executable, "-m", module, scenario, "--config", str(config), "--out", str(out),
         "--shots", str(shots), *extra],
        cwd=ROOT, env=kiosk_env(display), capture_output=True, text=True, timeout=RUN_DEADLINE,
    )
    if not out.exists():
        pytest.fail(f"kiosk driver crashed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    result = json.loads(out.read_text(encoding="utf-8"))
    if expect_ok and not result.get("ok"):
        pytest.fail(f"scenario {scenario} failed:\n{result.get('error')}\n{proc.stderr[-3000:]}")
    result["stdout"], result["stderr"] = proc.stdout, proc.stderr
    return result


@pytest.fixture
def run_kiosk(display, shots, tmp_path):
    """Run one scenario of tests/ui/driver.py; returns its JSON result."""

    def run(scenario: str, config: Path, *extra: str, expect_ok: bool = True) -> dict:
        return drive("tests.ui.driver", scenario, config, tmp_path / f"{scenario}.json", shots,
                     display, *extra, expect_ok=expect_ok)

    return run
