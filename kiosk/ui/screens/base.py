"""What every kiosk screen shares: its kv file loaded beside it, access to the app."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.uix.screenmanager import Screen


def load_kv(module_file: str, journeys: bool = True) -> None:
    """Load a screen's rules, after the journeys' widget rules its screen may use (all but
    home, whose rules are loaded before the first frame)."""
    if journeys:
        from kiosk.ui.flow_widgets import load_journey_rules

        load_journey_rules()
    Builder.load_file(str(Path(module_file).with_suffix(".kv")))


class KioskScreen(Screen):
    _reading_bound = False

    @property
    def app(self):
        return App.get_running_app()

    def reading_above_header(self, reading, column, home=None, after=None) -> None:
        """Lower reach pushes the header down and leaves an empty band at the top, out of a
        seated visitor's reach but in sight: the screen's words (`reading`, a ScrollView
        with nothing to touch) move there, to the top of `column`, instead of being squeezed
        between the header and the answers (where large text left them no room at all).
        Otherwise back at the top of `home` (default `column`), right under `after` if
        given. Follows the mode while the screen is shown."""
        if not self._reading_bound:
            self._reading_bound = True
            self.app.bind(lower_reach=lambda *_: self.reading_above_header(
                reading, column, home, after))
        home = column if home is None else home
        lower = bool(self.app.lower_reach)
        target = column if lower else home
        anchor = None if lower else after
        kids = target.children  # bottom to top: the last one is at the top
        if reading.parent is target and (
                kids[-1] is reading if anchor is None
                else kids.index(reading) == kids.index(anchor) - 1):
            return
        reading.parent.remove_widget(reading)
        # Inserting at `anchor`'s index puts the words right under it.
        target.add_widget(reading, index=len(kids) if anchor is None else kids.index(anchor))

    def keypad_on_reading_side(self) -> None:
        """The keypad screens (SMS number, carnet code, appointment code): digits read the
        same in every language; in Arabic the keypad sits on the left, the words on the
        right. `body` holds `form` and `pad_box`."""
        body = self.ids.body
        wanted = [self.ids.pad_box, self.ids.form] if self.app.rtl else [self.ids.form, self.ids.pad_box]
        if list(reversed(body.children)) != wanted:
            body.clear_widgets()
            for widget in wanted:
                body.add_widget(widget)
