"""Idle reset: the kiosk goes back to a fresh state when a visitor walks away.

Any touch (or key) restarts the countdown. `warning` seconds before the end, a notice asks
"are you still there?" with a big "more time" button, a chime (through the speaker's audio
player: nothing, and no error, on a kiosk without sound) and a ring that empties with the
seconds left, for a visitor who cannot read; when the countdown ends the app's
`idle_reset()` runs (home, default language, modes off, typed numbers and searches wiped).
Nothing is shown when there is nothing to reset (home, default language, no mode).
Time is measured with time.monotonic(), so a wall-clock change never fires it early.
"""

from __future__ import annotations

import time
from pathlib import Path

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import NumericProperty
from kivy.uix.modalview import ModalView

import kiosk.ui.flow_widgets  # noqa: F401  (IconButton, Title, Text for idle.kv)

_RULES = str(Path(__file__).with_suffix(".kv"))


class IdleWarning(ModalView):
    """Its rules (idle.kv) are loaded with the first warning, not before the first frame.
    `remaining` / `total`: the countdown ring's share still to go."""

    seconds = NumericProperty(0)
    remaining = NumericProperty(0.0)
    total = NumericProperty(1.0)

    def __init__(self, **kwargs):
        if _RULES not in Builder.files:
            Builder.load_file(_RULES)
        super().__init__(**kwargs)


class IdleWatcher:
    def __init__(self, app, timeout: float, warning: float, on_touch=None):
        self.app = app
        self.timeout = max(1.0, float(timeout))
        self.warning = min(max(0.0, float(warning)), self.timeout - 0.5)
        self.on_touch = on_touch
        self.last_activity = time.monotonic()
        self._warning_view: IdleWarning | None = None
        self.resets = 0
        self.dialog: IdleWarning | None = None
        self.chimes = 0  # warnings whose chime played (tests; 0 on a kiosk without sound)
        self._event = None

    def start(self) -> None:
        Window.bind(on_motion=self._on_motion, on_key_down=self._on_key)
        self._event = Clock.schedule_interval(self._tick, 0.25)

    def stop(self) -> None:
        if self._event is not None:
            self._event.cancel()
        Window.unbind(on_motion=self._on_motion, on_key_down=self._on_key)

    def _on_motion(self, _window, etype, _event):
        if etype == "begin" and self.on_touch is not None:
            self.on_touch()
        self.activity()
        return False  # never consume: the touch goes on to its widget

    def _on_key(self, *_args):
        self.activity()
        return False

    def activity(self) -> None:
        self.last_activity = time.monotonic()
        self._close()

    def more_time(self) -> None:
        self.activity()

    def remaining(self) -> float:
        return self.timeout - (time.monotonic() - self.last_activity)

    def _tick(self, _dt) -> None:
        remaining = self.remaining()
        if self.app.is_pristine():
            self.last_activity = time.monotonic()
            self._close()
            return
        if remaining <= 0:
            self._close()
            self.resets += 1
            self.last_activity = time.monotonic()
            self.app.idle_reset()
        elif remaining <= self.warning:
            if self.dialog is None:
                # One window, made once and kept: a kv-built window dropped after use leaves
                # its rules bound to the app (app.tr...), and a later language change fails
                # on the dead widget.
                if self._warning_view is None:
                    self._warning_view = IdleWarning(total=max(self.warning, 0.5))
                self.dialog = self._warning_view
                self.dialog.open(animation=False)
                self._chime()
            self.dialog.remaining = max(0.0, remaining)
            self.dialog.seconds = int(remaining + 0.99)

    def _chime(self) -> None:
        from kiosk.ui.reading import play_chime

        if play_chime(self.app):
            self.chimes += 1

    def _close(self) -> None:
        if self.dialog is not None:
            dialog, self.dialog = self.dialog, None
            dialog.dismiss(animation=False)
