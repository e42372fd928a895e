"""Life situations ("I'm having a baby", "someone died"...): the visitor starts from what
happens to them, not from the town hall's organisation chart."""

from __future__ import annotations

from kivy.properties import NumericProperty

from kiosk.ui.flow_widgets import WideTile
from kiosk.ui.screens.base import KioskScreen, load_kv
from kiosk.ui.widgets import discard_children

load_kv(__file__)

SITUATION_COLOR = "#5B2C83"
# A death is announced in a quieter colour: no bright tile for grief.
GENTLE_COLOR = "#3F4E63"


def is_bereavement(situation) -> bool:
    return "deces" in (situation.pictogram or "") or "deces" in situation.id


def situation_color(situation) -> str:
    return GENTLE_COLOR if is_bereavement(situation) else SITUATION_COLOR


class SituationsScreen(KioskScreen):
    # The tallest tile name, drawn: every row is made tall enough for it (never cut).
    tallest_name = NumericProperty(0)

    def fit_rows(self, *_args) -> None:
        self.tallest_name = max((t.ids.words.texture_size[1] for t in self.ids.tiles.children),
                                default=0)

    def show(self) -> bool:
        app = self.app
        grid = self.ids.tiles
        discard_children(grid)
        situations = app.store.situations()
        for situation in situations:
            name = app.localized(situation.name)
            tile = WideTile(tid=f"situation-{situation.id}", bg=situation_color(situation),
                        image=app.pictogram(situation.pictogram), label=name, alt=name)
            tile.bind(on_release=lambda _w, sid=situation.id: app.open_situation(sid))
            tile.ids.words.bind(texture_size=self.fit_rows)
            grid.add_widget(tile)
        self.fit_rows()
        self.ids.intro.text = app.tr("situations_intro" if situations else "situations_empty")
        self.ids.scroll.scroll_y = 1
        return True

    def refresh(self) -> bool:
        return self.show()

    def speech_text(self) -> str:
        names = [w.label for w in self.ids.tiles.children[::-1]]
        return ". ".join([self.app.tr("situations_title"), self.ids.intro.text, *names])
