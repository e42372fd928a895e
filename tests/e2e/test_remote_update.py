"""A remote update end to end (docs/updates.md), with two (and more) builds of a stand-in
kiosk (tests/support/standin.py) installed by the real installer, run under a supervisor
that plays systemd (boot guard before each start, restart on each exit), against a real
server: staged to the pilot, applied at a quiet moment, the site following; a broken build
rolled back by itself; a bundle with a bad signature refused and reported."""

from __future__ import annotations

import os
import re
import sysconfig
import threading
import time

import pytest
import requests

from kiosk.release.bundle import build_bundle, generate_key, load_private_key, load_public_key
from kiosk.release.install import install_first
from kiosk.sync.transport import Transport
from tests.support.servers import demo_server
from tests.support.standin import ROOT, Supervisor, make_wheel

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]  # safety net: waits are on conditions
# The guard of each step, which installs a virtualenv with pip (a hang guard, not a pace: a
# stress run with both cores taken took one step past 240 s).
INSTALL_GUARD = 480.0

PILOT, OTHER = "Hall d'entrée", "Salle d'attente"


def until(condition, timeout: float, what: str, supervisor=None):
    """Wait for a condition of other processes (a kiosk must start, install, restart): woken
    by the supervisor's events (a kiosk process started or ended) when there is one, checked
    again at least every 0.2 s (the fleet's state lives on the server, which tells no one);
    `timeout` is only the safety net."""
    deadline = time.monotonic() + timeout
    wake = threading.Event()
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if supervisor is not None:
            seen = len(supervisor.runs)
            supervisor.wait_for(lambda runs, seen=seen: len(runs) != seen, 0.2)
        else:
            wake.wait(0.2)
    raise AssertionError(f"not reached within {timeout} s: {what}")


def agent_session(server) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{server.url}/connexion/", timeout=60)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    session.post(f"{server.url}/connexion/", timeout=60,
                 data={"username": server.agent["username"], "password": server.agent["password"],
                       "csrfmiddlewaretoken": csrf, "next": "/flotte/paris-19/"},
                 headers={"Referer": f"{server.url}/connexion/"})
    return session


def test_signed_update_staged_quiet_switch_rollback_and_bad_signature(tmp_path):
    pem, public = generate_key()
    key = load_private_key(pem)
    forger = load_private_key(generate_key()[0])
    bundles = {}
    for version, signer, broken in (("1.0", key, False), ("2.0", key, False),
                                    ("3.0", key, True), ("4.0", forger, False)):
        wheel = make_wheel(tmp_path / "wheels" / version, version, broken=broken)
        bundles[version] = build_bundle(tmp_path / f"standin-{version}.tar", version,
                                        f"carrefour_standin=={version}", [wheel], signer)
    root = tmp_path / "kiosk"
    assert install_first(root, bundles["1.0"], [load_public_key(public)]) == "1.0"

    with demo_server(tmp_path / "server", extra_env={"RATELIMIT_ENABLED": "0"}) as server:
        for version in ("2.0", "3.0", "4.0"):
            server.manage("release", "add", str(bundles[version]))
        other_token = server.manage("create_kiosk", "paris-19", OTHER).strip()
        other = Transport(server.url, other_token)
        fleet = agent_session(server)

        def row(name):
            state = fleet.get(f"{server.url}/flotte/paris-19/etat.json", timeout=60).json()
            return next(k for k in state["kiosks"] if k["name"] == name)

        (root / "busy").write_text("a visitor mid-journey")
        server.manage("release", "site", "paris-19", "2.0", "--pilot", PILOT)
        env = {"STANDIN_ROOT": str(root), "STANDIN_KEY": public, "STANDIN_SERVER": server.url,
               "STANDIN_TOKEN": server.kiosk_token, "STANDIN_DEADLINE": "30",
               "PYTHONPATH": os.pathsep.join([str(ROOT), sysconfig.get_paths()["purelib"]])}
        supervisor = Supervisor(root, env).start()
        try:
            # Staged to the pilot: it fetches, verifies, installs, then waits (busy).
            until(lambda: row(PILOT)["update"]["state"] == "waiting_quiet", INSTALL_GUARD,
                  "pilot installed 2.0 and waits for a quiet moment", supervisor)
            pilot = row(PILOT)
            assert (pilot["version"], pilot["update"]["target_version"],
                    pilot["update"]["state_version"]) == ("1.0", "2.0", "2.0")
            assert (root / "releases" / "2.0" / ".installed").is_file()
            assert os.readlink(root / "current") == "releases/1.0"
            assert other.heartbeat({"version": "1.0"})["update"] is None  # waits for the pilot

            # A quiet moment: the switch, a restart on 2.0, confirmed.
            (root / "busy").unlink()
            until(lambda: row(PILOT)["update"]["state"] == "confirmed"
                  and row(PILOT)["version"] == "2.0", INSTALL_GUARD, "pilot confirmed on 2.0",
                  supervisor)
            assert [(r.version, r.returncode) for r in supervisor.runs[:1]] == [("1.0", 75)]
            assert os.readlink(root / "current") == "releases/2.0"
            assert other.heartbeat({"version": "1.0"})["update"]["version"] == "2.0"
            assert row(OTHER)["update"]["target_version"] == "2.0"

            # A broken build (hangs before its first frame and heartbeat): rolled back.
            server.manage("release", "site", "paris-19", "3.0", "--pilot", PILOT)
            started = time.monotonic()
            until(lambda: row(PILOT)["update"]["state"] == "rolled_back", INSTALL_GUARD,
                  "3.0 rolled back by itself", supervisor)
            rollback_seconds = time.monotonic() - started
            runs = [(r.version, r.returncode) for r in supervisor.runs]
            assert ("3.0", 76) in runs, runs  # it missed its deadline
            assert os.readlink(root / "current") == "releases/2.0"
            until(lambda: supervisor.runs[-1].version == "2.0", INSTALL_GUARD, "2.0 runs again",
                  supervisor)
            assert row(PILOT)["version"] == "2.0" and row(PILOT)["update"]["state_version"] == "3.0"
            # The site stays on 2.0: the pilot never confirmed 3.0.
            assert other.heartbeat({"version": "2.0"})["update"]["version"] == "2.0"
            print(f"broken build rolled back {rollback_seconds:.1f} s after the target changed")

            # A bundle signed with another key: refused, reported, nothing installed.
            server.manage("release", "kiosk", "paris-19", PILOT, "4.0")
            until(lambda: row(PILOT)["update"]["state"] == "bad_signature", INSTALL_GUARD,
                  "4.0 refused for its signature", supervisor)
            assert not (root / "releases" / "4.0").exists()
            assert os.readlink(root / "current") == "releases/2.0"
            assert row(PILOT)["version"] == "2.0"
            html = fleet.get(f"{server.url}/flotte/paris-19/", timeout=60).text
            assert "Refusée : signature invalide" in html
        finally:
            supervisor.stop()
