"""What every kiosk screen shares: its kv file loaded beside it, access to the app."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.uix.screenmanager import Screen


def load_kv(module_file: str) -> None:
    Builder.load_file(str(Path(module_file).with_suffix(".kv")))


class KioskScreen(Screen):
    @property
    def app(self):
        return App.get_running_app()
