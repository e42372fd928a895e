"""The carnet on the kiosk, under Xvfb with real touches against the real demo server: a
visitor ticks a document, types a carnet code on the keypad (a typo is refused before
anything is sent, a code the server does not know is said, with a way on), then a live
carnet's code; the ticket request carries the ticks and the code, the server links the
ticket to the carnet, the screen and the paper show the documents and the code.
Screenshots: tests/artifacts/screenshots/carnet-*-{fr,ar}.png (+ large text, contrast)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
import requests

from kiosk.devices.printer import printable_text
from kiosk.domain import carnet_code
from kiosk.ui import i18n
from tests.support.escpos import print_jobs
from tests.ui.conftest import REQUEST_TIMEOUT, drive
from tests.ui.test_flows import printer_section, write_flow_config

pytestmark = pytest.mark.ui

SERVICE = "conseil-habitat"  # four documents in the demo content, ticketing
MARK = "UI-CARNET "


@pytest.fixture
def run_carnet(display, shots, tmp_path):
    """The carnet scenario (tests/ui/carnet_driver.py) in its own kiosk process."""
    def run(config: Path, *extra: str) -> dict:
        out = tmp_path / "carnet.json"
        result = drive("tests.ui.carnet_driver", "carnet", config, out, shots, display, *extra)
        return result

    return run


def api(server, method: str, path: str, **kw) -> requests.Response:
    return requests.request(method, f"{server.url}/api/v1{path}", timeout=REQUEST_TIMEOUT,
                            headers={"Authorization": f"Bearer {server.kiosk_token}",
                                     **kw.pop("headers", {})}, **kw)


def live_carnet(server) -> str:
    """A carnet kept by an earlier visitor: a ticket, then "keep my carnet" on the server."""
    answer = api(server, "POST", "/tickets", json={"service": SERVICE, "language": "fr"},
                 headers={"Idempotency-Key": str(uuid.uuid4())})
    assert answer.status_code in (200, 201), answer.text
    out = server.manage("shell", "-c", (
        "from kiosk.server.carnet.services import folder_for, keep_carnet; "
        "from kiosk.server.queueing.models import Ticket; "
        f"t = Ticket.objects.get(public_token={answer.json()['id']!r}); "
        f"print({MARK!r} + keep_carnet(folder_for(t)).code)"))
    return next(line for line in out.splitlines() if line.startswith(MARK))[len(MARK):]


def unknown_code(known: str) -> str:
    while (code := carnet_code.mint()) == known:
        pass
    return code


def mistyped(code: str) -> str:
    return code[:-1] + str((int(code[-1]) + 1) % 10)


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_ticks_and_a_carnet_code_travel_with_the_ticket(run_carnet, server, tmp_path, lang):
    printed = tmp_path / "printer.bin"
    config = write_flow_config(tmp_path / "kiosk.toml", server.url, server.kiosk_token,
                               tmp_path / "k", extra=printer_section(printed))
    known = live_carnet(server)
    result = run_carnet(config, "--param", f"service={SERVICE}",
                       "--param", f"lang={lang}", "--param", f"code={known}",
                       "--param", f"typo={mistyped(known)}",
                       "--param", f"unknown={unknown_code(known)}",
                       *(["--param", "a11y=1"] if lang == "fr" else ["--param", "offline=1"]))
    tr = i18n.read_po(i18n.po_path(lang))
    shown = carnet_code.display(known).replace(" ", "\u00a0")
    assert result["carnet_button"] == tr["carnet_have"]
    assert result["plus_key_hidden"] is True
    # A typo is caught on the kiosk: said at once, nothing asked of the server.
    assert result["typo_error"] == tr["carnet_error_typo"] and result["checks_after_typo"] == 0
    # The server does not know this one: said, and the visitor can go on without.
    assert result["unknown_error"] == tr["carnet_unknown"]
    assert result["unknown_screen"] == "carnet" and tr["carnet_skip"] in result["speech_unknown"]
    # The live one: back on the service, its button shows the code.
    assert result["checks"] == 2
    assert result["carnet_button_after"] == tr["carnet_attached"].format(code=shown)
    # The request carried the checklist as shown (first line ticked) and the code.
    assert result["state"] == "ready"
    (payload,) = result["sent"]
    documents = payload["documents"]
    assert len(documents) == 4 and [d["have"] for d in documents] == [True, False, False, False]
    assert documents[0]["doc"] == "id_card" and documents[0]["text"]["fr"]
    assert payload["carnet"] == known
    # The server kept them and linked the ticket to the carnet.
    ticket = api(server, "GET", f"/tickets/{result['ticket']['id']}").json()
    assert ticket["carnet_linked"] is True and ticket["carnet_code"] == known
    assert [d["have"] for d in ticket["documents"]] == [True, False, False, False]
    # The screen says it, in the visitor's language; the kiosk forgot the code.
    assert result["documents_line"].startswith(
        tr["ticket_documents"].format(have=1, total=4))
    assert result["carnet_line"] == tr["ticket_carnet_joined"].format(code=shown)
    assert result["carnet_line"] in result["speech_ticket"]
    assert result["draft_after"] is None
    # The paper: each document's pictogram row (GS v 0) and name, then the carnet code.
    data, *later = print_jobs(printed.read_bytes())  # the online ticket, then any other
    assert data.count(b"\x1dv0\x00") == 4
    assert "Code carnet : ".encode("cp858") + carnet_code.display(known).encode() in data
    assert "rejoint votre carnet".encode("cp858") in data.replace(b"\n", b" ")
    names = [d["text"]["fr"] for d in documents]
    assert printable_text(names[1]).encode("cp858")[:12] in data
    if lang != "fr":  # offline (the Arabic run): the ticks and the code wait in the outbox
        offline = result["offline_visit"]
        assert offline["carnet_button"] == tr["carnet_attached"].format(code=shown)
        assert offline["state"] == "ready" and offline["ticket"]["offline"] is True
        assert offline["documents_line"].startswith(
            tr["ticket_documents"].format(have=1, total=4))
        # The typed code joins once the server has the ticket: said so (not "joined").
        assert offline["carnet_line"] == tr["ticket_carnet_later"].format(code=shown)
        assert offline["carnet_line"] in offline["speech_ticket"]
        waiting = json.dumps(offline["payload"])
        assert known in waiting and '"have": false' in waiting and '"have": true' in waiting
        uploaded = api(server, "GET", f"/tickets/{offline['answer']['id']}").json()
        assert uploaded["number"] == offline["number"] and uploaded["carnet_linked"] is True
        assert [d["have"] for d in uploaded["documents"]] == [False, True, False, False]
        # On paper: the visitor's own code, "will be linked" (not a second code of its own).
        paper = later[0].replace(b"\n", b" ")
        assert paper.count(b"\x1dv0\x00") == 4
        assert "Code carnet : ".encode("cp858") + carnet_code.display(known).encode() in paper
        assert "sera relié à ce ticket".encode("cp858") in paper
    if lang == "fr":  # large text and high contrast: every target still big enough
        small = [t for t in result["a11y_targets"]
                 if min(t["width"], t["height"]) < result["min_target"]]
        assert result["a11y_targets"] and small == [], json.dumps(small)
