"""The kiosk's devices in the app: ticket printer, read-aloud speaker, systemd watchdog, and
the agents' exit (hidden gesture + PIN). Each is optional: a kiosk without a printer or a
voice still works, and says so to the visitor in words instead of failing.

The device sections ([printer], [speech], [watchdog], [agent_exit]) live in the kiosk TOML
beside [server]/[kiosk]/[screen] and are read by kiosk.devices.config.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import StringProperty
from kivy.uix.modalview import ModalView

log = logging.getLogger("carrefour.kiosk.devices")

Builder.load_file(str(Path(__file__).with_suffix(".kv")))


def setup_devices(app, config_path: str | Path | None) -> None:
    """Create the devices the config describes and hook them to the app (Kivy thread)."""
    from kiosk.devices.config import load_device_config
    from kiosk.devices.exit_gesture import ExitGesture
    from kiosk.devices.printer import NullPrinter, make_printer
    from kiosk.devices.speech import make_speaker
    from kiosk.devices.watchdog import SystemdWatchdog

    sections = load_device_config(config_path)
    printer = make_printer(sections["printer"])
    app.printer = None if isinstance(printer, NullPrinter) else printer
    try:
        app.speaker = make_speaker(sections["speech"])
    except (ValueError, OSError) as exc:
        log.warning("no read-aloud: %s", exc)
        app.speaker = None
    watchdog = SystemdWatchdog()
    app.watchdog = watchdog
    if watchdog.enabled:
        watchdog.ready("kiosk started")
    interval = watchdog.interval()
    if interval and sections["watchdog"].get("enabled", True):
        # Pinged from the Kivy clock: a frozen UI thread stops the pings and systemd restarts us.
        Clock.schedule_interval(lambda _dt: watchdog.ping(), max(0.5, interval))
    gesture = ExitGesture.from_config(sections["agent_exit"])
    app.exit_gesture = gesture
    if gesture.enabled:
        Window.bind(on_touch_down=lambda _w, touch: _exit_tap(app, touch))


def _exit_tap(app, touch) -> bool:
    gesture = app.exit_gesture
    if gesture.tap(touch.x, Window.height - touch.y, time.monotonic()):
        # On the next frame: opened inside this touch's dispatch, the dialog would see the
        # same touch next, outside its panel, and dismiss itself at once (auto_dismiss).
        Clock.schedule_once(lambda _dt: _open_exit_dialog(app), 0)
    return False  # the touch goes on: the gesture is invisible to visitors


def _open_exit_dialog(app) -> None:
    import kiosk.ui.keypad  # noqa: F401  (NumericKeypad in the PIN dialog, loaded when needed)

    if app.exit_dialog is None:  # made once and kept: no widget dropped under its kv rules
        app.exit_dialog = ExitPinDialog()
    app.exit_dialog.message = ""
    app.exit_dialog.ids.keypad.clear()  # digits typed before a dismissal are not kept
    app.exit_dialog.open(animation=False)


class ExitPinDialog(ModalView):
    message = StringProperty("")

    def check(self) -> None:
        from kivy.app import App

        app = App.get_running_app()
        pin = self.ids.keypad.text
        self.ids.keypad.clear()
        result = app.exit_gesture.check_pin(pin, time.monotonic())
        if result:
            log.warning("agent exit with PIN at %s", dt.datetime.now().isoformat(timespec="seconds"))
            if app.watchdog is not None:
                app.watchdog.stopping()
            app.stop()
        else:
            self.message = "PIN verrouillé" if result.result == "locked" else "PIN ?"
