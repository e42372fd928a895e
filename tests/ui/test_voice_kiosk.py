""""Donner mon avis" on the kiosk, under Xvfb with real touches against the real demo server:
the five faces (large, with their words, read aloud), an optional pole, then an optional word
typed on the kiosk's letter keyboard (its notice: no name, phone or address), sent through the
outbox to POST /api/v1/feedback (with the network cut: thanked at once, uploaded once the link
returns) and stored on the server, the word waiting for a moderator; then in Arabic, mirrored,
the word step skipped; then in Chinese (no keyboard), the face sent at once; a word left
typed is wiped by the idle reset.
Screenshots: tests/artifacts/screenshots/voice-kiosk-{feedback,comment,thanks}-{fr,ar}.png."""

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


def stored(server, ids: list[int]) -> list[list]:
    """The answers as the server's database has them, with their comment, if any."""
    return json.loads(server.manage("shell", "-c", (
        "import json; from kiosk.server.voice.models import Feedback, Remark; "
        f"rows = Feedback.objects.filter(pk__in={ids!r}).order_by('pk'); "
        "r = lambda f: Remark.objects.filter(feedback=f).first(); "
        "print(json.dumps([[f.face, f.language, f.via, f.pole.slug if f.pole else None, "
        "f.ticket_id, [r(f).text, r(f).status, r(f).published, r(f).via] if r(f) else None] "
        "for f in rows]))"), quiet=False).strip().splitlines()[-1])


def test_a_visitor_gives_their_opinion_at_the_kiosk(run_voice, server, shots, tmp_path):
    config = write_flow_config(tmp_path / "kiosk.toml", server.url, server.kiosk_token,
                               tmp_path / "k")
    result = run_voice(config)
    assert result["entry_label"] == "Donner mon avis" and result["entry_label_ar"] == "أبدِ رأيك"
    for lang, face, labels in (("fr", 4, ["Très mal", "Mal", "Moyen", "Bien", "Très bien"]),
                               ("ar", 2, ["سيئة جدًا", "سيئة", "متوسطة", "جيدة", "جيدة جدًا"]),
                               ("zh", 5, ["很差", "差", "一般", "好", "很好"])):
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
    assert result["fr_thanks"] == "Merci pour votre avis\u00a0!"
    assert result["ar_thanks"] == "شكرًا على رأيك!"
    assert result["fr_next_label"] == "Continuer" and result["zh_next_label"] == "提交评价"

    # The word step: its title and notice in the visitor's language, the keyboard's word
    # shown as typed, "Envoyer" only once something is typed, large keys and buttons.
    for lang, title, notice, typed in (
            ("fr", "Ajouter un mot (facultatif)", "N'écrivez ni nom, ni téléphone, ni adresse.",
             "trop d'attente"),
            ("ar", "أضف كلمة (اختياري)", "لا تكتب اسمًا ولا رقم هاتف ولا عنوانًا.", "شكرا")):
        assert result[f"{lang}_title"] == title and result[f"{lang}_notice"] == notice
        assert result[f"{lang}_typed"] == typed
        assert result[f"{lang}_comment_send_disabled_before"] is True
        assert result[f"{lang}_comment_send_disabled_after"] is False
        assert notice in result[f"{lang}_comment_speech"]  # read aloud
        tids = {t["tid"] for t in result[f"{lang}_comment_targets"]}
        assert {"feedback-skip", "feedback-send", "key-space", "key-erase"} <= tids
        for target in result[f"{lang}_comment_targets"]:
            assert min(target["width"], target["height"]) >= result["min_target"] - 1, target
        assert result[f"{lang}_typed_after"] == ""  # nothing left on screen once sent
        assert (shots / f"voice-kiosk-comment-{lang}.png").stat().st_size > 10_000
    assert "key-ش" in {t["tid"] for t in result["ar_comment_targets"]}  # the Arabic keyboard
    fr_x, ar_x = result["fr_comment_x"], result["ar_comment_x"]
    assert fr_x["feedback-skip"] < fr_x["feedback-send"]  # French: "Envoyer" on the right
    assert ar_x["feedback-skip"] > ar_x["feedback-send"]  # Arabic: mirrored
    # Typed and sent offline: thanked at once, the upload waited for the link.
    assert result["fr_offline_status"] != "sent"
    assert result["fr_payload"]["comment"] == "trop d'attente"
    assert "comment" not in result["ar_payload"]  # "Passer": the typed word is not sent
    assert "comment" not in result["zh_payload"]
    assert result["zh_screen"] == "feedback" and result["fr_back_to"] == "home"
    assert "trop d'attente" not in result["stdout"] + result["stderr"]  # never logged
    assert result["idle_typed_before"] == "abc"
    assert result["idle_typed_after"] == ["", "", "", 0]  # nothing left for the next visitor

    # On the server: three answers of this kiosk, no ticket, the pole when one was picked,
    # the French word waiting for a moderator as a phone page's comment does.
    ids = [result[f"{lang}_answer"]["id"] for lang in ("fr", "ar", "zh")]
    assert stored(server, ids) == [
        [4, "fr", "kiosk", result["fr_payload"]["pole"], None,
         ["trop d'attente", "pending", False, "kiosk"]],
        [2, "ar", "kiosk", None, None, None],
        [5, "zh", "kiosk", None, None, None]]
