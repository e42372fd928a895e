"""Visitors who cannot read (issue 13): under Xvfb with real touches against the demo server.

- while the kiosk speaks, "Écouter" pulses and turns into "Arrêter"; a tap stops it;
- "Écouter" without a voice (Wolof without a recording; speech off) shows a pulsing
  "no voice" pictogram and a big "call an agent" button, the words only as a caption;
- a visitor who used read-aloud: their ticket says so to the agent (help_reading);
- the idle warning chimes (no sound device: no chime, no crash) and draws its countdown.
Screenshots: tests/artifacts/screenshots/reading-{speaking,no-voice,idle}-{fr,ar,wo}.png
"""

from __future__ import annotations

import json
import wave
from pathlib import Path

import pytest

from tests.ui.conftest import drive
from tests.ui.test_flows import service, write_flow_config

pytestmark = pytest.mark.ui
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def reading(display, shots, server, tmp_path):
    target = service("naissance")
    # The configured speaker of a kiosk without a sound device: its player cannot start.
    config = write_flow_config(
        tmp_path / "kiosk.toml", server.url, server.kiosk_token, tmp_path / "k",
        extra="").read_text(encoding="utf-8").replace(
        "[speech]\nenabled = false\n",
        f'[speech]\nmode = "file"\noutput_dir = "{tmp_path / "speech"}"\n'
        'player = "/nonexistent/aplay -q"\n')
    (tmp_path / "speech").mkdir()
    (tmp_path / "kiosk.toml").write_text(config, encoding="utf-8")
    out = tmp_path / "reading.json"
    result = drive("tests.ui.reading_driver", "reading", tmp_path / "kiosk.toml", out, shots,
                   display, "--param", f"service={target['id']}",
                   "--param", f"pole={target['pole']}")
    result["data_dir"] = str(tmp_path / "k")
    return result


def help_reading_of(server, number: str) -> list:
    out = server.manage("shell", "-c", (
        "import json; from django.utils import timezone; "
        "from kiosk.server.queueing.models import Ticket; "
        "print(json.dumps([t.help_reading for t in Ticket.objects.filter("
        "service__slug='naissance', day=timezone.localdate()) if t.display == "
        + repr(number) + "]))"))
    return json.loads(out.strip().splitlines()[-1])


def test_reading_help_for_visitors_who_cannot_read(reading, server):
    r = reading
    # Speaking: one say() in the page's language, the button pulses and offers to stop.
    for lang in ("fr", "ar"):
        assert [c[2] for c in r[f"{lang}_said"]] == [lang]
        button = r[f"{lang}_speaking_button"]
        assert button["speaking"] is True and button["image"] == "speaker-stop.png"
        assert r[f"{lang}_pulse_seen"][0] != r[f"{lang}_pulse_seen"][1]
        # The tap on "stop" stopped it and did not read again.
        assert ["stop"] in r[f"{lang}_after_stop_calls"]
        assert not [c for c in r[f"{lang}_after_stop_calls"] if c[0] == "say"]
        for key in ("after_stop_button", "after_end_button"):
            assert r[f"{lang}_{key}"]["speaking"] is False
            assert r[f"{lang}_{key}"]["image"] == "speaker.png"
    assert r["fr_speaking_button"]["label"] == "Arrêter"
    assert r["fr_after_end_button"]["label"] == "Écouter"
    assert r["ar_speaking_button"]["label"] not in ("Arrêter", "Stop")
    # Help reading: asked by read-aloud, carried by the next ticket only.
    assert r["help_before"] is False and r["help_after_reading"] is True
    assert r["help_after_ticket"] is False
    assert help_reading_of(server, r["ticket_helped"]) == [True]
    assert help_reading_of(server, r["ticket_plain"]) == [False]
    # No voice: the pictogram and an agent, never a written notice.
    for lang in ("wo", "ar"):
        assert r[f"{lang}_no_voice_picture"] == "speaker-none.png"
        assert r[f"{lang}_notices"] == ""
        buttons = r[f"{lang}_no_voice_buttons"]
        assert buttons["call_image"] and buttons["close_image"]
        assert buttons["call_height"] >= 88
    assert r["wo_no_voice_caption"].startswith("Amagul baat")
    assert r["wo_no_voice_buttons"]["call_x"] < r["wo_no_voice_buttons"]["close_x"]
    assert r["ar_no_voice_buttons"]["call_x"] > r["ar_no_voice_buttons"]["close_x"]  # mirrored
    assert r["after_call_screen"] == "assist" and r["after_call_view"] is False
    # The idle warning: a drawn ring counting down; the chime where a player can play it.
    for lang in ("fr", "ar"):
        idle = r[f"idle_{lang}"]
        assert idle["total"] == 12.0 and idle["remaining"] < idle["first"] <= 12.0
        assert idle["ring"] == str(idle["seconds"]) and 0 < idle["seconds"] <= 12
        assert idle["more_image"]
    assert r["language_after_gc"] == "fr"  # the kept windows survived a garbage collection
    assert r["idle_fr"]["chimes"] == 0  # no sound device: no chime, the kiosk goes on
    assert r["idle_ar"]["chimes"] == 1
    chime = Path(r["data_dir"]) / "sounds" / "chime.wav"
    assert r["chime_calls"][0] == ["say_file", str(chime)]
    with wave.open(str(chime)) as sound:
        assert 0.3 < sound.getnframes() / sound.getframerate() < 1.0
    assert r["after_reset"] == {"language": "fr", "help": False, "dialog": False}
