"""`make demo LAN=1`: the address chosen, the server's settings and the terminal's output.
No test sends anything to a non-loopback address: detection gets its candidates injected."""

from __future__ import annotations

import importlib.util
import io
import subprocess
from pathlib import Path

import pytest

from kiosk.server.launcher import LocalServer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo():
    spec = importlib.util.spec_from_file_location("carrefour_demo", ROOT / "deploy/dev/demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def never(*_args):
    raise AssertionError("looked for a LAN address without being asked to")


def test_the_first_private_ipv4_address_is_chosen(demo):
    candidates = ["127.0.1.1", "169.254.7.7", "8.8.8.8", "fe80::1", "not-an-ip",
                  "192.168.1.20", "10.0.0.5"]
    assert demo.pick_lan_address(candidates) == "192.168.1.20"
    assert demo.pick_lan_address(["127.0.0.1", "203.0.113.9"]) is None
    assert demo.pick_lan_address([]) is None


@pytest.mark.parametrize("choice", [None, "", "0", "no", "off"])
def test_loopback_only_by_default(demo, choice):
    assert demo.lan_host(choice, sources=never, addresses=never) == ""


def test_lan_finds_the_routed_address_then_falls_back_to_the_machines_addresses(demo):
    assert demo.lan_host("1", sources=lambda: ["192.168.1.20"], addresses=never) == "192.168.1.20"
    assert demo.lan_host("yes", sources=lambda: ["127.0.0.1"],
                         addresses=lambda: ["172.17.0.1", "10.1.2.3"]) == "172.17.0.1"
    with pytest.raises(ValueError, match="no LAN address"):
        demo.lan_host("1", sources=lambda: [], addresses=lambda: ["127.0.0.1"])


def test_an_address_can_be_given(demo):
    assert demo.lan_host("10.0.0.5", sources=never, addresses=never) == "10.0.0.5"
    with pytest.raises(ValueError):
        demo.lan_host("my-laptop", sources=never, addresses=never)


def test_the_option_comes_from_make_or_the_command_line(demo):
    assert demo.parse_args([], environ={}).lan == ""
    assert demo.parse_args([], environ={"LAN": "1"}).lan == "1"  # make demo LAN=1
    assert demo.parse_args(["--lan"], environ={}).lan == "1"
    assert demo.parse_args(["--lan", "10.0.0.5"], environ={}).lan == "10.0.0.5"


def test_route_sources_sends_nothing_and_reads_the_source_address(demo):
    # A loopback probe: the same mechanism (UDP connect picks a route, no packet), on lo.
    assert demo.route_sources(("127.0.0.2",)) == ["127.0.0.1"]


def test_the_server_settings_for_the_lan(tmp_path):
    loopback = LocalServer(data_dir=tmp_path / "a", port=8000).env()
    assert loopback["ALLOWED_HOSTS"] == "127.0.0.1,localhost"
    assert loopback["PUBLIC_BASE_URL"] == ""
    lan = LocalServer(data_dir=tmp_path / "b", port=8000, lan_host="192.168.1.20")
    env = lan.env()
    assert env["ALLOWED_HOSTS"].split(",") == ["127.0.0.1", "localhost", "192.168.1.20"]
    assert env["PUBLIC_BASE_URL"] == "http://192.168.1.20:8000" == lan.public_url
    assert lan.url == "http://127.0.0.1:8000"  # the kiosk on this machine stays on loopback


def test_the_server_binds_loopback_and_the_lan_address(tmp_path, monkeypatch):
    commands = []

    class Recorder:
        def __init__(self, command, **_kwargs):
            commands.append(command)

    monkeypatch.setattr(subprocess, "Popen", Recorder)
    monkeypatch.setattr(LocalServer, "wait_ready", lambda self, timeout=30.0: None)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    LocalServer(data_dir=tmp_path / "a", port=8000).start()
    LocalServer(data_dir=tmp_path / "b", port=8000, lan_host="192.168.1.20").start()
    binds = [[c[i + 1] for i, arg in enumerate(c) if arg == "--bind"] for c in commands]
    assert binds == [["127.0.0.1:8000"], ["127.0.0.1:8000", "192.168.1.20:8000"]]


def test_the_terminal_shows_urls_logins_and_the_kiosks_own_lines(demo, tmp_path, capsys):
    data = {"site": {"id": "paris-19"},
            "agents": [{"username": "agent", "password": "carrefour-demo", "role": "agent"}]}
    table = demo.urls_table("http://192.168.1.20:8000", data)
    assert "http://192.168.1.20:8000/guichet/" in table and "agent / carrefour-demo" in table
    assert "127.0.0.1" not in table

    class Kiosk:
        stdout = io.StringIO("[DEBUG  ] [Starting new HTTP connection (1)] 127.0.0.1:8000\n"
                             "carrefour-kiosk: first frame after 1.2 s\n"
                             "[INFO   ] [Base] Start application main loop\n")

    log = tmp_path / "kiosk.log"
    demo.relay_kiosk_output(Kiosk, log)
    assert capsys.readouterr().out == "carrefour-kiosk: first frame after 1.2 s\n"
    assert "Starting new HTTP connection" in log.read_text()
