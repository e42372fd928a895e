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
    @property
    def app(self):
        return App.get_running_app()

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
