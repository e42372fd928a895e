"""The visitor's voice: how it went (five faces), shared by the kiosk and the server.

A face is a number from 1 (very unhappy) to 5 (very happy); each has a key (its words in
the catalogs: "voice.face.<key>") and a pictogram (assets/pictograms/src/face-<n>.svg).
`satisfaction` sums a set of answers the way the statistics show them: count, mean face,
and how many gave each face. Standard library only (kiosk/domain's rule).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

FACES = (1, 2, 3, 4, 5)
FACE_KEYS = {1: "very_bad", 2: "bad", 3: "neutral", 4: "good", 5: "very_good"}
# Colours of the faces on the kiosk's tiles (white pictogram on it, contrast >= 4.5:1).
FACE_COLORS = {1: "#A4262C", 2: "#A63C00", 3: "#5C5C5C", 4: "#2E6B30", 5: "#1D5E20"}
MAX_COMMENT = 500  # characters, once cleaned
MAX_QUESTION = 300
MAX_ANSWER = 1000
EDIT_MINUTES = 60  # a visitor may change their answer for this long after giving it


def pictogram(face: int) -> str:
    return f"face-{face}"


def is_face(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value in FACES


def kiosk_answer(face: int, pole: str, language: str, comment: str,
                 at: dt.datetime) -> dict[str, object]:
    """The body of a kiosk's POST /api/v1/feedback (its outbox row). The comment, trimmed and
    capped at MAX_COMMENT, only when there is one: a skipped comment sends what a kiosk
    without the comment step sent."""
    body: dict[str, object] = {"face": face, "language": language, "pole": pole or None,
                               "at": at.isoformat(timespec="seconds")}
    text = comment.strip()[:MAX_COMMENT].strip()
    if text:
        body["comment"] = text
    return body


def week_of(day: dt.date) -> dt.date:
    """The Monday of `day`'s ISO week (the statistics' unit)."""
    return day - dt.timedelta(days=day.weekday())


@dataclass
class Satisfaction:
    """How a group of answers went: `counts[f]` visitors gave face f."""

    counts: dict[int, int] = field(default_factory=lambda: dict.fromkeys(FACES, 0))

    def add(self, face: int) -> None:
        if is_face(face):
            self.counts[face] += 1

    @property
    def count(self) -> int:
        return sum(self.counts.values())

    @property
    def mean(self) -> float | None:
        total = self.count
        return sum(f * n for f, n in self.counts.items()) / total if total else None

    def share(self, face: int) -> float | None:
        """The part of the answers that gave `face` (0..1), None without answers."""
        total = self.count
        return self.counts[face] / total if total else None


def satisfaction(faces: Iterable[int]) -> Satisfaction:
    result = Satisfaction()
    for face in faces:
        result.add(face)
    return result
