""""Donner mon avis" on the kiosk, under Xvfb with real touches against the real demo server:
the five faces (large, with their words, read aloud), an optional pole, sent through the
outbox to POST /api/v1/feedback and stored on the server; then in Arabic, mirrored.
Screenshots: tests/artifacts/screenshots/voice-kiosk-{feedback,thanks}-{fr,ar}.png."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.ui import theme
from tests.ui.conftest import drive
from tests.ui.test_flows import write_flow_config

pytestmark = pytest.mark.ui


@pytest.fixture
def run_voice(display, shots, tmp_path):
    def run(config: Path) -> dict:
        out = tmp_path / "feedback.json"
        result = drive("tests.ui.voice_driver", "feedback", config, out, shots, display)
        return result

    return run


def test_a_visitor_gives_their_opinion_at_the_kiosk(run_voice, server, shots, tmp_path):
    config = write_flow_config(tmp_path / "kiosk.toml", server.url, server.kiosk_token,
                               tmp_path / "k")
    result = run_voice(config)
    assert result["entry_label"] == "Donner mon avis" and result["entry_label_ar"] == "أبدِ رأيك"
    for lang, face, labels in (("fr", 4, ["Très mal", "Mal", "Moyen", "Bien", "Très bien"]),
                               ("ar", 2, ["سيئة جدًا", "سيئة", "متوسطة", "جيدة", "جيدة جدًا"])):
        assert result[f"{lang}_send_disabled_before"] is True  # no face yet: nothing to send
        assert sorted(result[f"{lang}_faces"]) == [f"face-{n}" for n in range(1, 6)]
        assert result[f"{lang}_face_labels"] == labels
        assert result[f"{lang}_selected"] == [f"face-{face}"]
        for target in result[f"{lang}_targets"]:  # large targets, even the poles
            assert min(target["width"], target["height"]) >= theme.MIN_TARGET_PX, target
        assert all(label in result[f"{lang}_speech"] for label in labels)  # read aloud
        assert result[f"{lang}_kind"] == "feedback"
        assert result[f"{lang}_payload"]["face"] == face
        assert result[f"{lang}_payload"]["language"] == lang
        assert result[f"{lang}_answer"]["face"] == face
        assert (shots / f"voice-kiosk-feedback-{lang}.png").stat().st_size > 10_000
    xs = result["fr_face_x"]
    assert xs == sorted(xs)  # French: very bad on the left ...
    assert result["ar_face_x"] == sorted(result["ar_face_x"], reverse=True)  # Arabic: mirrored
    assert result["fr_payload"]["pole"] == result["fr_poles"][0].removeprefix("pole-")
    assert result["ar_payload"]["pole"] is None
    assert result["fr_thanks"] == "Merci pour votre avis !"
    assert result["ar_thanks"] == "شكرًا على رأيك!"
    # On the server: two answers of this kiosk, no ticket, the pole when one was picked.
    ids = [result["fr_answer"]["id"], result["ar_answer"]["id"]]
    stored = json.loads(server.manage("shell", "-c", (
        "import json; from kiosk.server.voice.models import Feedback; "
        f"rows = Feedback.objects.filter(pk__in={ids!r}).order_by('pk'); "
        "print(json.dumps([[f.face, f.language, f.via, f.pole.slug if f.pole else None, "
        "f.ticket_id] for f in rows]))"), quiet=False).strip().splitlines()[-1])
    assert stored == [[4, "fr", "kiosk", result["fr_payload"]["pole"], None],
                      [2, "ar", "kiosk", None, None]]
