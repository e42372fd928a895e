"""Offline tickets keep their promises, under Xvfb with real touches against the real demo
server: with the kiosk's network cut, a visitor takes a ticket with an SMS; the screen shows
the QR code (the kiosk's own token) and says truly what works when; the link answers "on
its way" until the upload; once the link returns, the ticket reaches the server with its
phone number (one SMS row), the kiosk forgets the number, and the page shows the ticket.
Screenshots: tests/artifacts/screenshots/offline-*-{fr,ar}.png."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.ui import i18n
from tests.ui.conftest import drive
from tests.ui.test_flows import printer_section, write_flow_config

pytestmark = pytest.mark.ui

SERVICE = "conseil-habitat"  # served by Guichet 5 (demo content)
TYPED = "0612345678"
E164 = "+33612345678"
MARK = "UI-OFFLINE "


@pytest.fixture
def run_offline(display, shots, tmp_path):
    def run(config: Path, *extra: str) -> dict:
        out = tmp_path / "offline.json"
        result = drive("tests.ui.offline_driver", "offline_promises", config, out, shots, display,
                       *extra)
        result["logs"] = result["stdout"] + result["stderr"]
        return result

    return run


def on_server(server, token: str) -> dict:
    """The uploaded ticket as the server's database has it: phone kept?, its SMS rows."""
    out = server.manage("shell", "-c", (
        "import json; from kiosk.server.queueing.models import Ticket; "
        f"t = Ticket.objects.get(public_token={token!r}); "
        f"print({MARK!r} + json.dumps(dict(phone=t.phone, offline=t.offline, "
        "sms=list(t.sms.values_list('kind', flat=True)))))"))
    return json.loads(next(line for line in out.splitlines() if line.startswith(MARK))[len(MARK):])


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_an_offline_ticket_shows_its_qr_and_true_texts_then_reaches_the_server(
        run_offline, server, tmp_path, lang):
    printed = tmp_path / "printer.bin"
    config = write_flow_config(tmp_path / "kiosk.toml", server.url, server.kiosk_token,
                               tmp_path / "k", extra=printer_section(printed))
    result = run_offline(config, "--param", f"service={SERVICE}", "--param", f"phone={TYPED}",
                         "--param", f"lang={lang}")
    tr = i18n.read_po(i18n.po_path(lang))
    assert result["state"] == "ready" and result["offline"] is True
    # The QR code is there, and it is the ticket's phone link (the kiosk's own token).
    token = result["phone_url"].rsplit("/t/", 1)[1]
    assert result["phone_url"] == f"{server.url}/t/{token}" and len(token) == 22
    assert result["qr_is_the_link"] and result["qr_box_opacity"] == 1
    assert result["qr_box_width"] > 100
    assert result["phone_url"].encode() in printed.read_bytes()  # on the paper too
    # True texts: offline, sent when possible, the SMS once the server has the ticket.
    before_time = tr["ticket_offline"].split("{time}")[0]
    assert result["message"].startswith(before_time)
    assert result["sms_line"].startswith(tr["ticket_sms_offline"].split("{phone}")[0])
    assert "••" in result["sms_line"] and E164[3:] not in result["sms_line"]
    assert result["wait_text"] == tr["wait_unknown_offline"]
    assert result["waitinfo_offline"] == tr["waitinfo_offline_sms"]
    assert result["link_before"] == [200, True]  # "on its way", not a 404
    assert result["outbox_has_phone"] is True
    # The link returned: uploaded with the number, which the kiosk no longer holds.
    assert "phone" not in result["payload_after"]
    assert result["link_after"] == [200, True, False]
    assert result["waitinfo_uploaded"] == tr["waitinfo_sms"]
    ticket = on_server(server, token)
    assert ticket["phone"] == E164 and ticket["offline"] is True
    assert ticket["sms"] in (["near"], [])  # "near" at once if due; else later, or "called"
    assert E164[3:] not in result["logs"] and TYPED not in result["logs"]  # never logged
