"""'J'ai un rendez-vous' on the kiosk, under Xvfb with real touches against the real demo
server: an appointment booked on the server (in 30 min), its code typed on the keypad (a
short code is refused before anything is sent, an unknown one is said), then the ticket
screen with the appointment lane's number and the slot. Screenshots:
tests/artifacts/screenshots/appointment-*-{fr,ar}.png."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.ui import i18n
from tests.ui.conftest import drive
from tests.ui.test_flows import write_flow_config

pytestmark = pytest.mark.ui

SERVICE = "conseil-habitat"
MARK = "UI-APPT "


@pytest.fixture
def run_appointment(display, shots, tmp_path):
    def run(config: Path, *extra: str, scenario: str = "appointment") -> dict:
        out = tmp_path / f"{scenario}.json"
        result = drive("tests.ui.appointment_driver", scenario, config, out, shots, display, *extra)
        return result

    return run


def book(server, minutes: int) -> tuple[str, str, str]:
    """An appointment of the demo site in `minutes`: (code, HH:MM, an unused code)."""
    out = server.manage("shell", "-c", (
        "import datetime as dt; from django.utils import timezone; "
        "from kiosk.server.content.models import Service; "
        "from kiosk.server.appointments.services import Booking, save_booking; "
        "from kiosk.domain.appointments import mint_code; "
        f"s = Service.objects.filter(slug={SERVICE!r}).select_related('site').first(); "
        f"a, _ = save_booking(s.site, Booking(s, timezone.localtime() + dt.timedelta(minutes={minutes}), "
        "20, 'AB'), 'manual'); "
        f"print({MARK!r} + a.code + ' ' + a.start.strftime('%H:%M') + ' ' + mint_code({{a.code}}))"))
    line = next(line for line in out.splitlines() if line.startswith(MARK))[len(MARK):]
    code, slot, unknown = line.split()
    return code, slot, unknown


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_an_appointment_is_checked_in_by_its_code(run_appointment, server, tmp_path, lang):
    config = write_flow_config(tmp_path / "kiosk.toml", server.url, server.kiosk_token,
                               tmp_path / "k")
    code, slot, unknown = book(server, 30)
    result = run_appointment(config, "--param", f"lang={lang}", "--param", f"code={code}",
                             "--param", f"unknown={code[:3]}{unknown[3:]}")
    tr = i18n.read_po(i18n.po_path(lang))
    assert result["entry_label"] == tr["appt_entry"]
    assert result["plus_key_hidden"] is True
    # Too short: said at once, nothing sent.
    assert result["short_error"] == tr["appt_error_short"] and result["sent_after_short"] == 0
    # Unknown to the server: said, in the visitor's language, and read aloud.
    assert result["unknown_error"] == tr["appt_unknown"]
    assert tr["appt_unknown"] in result["speech_unknown"]
    # Arabic: the keypad on the left, the words on the right.
    assert (result["pad_x"] < result["form_x"]) == (lang == "ar")
    # The real code: a ticket of the appointment lane, with the slot's time.
    assert [s["code"] for s in result["sent"]] == [f"{code[:3]}{unknown[3:]}", code]
    assert result["number"].startswith("R")
    assert result["slot_line"] == tr["appt_ticket_slot"].format(time=slot)
    assert result["slot_line"] in result["speech_ticket"]
    assert result["has_qr"] is True
    assert result["keypad_after"] == ""  # nothing of the code stays on the kiosk


def test_the_new_screens_fit_in_every_language_and_mode(run_appointment, server, tmp_path):
    from tests.ui.matrix_driver import LANGUAGES, MODES

    config = write_flow_config(tmp_path / "kiosk.toml", server.url, server.kiosk_token,
                               tmp_path / "k")
    result = run_appointment(config, scenario="appointment_layout")
    assert len(result["checked"]) == len(LANGUAGES) * len(MODES)
    assert result["problems"] == {}, json.dumps(result["problems"], indent=1)
