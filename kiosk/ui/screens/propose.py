"""A resident proposes a local offer at the kiosk, in two short steps:

    in the neighbourhood ─▶ "propose" (what: typed on the on-screen keyboard)
                          ─▶ details (kind of activity, when) ─▶ sent: "thank you"

Nothing personal is asked here (no name, no phone: the phone form behind the QR code takes
an optional contact with its consent). The proposal goes through the kiosk's outbox with
an idempotency key (sent once, even across restarts) and waits for a moderator: no kiosk
shows it before it is approved. Chinese has no keyboard here: the QR code leads to the
phone form, where the phone's own input method works.
"""

from __future__ import annotations

import datetime as dt

from kivy.properties import BooleanProperty, StringProperty

import kiosk.ui.flow_widgets  # noqa: F401  (Panel, FlowFooter, IconButton)
from kiosk.domain.clock import site_today
from kiosk.ui.keypad import Chip, layout_for
from kiosk.ui.links import public_url
from kiosk.ui.qr import qr_texture
from kiosk.ui.screens.base import KioskScreen, load_kv
from kiosk.ui.widgets import discard_children

load_kv(__file__)

CATEGORIES = (("association", "associations"), ("food", "offer-basket"), ("swap", "offer-swap"),
              ("help", "quartier"), ("event", "offer-event"), ("culture", "place-culture"),
              ("sport", "place-park"))
WHEN = ("none", "today", "tomorrow")
MIN_TITLE, MAX_TITLE = 3, 80


def propose_page_url(app) -> str:
    return public_url(app, "/proposer")


class ProposeScreen(KioskScreen):
    """Step 1: what is it? (a title, typed)."""

    typed = StringProperty("")
    keyboard_mode = BooleanProperty(True)

    def on_kv_post(self, base_widget):
        self.ids.keyboard.max_length = MAX_TITLE
        self.ids.keyboard.bind(text=lambda _k, text: setattr(self, "typed", text))
        self.on_typed()

    def on_typed(self, *_args) -> None:
        self.ids.next.disabled = not self.ready()

    def show(self) -> None:
        app = self.app
        layout = layout_for(app.language)
        self.keyboard_mode = layout is not None
        if layout is not None:
            self.ids.keyboard.layout = layout
        url = propose_page_url(app)
        self.ids.qr.texture = qr_texture(url) if url else None
        self.ids.qr_panel.opacity = 1 if url else 0

    def wipe(self) -> None:
        self.ids.keyboard.clear()
        self.typed = ""

    def ready(self) -> bool:
        return len(self.typed.strip()) >= MIN_TITLE

    def speech_text(self) -> str:
        app = self.app
        return ". ".join([app.tr("propose_entry"), app.tr("propose_intro"),
                          app.tr("propose_what"), self.typed])


class ProposeDetailsScreen(KioskScreen):
    """Step 2: which kind of activity, and when; then send."""

    category = StringProperty("")
    when = StringProperty("none")
    sent = BooleanProperty(False)

    def on_kv_post(self, base_widget):
        self.on_category()

    def on_category(self, *_args) -> None:
        self.ids.send.disabled = not self.category

    def show(self, title: str) -> None:
        self.title_text = title.strip()
        self.sent = False
        self.ids.what.text = self.title_text
        grid = self.ids.categories
        discard_children(grid)
        app = self.app
        for code, pictogram in CATEGORIES:
            chip = Chip(tid=f"category-{code}", image=app.pictogram(pictogram),
                        label=app.tr(f"category_{code}"), selected=code == self.category)
            chip.bind(on_release=lambda _w, c=code: self.choose(c))
            grid.add_widget(chip)

    def choose(self, code: str) -> None:
        self.category = code
        for chip in self.ids.categories.children:
            chip.selected = chip.tid == f"category-{code}"

    def payload(self, today: dt.date | None = None) -> dict:
        today = today or site_today()
        day = {"today": today, "tomorrow": today + dt.timedelta(days=1)}.get(self.when)
        return {"title": self.title_text, "category": self.category,
                "date": day.isoformat() if day else None, "description": "", "where": "",
                "contact": "", "contact_consent": False}

    def send(self) -> None:
        if not self.category or self.sent:
            return
        self.app.send_proposal(self.payload())
        self.sent = True

    def wipe(self) -> None:
        self.category = ""
        self.when = "none"
        self.sent = False
        self.title_text = ""

    def speech_text(self) -> str:
        app = self.app
        if self.sent:
            return app.tr("propose_thanks")
        return ". ".join([app.tr("propose_category"),
                          *(app.tr(f"category_{c}") for c, _ in CATEGORIES),
                          app.tr("propose_when")])
