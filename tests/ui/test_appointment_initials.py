"""'J'ai un rendez-vous' without the code: the initials on the letter keyboard, then the
slot's time touched among the times around now, under Xvfb with real touches against the
real demo server (appointments booked on it as the code test does). Unknown initials
(404), initials two appointments share at that time (409) and the network down are each
said; the real initials give the appointment lane's ticket. Screenshots:
tests/artifacts/screenshots/appointment-{nocode,initials,time,initials-ticket}-{fr,ar}.png."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from kiosk.ui import i18n
from tests.ui.conftest import drive
from tests.ui.test_flows import write_flow_config

pytestmark = pytest.mark.ui

SERVICE = "conseil-habitat"
MARK = "UI-APPT-INITIALS "
UNKNOWN = "ZZ"  # nobody's initials in the demo, nor booked by a test


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogs():
    i18n.compile_all()  # the kiosk reads the .mo files: this screen's new words in them


@pytest.fixture
def run_initials(display, shots, tmp_path):
    def run(config: Path, *extra: str, scenario: str = "appointment_initials") -> dict:
        return drive("tests.ui.appointment_initials_driver", scenario, config,
                     tmp_path / f"{scenario}.json", shots, display, *extra)

    return run


def book_at_next_marks(server, *initials: str) -> str:
    """One appointment of the demo site per initials, all at the same start: the first
    5-minute mark 10 to 15 minutes from now (site time), as the kiosk offers its times.
    Returns that start, "HH:MM"."""
    who = ", ".join(repr(i) for i in initials)
    out = server.manage("shell", "-c", (
        "import datetime as dt; from django.utils import timezone; "
        "from kiosk.server.content.models import Service; "
        "from kiosk.server.appointments.services import Booking, save_booking; "
        f"s = Service.objects.filter(slug={SERVICE!r}).select_related('site').first(); "
        "t = timezone.localtime() + dt.timedelta(minutes=15); "
        "t = t.replace(minute=t.minute - t.minute % 5, second=0, microsecond=0); "
        f"[save_booking(s.site, Booking(s, t, 20, w), 'manual') for w in ({who},)]; "
        f"print({MARK!r} + t.strftime('%H:%M'))"))
    return next(line for line in out.splitlines() if line.startswith(MARK))[len(MARK):]


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_an_appointment_is_checked_in_by_initials_and_time(run_initials, server, tmp_path,
                                                           lang):
    config = write_flow_config(tmp_path / "kiosk.toml", server.url, server.kiosk_token,
                               tmp_path / "k")
    mine, shared = f"Q{lang[0].upper()}", f"W{lang[0].upper()}"
    # One call books the three at one start (two calls could fall on both sides of a mark).
    slot = book_at_next_marks(server, mine, shared, shared)
    result = run_initials(config, "--param", f"lang={lang}", "--param", f"initials={mine}",
                          "--param", f"shared={shared}", "--param", f"unknown={UNKNOWN}",
                          "--param", f"slot={slot}")
    tr = i18n.read_po(i18n.po_path(lang))
    # The way in, said and read aloud on the code step.
    assert result["nocode_label"] == tr["appt_no_code"]
    assert tr["appt_no_code"] in result["speech_code"]
    # Latin capitals in every language (the booking kept Latin initials), no space key.
    letters = {t[len("key-"):] for t in result["letter_keys"]} - {"space", "erase"}
    assert letters == set("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    assert result["space_key_hidden"] is True
    # Nothing typed: said at once, nothing sent.
    assert result["empty_error"] == tr["appt_initials_short"]
    assert result["step_after_empty"] == "initials"
    assert result["typed_five"] == "ABCD"  # four letters at most, as the server keeps
    assert tr["appt_initials_type"] in result["speech_initials"]
    assert "A B C D" in result["speech_initials"]  # read letter by letter
    # Arabic: the buttons row mirrored (next on the left of the typed letters).
    assert (result["next_x"] < result["initials_x"]) == (lang == "ar")
    # The times offered: 5-minute marks around now, the booked slot among them.
    times = [dt.datetime.strptime(t, "%H:%M") for t in result["times"]]
    assert slot in result["times"] and len(times) >= 10
    assert all(b - a == dt.timedelta(minutes=5) for a, b in zip(times, times[1:], strict=False))
    # 404, 409, the network down: each said, in the visitor's language.
    assert result["unknown_error"] == tr["appt_initials_unknown"]
    assert tr["appt_initials_unknown"] in result["speech_unknown"]
    assert result["after_back"] == {"initials": UNKNOWN, "slot": ""}
    assert result["several_error"] == tr["appt_several"]
    assert result["down_error"] == tr["appt_failed"]
    # What went to the server: initials and time, never a code.
    assert [(s["initials"], s["time"]) for s in result["sent"]] == [
        (UNKNOWN, slot), (shared, slot), (mine, slot), (mine, slot)]
    assert all("code" not in s and s["language"] == lang for s in result["sent"])
    # The real initials: a ticket of the appointment lane, with the slot's time.
    assert result["number"].startswith("R")
    assert result["slot_line"] == tr["appt_ticket_slot"].format(time=slot)
    assert result["slot_line"] in result["speech_ticket"]
    # Nothing of the initials stays on the kiosk, nor in its log.
    assert result["after_ticket"] == {"initials": "", "slot": "", "step": "code", "letters": ""}
    for text in (result["stdout"], result["stderr"]):
        assert f"'{mine}'" not in text and f'"{mine}"' not in text and f" {mine} " not in text


def test_the_new_steps_fit_in_every_language_and_mode(run_initials, server, tmp_path):
    from tests.ui.matrix_driver import LANGUAGES, MODES

    config = write_flow_config(tmp_path / "kiosk.toml", server.url, server.kiosk_token,
                               tmp_path / "k")
    result = run_initials(config, scenario="appointment_initials_layout")
    assert len(result["checked"]) == len(LANGUAGES) * len(MODES) * 3
    assert result["problems"] == {}, json.dumps(result["problems"], indent=1)
