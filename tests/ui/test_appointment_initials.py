"""'J'ai un rendez-vous' without the code: the initials on the letter keyboard, then the
slot's time touched among the times the server lists (GET /api/v1/appointments/slots),
under Xvfb with real touches against the real demo server (appointments booked on it as
the code test does, at a time off the 5-minute marks). Unknown initials (404), initials two
appointments share at that time (409) and the network down (the 5-minute marks offered)
are each said; the real initials give the appointment lane's ticket. Screenshots:
tests/artifacts/screenshots/appointment-{nocode,initials,time,time-offline,initials-ticket}-
{fr,ar}.png, appointment-time-{layout,many,none}-*.png."""

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


# Minutes from now for the booked slot, in order of preference: a few minutes ahead (the
# lane's ticket, whatever the test's pace); just behind now (within the grace) only in the
# last minutes of the day (Paris), so that the slot is today's; never on a 5-minute mark.
OFFSETS = (7, 8, 6, 9, 4, 3, 2, 1, -1, -2, -3, -4)


def book_off_the_marks(server, *initials: str) -> str:
    """One appointment of the demo site per initials, all at the same start: today, a few
    minutes from now (site time), off the 5-minute marks (the kiosk's offline times could
    not offer it). Returns that start, "HH:MM"."""
    who = ", ".join(repr(i) for i in initials)
    out = server.manage("shell", "-c", (
        "import datetime as dt; from django.utils import timezone; "
        "from kiosk.server.content.models import Service; "
        "from kiosk.server.appointments.services import Booking, save_booking; "
        f"s = Service.objects.filter(slug={SERVICE!r}).select_related('site').first(); "
        "n = timezone.localtime().replace(second=0, microsecond=0); "
        f"t = next(m for m in (n + dt.timedelta(minutes=o) for o in {OFFSETS!r}) "
        "if m.date() == n.date() and m.minute % 5); "
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
    slot = book_off_the_marks(server, mine, shared, shared)
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
    # The times offered: exactly the server's, as large buttons; the booked slot among them,
    # off the 5-minute marks.
    assert int(slot[-2:]) % 5 != 0
    assert result["times_from"] == "server"
    assert result["times"] == result["server_times"] == sorted(set(result["times"]))
    assert result["buttons"] == result["times"] and slot in result["times"]
    # Offline: the 5-minute marks around now, with the usual words (nothing about the server).
    marks = [dt.datetime.strptime(t, "%H:%M") for t in result["down_times"]]
    assert result["down_from"] == "marks" and len(marks) >= 10 and slot not in result["down_times"]
    assert all(m.minute % 5 == 0 for m in marks)
    assert all(b - a == dt.timedelta(minutes=5) for a, b in zip(marks, marks[1:], strict=False))
    assert result["down_intro"] == tr["appt_time_type"]
    # 404, 409, the network down: each said, in the visitor's language.
    assert result["unknown_error"] == tr["appt_initials_unknown"]
    assert tr["appt_initials_unknown"] in result["speech_unknown"]
    assert result["after_back"] == {"initials": UNKNOWN, "slot": ""}
    assert result["several_error"] == tr["appt_several"]
    assert result["down_error"] == tr["appt_failed"]
    # What went to the server: initials and time, never a code.
    assert [(s["initials"], s["time"]) for s in result["sent"]] == [
        (UNKNOWN, slot), (shared, slot), (mine, result["down_sent"]), (mine, slot)]
    # Offline, one of the marks offered was sent (on the 5 minutes).
    assert dt.datetime.strptime(result["down_sent"], "%H:%M").minute % 5 == 0
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
    assert len(result["checked"]) == len(LANGUAGES) * len(MODES) * 4
    assert result["problems"] == {}, json.dumps(result["problems"], indent=1)
    for code in LANGUAGES:
        tr = i18n.read_po(i18n.po_path(code))
        # 18 of the server's times: all offered (the grid scrolls past three rows).
        many = result["many"][code]
        assert many["from"] == "server" and len(many["buttons"]) == 18
        # None around now: said, no button, nothing to send.
        none = result["none"][code]
        assert none["from"] == "none" and none["buttons"] == 0 and none["send_disabled"]
        assert none["intro"] == tr["appt_no_slot_now"] and tr["appt_no_slot_now"] in none["speech"]
