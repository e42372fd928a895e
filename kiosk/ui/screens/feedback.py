"""The visitor's voice at the kiosk: "Donner mon avis" on the home screen opens

    feedback: five faces (large, with their words, read aloud) ─▶ optional pole ─▶ send
            ─▶ "thank you" (and a QR code to the town hall's published answers)

Nothing personal is asked. The answer goes through the kiosk's outbox with an idempotency
key (kind "feedback", sent to POST /api/v1/feedback): never lost offline, sent once even
across restarts; `at` says when the visitor answered, for an upload that comes later.
"""

from __future__ import annotations

import datetime as dt

from kivy.properties import BooleanProperty, NumericProperty, StringProperty

import kiosk.ui.flow_widgets  # noqa: F401  (Panel, FlowFooter, IconButton)
from kiosk.domain.voice import FACES, pictogram
from kiosk.ui.keypad import Chip
from kiosk.ui.links import public_url
from kiosk.ui.qr import qr_texture
from kiosk.ui.screens.base import KioskScreen, load_kv
from kiosk.ui.widgets import discard_children

load_kv(__file__)


def face_labels(app) -> dict[int, str]:
    """The faces' words (literal keys: the catalogs' extractor sees them)."""
    return {1: app.tr("voice_face_very_bad"), 2: app.tr("voice_face_bad"),
            3: app.tr("voice_face_neutral"), 4: app.tr("voice_face_good"),
            5: app.tr("voice_face_very_good")}


def answers_url(app) -> str:
    site = getattr(app.settings, "site", "")
    return public_url(app, f"/avis/{site}/") if site else ""


class FeedbackScreen(KioskScreen):
    face = NumericProperty(0)  # 0: none chosen yet
    pole = StringProperty("")
    sent = BooleanProperty(False)
    last_item_id = None  # the outbox row of the last answer (tests)

    def open(self) -> None:
        """From the home screen's button."""
        self.show()
        self.app._go("feedback")

    def show(self) -> None:
        app = self.app
        self.face, self.pole, self.sent = 0, "", False
        labels = face_labels(app)
        faces = self.ids.faces
        discard_children(faces)
        for n in FACES:
            chip = Chip(tid=f"face-{n}", image=app.pictogram(pictogram(n)), label=labels[n])
            chip.bind(on_release=lambda _w, n=n: self.choose_face(n))
            faces.add_widget(chip)
        poles = self.ids.poles
        discard_children(poles)
        for pole in app.store.poles():
            chip = Chip(tid=f"pole-{pole.id}", image=app.pictogram(pole.pictogram),
                        label=pole.title(app.language))
            chip.bind(on_release=lambda _w, pid=pole.id: self.choose_pole(pid))
            poles.add_widget(chip)
        url = answers_url(app)
        self.ids.qr.texture = qr_texture(url) if url else None
        self.ids.qr_panel.opacity = 1 if url else 0

    def choose_face(self, n: int) -> None:
        self.face = n
        for chip in self.ids.faces.children:
            chip.selected = chip.tid == f"face-{n}"

    def choose_pole(self, pole_id: str) -> None:
        self.pole = "" if self.pole == pole_id else pole_id  # touch again: no pole
        for chip in self.ids.poles.children:
            chip.selected = chip.tid == f"pole-{self.pole}"

    def payload(self, now: dt.datetime | None = None) -> dict:
        now = now or dt.datetime.now(dt.UTC)
        return {"face": self.face, "language": self.app.language, "pole": self.pole or None,
                "at": now.isoformat(timespec="seconds")}

    def send(self) -> None:
        if not self.face or self.sent:
            return
        app = self.app
        self.last_item_id = app.store.enqueue("feedback", self.payload()).id
        app._wake_sync()
        self.sent = True

    def speech_text(self) -> str:
        app = self.app
        if self.sent:
            return app.tr("feedback_thanks")
        labels = face_labels(app)
        return ". ".join([app.tr("feedback_title"), app.tr("feedback_intro"),
                          *(labels[n] for n in FACES), app.tr("feedback_pole")])
