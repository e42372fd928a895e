"""Search by keyword, with an on-screen keyboard for the visitor's script (AZERTY with the
letters of French, Wolof and Bambara; Arabic letters; QWERTY for English). In Chinese,
where typing needs an input method, the visitor touches topic chips (pictograms) instead.
Results are rows leading to the service or the life situation, or, for an envie of the
neighbourhood's offers ("jardin", "sport"; its pictogram among the chips), to those offers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kivy.properties import BooleanProperty, StringProperty

import kiosk.ui.flow_widgets  # noqa: F401  (IconButton)
from kiosk.domain.clock import site_today
from kiosk.domain.content import INTERESTS, current_offers, offer_interests
from kiosk.domain.languages import LANGUAGES
from kiosk.ui.keypad import Chip, layout_for
from kiosk.ui.screens.base import KioskScreen, load_kv
from kiosk.ui.searching import Hit, search
from kiosk.ui.strings import t
from kiosk.ui.widgets import Row, Text, discard_children

load_kv(__file__)

MAX_RESULTS = 12
OFFERS_COLOR = "#6B3F0B"  # the colour of "Dans le quartier"


@dataclass(frozen=True)
class InterestTopic:
    """An envie some current offer has, searchable by its name in every language."""

    id: str
    pictogram: str
    name: dict = field(default_factory=dict)


class SearchScreen(KioskScreen):
    query = StringProperty("")
    chips_mode = BooleanProperty(False)
    topic = StringProperty("")  # the chip touched, in chips mode

    def on_kv_post(self, base_widget):
        self.ids.keyboard.bind(text=self._typed)

    def _typed(self, _keyboard, text: str) -> None:
        self.query = text
        self.update_results()

    def show(self) -> None:
        app = self.app
        layout = layout_for(app.language)
        self.chips_mode = layout is None
        if layout is not None:
            self.ids.keyboard.layout = layout
        self.wipe()
        if self.chips_mode:
            self._build_chips()
        top = self.ids.top
        wanted = [self.ids.scroll, self.ids.query_box] if app.rtl else [self.ids.query_box, self.ids.scroll]
        if list(reversed(top.children)) != wanted:
            top.clear_widgets()
            for widget in wanted:
                top.add_widget(widget)

    def refresh(self) -> bool:
        if self.chips_mode:
            self._build_chips()
        self.update_results()
        return True

    def _items(self) -> list[tuple[str, Any]]:
        app = self.app
        return [("situation", s) for s in app.store.situations()] + [
            ("service", s) for s in app.store.services()
        ] + [("interest", t) for t in self._interests()]

    def _interests(self) -> list[InterestTopic]:
        """The envies of the offers not over yet (a word or a chip leads to those offers)."""
        app = self.app
        slugs = offer_interests(current_offers(app.store.offers(), site_today()))
        return [InterestTopic(slug, INTERESTS[slug][1],
                              {lang.code: t(f"interest_{slug}", lang.code)
                               for lang in LANGUAGES})
                for slug in slugs]

    def _build_chips(self) -> None:
        """One chip per pictogram topic, named after the first item that uses it."""
        app, grid = self.app, self.ids.chips
        discard_children(grid)
        seen: dict[str, str] = {}
        for _kind, item in self._items():
            slug = getattr(item, "pictogram", "")
            if slug and slug not in seen and app.pictogram(slug):
                seen[slug] = app.localized(item.name)
        for slug, label in seen.items():
            chip = Chip(tid=f"chip-{slug}", image=app.pictogram(slug), label=label,
                        selected=slug == self.topic)
            chip.bind(on_release=lambda _w, s=slug: self.choose_topic(s))
            grid.add_widget(chip)

    def choose_topic(self, slug: str) -> None:
        self.topic = slug
        for chip in self.ids.chips.children:
            chip.selected = chip.tid == f"chip-{slug}"
        self.update_results()

    def hits(self) -> list[Hit]:
        items = self._items()
        if self.chips_mode:
            if not self.topic:
                return []
            return [Hit(kind, item.id, 1) for kind, item in items
                    if getattr(item, "pictogram", "") == self.topic]
        return search(self.query, items, self.app.language)

    def update_results(self) -> None:
        app, grid = self.app, self.ids.results
        discard_children(grid)
        hits = self.hits()
        colors = {p.id: p.color for p in app.store.poles()}
        for hit in hits[:MAX_RESULTS]:
            if hit.kind == "situation":
                item = app.store.situation(hit.id)
                color, detail = "#5B2C83", app.localized(item.summary) if item else ""
            elif hit.kind == "interest":
                item = next((i for i in self._interests() if i.id == hit.id), None)
                color, detail = OFFERS_COLOR, app.tr("entry_offers")
            else:
                item = app.store.service(hit.id)
                color = colors.get(item.pole, "#1D3A8A") if item else ""
                detail = app.localized(item.summary) if item else ""
            if item is None:
                continue
            row = Row(tid=f"result-{hit.kind}-{hit.id}", bg=color, image=app.pictogram(item.pictogram),
                      label=app.localized(item.name), detail=detail)
            row.bind(on_release=lambda _w, k=hit.kind, i=hit.id: app.open_result(k, i))
            grid.add_widget(row)
        typed = self.query.strip() or self.topic
        if typed and not hits and not self.chips_mode:
            grid.add_widget(Text(text=app.tr("search_none", query=self.query.strip())))
        self.ids.count.text = app.tr("search_count", count=len(hits)) if hits else ""
        if self.chips_mode and not self.topic:
            self.ids.count.text = app.tr("search_chips_hint")
        self.ids.scroll.scroll_y = 1

    def wipe(self) -> None:
        """Nothing typed stays for the next visitor."""
        self.ids.keyboard.clear()
        self.query = ""
        self.topic = ""
        for chip in self.ids.chips.children:
            chip.selected = False
        self.update_results()

    def speech_text(self) -> str:
        app = self.app
        rows = [w.label for w in self.ids.results.children[::-1] if hasattr(w, "label")]
        head = app.tr("search_chips_hint") if self.chips_mode else app.tr("search_hint")
        return ". ".join([app.tr("search_title"), head, self.ids.count.text, *rows])
