"""The visitor's voice at the kiosk: "Donner mon avis" on the home screen opens

    feedback: five faces (large, with their words, read aloud) ─▶ optional pole ─▶ continue
    feedback_comment: "Ajouter un mot (facultatif)" on the letter keyboard ─▶ skip or send
    feedback again: "thank you" (and a QR code to the town hall's published answers)

Nothing personal is asked (the comment step says so: no name, phone or address; the server
masks e-mail addresses and phone numbers and a moderator reads every comment). Chinese has
no keyboard here: its "continue" sends the face at once. The answer, comment included, goes
through the kiosk's outbox with an idempotency key (kind "feedback", sent to
POST /api/v1/feedback): never lost offline, sent once even across restarts; `at` says when
the visitor answered, for an upload that comes later. The comment is never logged.
"""

from __future__ import annotations

import datetime as dt

from kivy.properties import BooleanProperty, NumericProperty, StringProperty

import kiosk.ui.flow_widgets  # noqa: F401  (Panel, FlowFooter, IconButton)
from kiosk.domain.voice import FACES, MAX_COMMENT, kiosk_answer, pictogram
from kiosk.ui.keypad import Chip, layout_for
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
    keyboard_mode = BooleanProperty(True)  # False (Chinese): no comment step
    last_item_id = None  # the outbox row of the last answer (tests)

    def open(self) -> None:
        """From the home screen's button."""
        self.show()
        self.app._go("feedback")

    def show(self) -> None:
        app = self.app
        self.face, self.pole, self.sent = 0, "", False
        self.keyboard_mode = layout_for(app.language) is not None
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

    def payload(self, comment: str = "", now: dt.datetime | None = None) -> dict:
        return kiosk_answer(self.face, self.pole, self.app.language, comment,
                            now or dt.datetime.now(dt.UTC))

    def next(self) -> None:
        """On to the optional comment; without a keyboard (Chinese), send at once."""
        if not self.face or self.sent:
            return
        if not self.keyboard_mode:
            self.send()
            return
        app = self.app
        app.flow_screen("feedback_comment").show()
        app._go("feedback_comment")

    def send(self, comment: str = "") -> None:
        """Into the outbox (the comment step calls it too); thanks at once, online or not."""
        if not self.face or self.sent:
            return
        app = self.app
        self.last_item_id = app.store.enqueue("feedback", self.payload(comment)).id
        app._wake_sync()
        self.sent = True

    def wipe(self) -> None:
        """The idle reset: nothing of this visitor's answer stays (open() draws the faces
        and poles again, none selected)."""
        self.face, self.pole, self.sent = 0, "", False

    def speech_text(self) -> str:
        app = self.app
        if self.sent:
            return app.tr("feedback_thanks")
        labels = face_labels(app)
        return ". ".join([app.tr("feedback_title"), app.tr("feedback_intro"),
                          *(labels[n] for n in FACES), app.tr("feedback_pole")])


class FeedbackCommentScreen(KioskScreen):
    """The optional word, typed on the letter keyboard; "Passer" sends the face alone. Either
    way the faces' screen sends the answer and says thank you."""

    typed = StringProperty("")

    def on_kv_post(self, base_widget):
        self.ids.keyboard.max_length = MAX_COMMENT
        self.ids.keyboard.bind(text=lambda _k, text: setattr(self, "typed", text))
        self.on_typed()

    def on_typed(self, *_args) -> None:
        # Set here, as the proposal screen does: "Envoyer" only once a word is typed.
        self.ids.send.disabled = not self.typed.strip()
        self.ids.typed_scroll.scroll_y = 0  # the last words typed stay in sight

    def show(self) -> None:
        self.wipe()
        layout = layout_for(self.app.language)
        if layout is not None:
            self.ids.keyboard.layout = layout

    def skip(self) -> None:
        self._send("")

    def send(self) -> None:
        if self.typed.strip():
            self._send(self.typed)

    def _send(self, comment: str) -> None:
        app = self.app
        faces = app.screens["feedback"]
        faces.send(comment)
        self.wipe()  # the words are in the outbox: none left on this screen
        if app.history and app.history[-1][0] == "feedback":
            app.go_back()  # the thanks, on the faces' screen; "back" from there goes home
        else:
            app.root.current = "feedback"

    def wipe(self) -> None:
        self.ids.keyboard.clear()
        self.typed = ""

    def speech_text(self) -> str:
        app = self.app
        return ". ".join([app.tr("feedback_comment"), app.tr("feedback_comment_notice"),
                          self.typed])
