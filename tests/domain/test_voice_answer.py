"""The body a kiosk queues for POST /api/v1/feedback (kiosk.domain.voice.kiosk_answer)."""

from __future__ import annotations

import datetime as dt

from kiosk.domain.voice import MAX_COMMENT, kiosk_answer

AT = dt.datetime(2026, 12, 6, 10, 30, 5, 123456, tzinfo=dt.UTC)


def test_a_face_alone_is_what_a_kiosk_without_the_comment_step_sent():
    assert kiosk_answer(4, "", "fr", "", AT) == {
        "face": 4, "language": "fr", "pole": None, "at": "2026-12-06T10:30:05+00:00"}
    assert "comment" not in kiosk_answer(2, "social", "ar", "   ", AT)  # only spaces: none
    assert kiosk_answer(2, "social", "ar", "", AT)["pole"] == "social"


def test_the_comment_is_trimmed_and_capped_as_the_server_does():
    assert kiosk_answer(1, "", "wo", "  trop d'attente ", AT)["comment"] == "trop d'attente"
    long = "a" * (MAX_COMMENT - 1) + " " + "b" * 10
    text = kiosk_answer(1, "", "fr", long, AT)["comment"]
    assert text == "a" * (MAX_COMMENT - 1)  # cut at the limit, no trailing space
    assert len(kiosk_answer(1, "", "fr", "é" * (MAX_COMMENT + 50), AT)["comment"]) == MAX_COMMENT
