"""The kiosk under Xvfb: home with the 19e's poles, a ticket taken with real touches, offline start."""

from __future__ import annotations

import re
import socket

import pytest
import requests
from PIL import Image

from kiosk.domain.documents import resolve
from kiosk.localstore import LocalStore
from kiosk.sync.engine import SyncEngine
from kiosk.sync.transport import Transport
from tests.conftest import demo_data
from tests.ui.conftest import write_config

pytestmark = pytest.mark.ui


def demo_poles() -> list[dict]:
    return sorted(demo_data()["poles"], key=lambda p: p["order"])


def first_ticketing_service(pole: str) -> dict:
    services = [s for s in demo_data()["services"] if s["pole"] == pole and s.get("ticketing", True)]
    return sorted(services, key=lambda s: s["order"])[0]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pixels_of(path: str, hex_color: str) -> int:
    rgb = tuple(int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    with Image.open(path) as img:
        return sum(count for count, colour in img.convert("RGB").getcolors(1 << 20) if colour == rgb)


def test_home_shows_the_poles_as_pictogram_tiles(run_kiosk, server, tmp_path):
    config = write_config(tmp_path / "kiosk.toml", server.url, server.kiosk_token, tmp_path / "k")
    result = run_kiosk("home", config, "--wait-sync")
    poles = demo_poles()
    assert result["poles"] == [f"pole-{p['id']}" for p in poles]
    assert result["pole_labels"] == [p["name"]["fr"] for p in poles]
    assert all(result["pole_images"]), "every pole tile shows its pictogram"
    assert result["online"] is True and result["status_text"] == ""
    shot = result["screenshots"]["home"]
    with Image.open(shot) as img:
        assert img.size == (1280, 800)
    for pole in poles:  # each tile is drawn in its pole's colour, over a real area
        assert pixels_of(shot, pole["color"]) > 20_000, pole["id"]
    assert re.search(r"first frame after \d+\.\d+ s", result["stdout"])


def test_a_visitor_takes_a_ticket_with_touches(run_kiosk, server, tmp_path):
    pole = demo_poles()[0]["id"]
    service = first_ticketing_service(pole)
    config = write_config(tmp_path / "kiosk.toml", server.url, server.kiosk_token, tmp_path / "k")
    result = run_kiosk("ticket", config, "--pole", pole, "--service", service["id"],
                       "--prefix", "flow-")
    expected_services = sorted((s for s in demo_data()["services"] if s["pole"] == pole),
                               key=lambda s: s["order"])
    assert result["services"] == [f"service-{s['id']}" for s in expected_services]
    assert result["service_place"] == service["place"]["fr"]
    assert [d.lstrip("• ").strip() for d in result["service_documents"]] == [
        resolve(d).shown()["fr"] for d in service["documents"]  # keys read as their names
    ]
    assert result["ticket_state"] == "ready", result["message_shown"]
    number = result["number_shown"]
    assert re.fullmatch(rf"{service['prefix']}\d{{3}}", number)
    assert result["qr_size"] and result["qr_size"][0] >= 21
    # What the screen says is what the server's answer means (kiosk.domain.wait), in the
    # French catalog's words.
    from kiosk.domain.wait import shown_from_wire, wait_words
    from kiosk.ui import i18n

    key, fields = wait_words(shown_from_wire(result["ticket"]))
    assert result["wait_shown"] == i18n.read_po(i18n.po_path("fr"))[key].format(**fields)
    # The number on the screen is the server's ticket, and the QR points at its phone page.
    ticket_id = result["ticket"]["id"]
    answer = requests.get(f"{server.url}/api/v1/tickets/{ticket_id}",
                          headers={"Authorization": f"Bearer {server.kiosk_token}"}, timeout=30)
    assert answer.status_code == 200
    assert answer.json()["number"] == number
    page = requests.get(result["ticket"]["phone_url"], timeout=30)
    assert page.status_code == 200 and number in page.text
    assert result["back_home"] is True


def test_the_kiosk_starts_offline_on_the_last_synced_content(run_kiosk, server, tmp_path):
    data_dir = tmp_path / "k"
    store = LocalStore(data_dir / "kiosk.sqlite3")
    try:
        SyncEngine(store, Transport(server.url, server.kiosk_token)).sync_once()
        assert len(store.poles()) == len(demo_poles())
    finally:
        store.close()
    down = f"http://127.0.0.1:{closed_port()}"
    config = write_config(tmp_path / "kiosk.toml", down, server.kiosk_token, data_dir)
    result = run_kiosk("home", config, "--wait-sync", "--prefix", "offline-")
    assert result["poles"] == [f"pole-{p['id']}" for p in demo_poles()]
    assert result["online"] is False
    assert "Hors connexion" in result["status_text"]


def test_escape_and_window_close_do_nothing_outside_dev_mode(run_kiosk, server, tmp_path):
    config = write_config(tmp_path / "kiosk.toml", server.url, server.kiosk_token, tmp_path / "k",
                          dev=False)
    result = run_kiosk("escape", config, "--wait-sync")
    assert result["escape_swallowed"] is True
    assert result["close_refused"] is True
    assert result["still_running"] is True
    # A kiosk in production logs no line per HTTP request of its sync (urllib3's DEBUG lines
    # filled the journal); it did sync (--wait-sync), and its log is there (Kivy's INFO).
    assert "Start application main loop" in result["stderr"], result["stderr"][-3000:]
    assert "Starting new HTTP connection" not in result["stderr"]
    assert 'HTTP/1.1" 200' not in result["stderr"]
    # A content change handed over by the sync thread in its last frame (the scenario's end)
    # is dropped, not run on an app Kivy had let go (a traceback in a stop racing a sync).
    assert "Traceback" not in result["stderr"], result["stderr"][-3000:]


def test_the_agents_exit_asks_its_pin_in_one_kept_dialog(run_kiosk, server, tmp_path):
    """The hidden gesture opens the PIN dialog; a wrong PIN is refused; the dialog comes back
    the same (made once: no widget dropped under its kv rules) and empty; the right PIN stops
    the kiosk. The gesture's 3 s window is widened: taps through the test's input pipeline
    take frames, and the window would make the test depend on the machine's speed."""
    from kiosk.devices.exit_gesture import pin_hash

    config = write_config(tmp_path / "kiosk.toml", server.url, server.kiosk_token, tmp_path / "k",
                          dev=False)
    with open(config, "a", encoding="utf-8") as out:
        out.write(f'\n[agent_exit]\npin_sha256 = "{pin_hash("2468")}"\n'
                  "window_seconds = 3600.0\n")
    result = run_kiosk("agent_exit", config, "--param", "wrong=1357", "--param", "right=2468")
    assert result["wrong_message"] == "PIN ?"
    assert result["running_after_cancel"] is True
    assert result["same_dialog"] is True
    assert result["typed_when_reopened"] == "" and result["message_when_reopened"] == ""
    assert result["stopped_by_pin"] is True


def test_the_render_checks_find_low_contrast_and_missing_glyphs(run_kiosk, server, tmp_path):
    """The checks the layout matrix runs on every case (tests/ui/render_check.py) can fail."""
    config = write_config(tmp_path / "kiosk.toml", server.url, server.kiosk_token, tmp_path / "k")
    result = run_kiosk("render_check", config)
    assert result["clean"] == []
    found = "\n".join(result["found"])
    assert "low contrast: probe-invisible #FFFFFF on #FFFFFF 1.0:1" in found
    assert "low contrast: probe-ghost" in found
    assert "missing glyph: probe-arrow U+2193 not in NotoSans-Regular.ttf" in found
    # (The probes cover a pole tile: its caption, hidden under them, is found too.)
    assert len([f for f in result["found"] if "probe-" in f]) == 3, found
