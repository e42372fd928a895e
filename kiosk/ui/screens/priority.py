"""Before the ticket: does a priority category apply (pregnancy, disability, 75+, an
appointment)? Pictograms and words; "none" is the big default button below them."""

from __future__ import annotations

import kiosk.ui.flow_widgets  # noqa: F401  (Choice, FlowFooter)
from kiosk.domain.priorities import PRIORITY_CATEGORIES
from kiosk.ui.flow_widgets import Choice
from kiosk.ui.screens.base import KioskScreen, load_kv
from kiosk.ui.widgets import discard_children

load_kv(__file__)

COLOR = "#1F5F7A"  # white text on it: 7.0:1


class PriorityScreen(KioskScreen):
    def show(self, service) -> None:
        app = self.app
        self.reading_above_header(self.ids.question, self.ids.column, after=self.ids.header)
        self.ids.header.title = service.title(app.language)
        colors = {p.id: p.color for p in app.store.poles()}
        self.ids.header.bg = colors.get(service.pole, "#1D3A8A")
        grid = self.ids.choices
        discard_children(grid)
        for category in (reversed(PRIORITY_CATEGORIES) if app.rtl else PRIORITY_CATEGORIES):
            choice = Choice(tid=f"priority-{category.key}", bg=COLOR,
                            image=app.pictogram(category.pictogram),
                            label=app.tr(category.text_key))
            choice.bind(on_release=lambda _w, c=category.key: app.choose_priority(c))
            grid.add_widget(choice)

    def speech_text(self) -> str:
        app = self.app
        options = [app.tr(c.text_key) for c in PRIORITY_CATEGORIES] + [app.tr("priority_none")]
        return ". ".join([app.tr("priority_title"), app.tr("priority_intro"), *options])
