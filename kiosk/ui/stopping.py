"""Stopping the kiosk cleanly: SIGTERM (systemctl stop, an upgrade, the nightly restart) and
SIGINT (Ctrl+C in a developer's terminal) end the process within STOP_BUDGET seconds.

SDL turns SIGTERM into a window close request, which the kiosk refuses outside dev mode (a
visitor must not close it): so SDL is told to leave the signals alone
(SDL_NO_SIGNAL_HANDLERS, kiosk.ui.app.configure_kivy) and Python's handlers here take them.
A signal only flags the stop; the work runs on the Kivy thread:

    the 'back soon' screen is drawn -> App.stop() -> KioskApp.on_stop releases everything
    (sync thread joined, printer job finished, speech stopped, store checkpointed and closed)

Keys and gestures are not signals: Escape, Alt+F4 and a window close request stay refused.
A deadline thread ends the process anyway if the clean path overruns (logged as an error):
systemd's TimeoutStopSec would otherwise end it with SIGKILL.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time

log = logging.getLogger("carrefour.kiosk")

STOP_BUDGET = 2.5  # s from the signal to the forced exit; the clean path takes well under 1 s
FRAMES_BEFORE_STOP = 2  # frames drawn with the 'back soon' screen before the window closes
SHOW_AT_MOST = 0.5  # s waited for those frames (a machine too busy to draw still stops)
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def install_stop_signals(app, signals=STOP_SIGNALS) -> None:
    """Python handlers for `signals` (main thread only, as Python requires)."""

    def handler(signum, _frame):
        request_stop(app, signal.Signals(signum).name)

    for sig in signals:
        signal.signal(sig, handler)


def request_stop(app, reason: str) -> None:
    """Flag the stop (once), arm the deadline, and leave the work to the Kivy thread."""
    from kivy.clock import Clock

    if app.stop_requested is not None:
        return
    app.stop_requested = time.monotonic()
    log.warning("%s: the kiosk stops", reason)
    threading.Thread(target=_deadline, args=(app.stop_requested,), name="kiosk-stop-deadline",
                     daemon=True).start()
    Clock.schedule_once(lambda _dt: _begin(app), 0)


def _begin(app) -> None:
    from kivy.clock import Clock

    if app.watchdog is not None:
        app.watchdog.stopping()  # sd_notify STOPPING=1: systemd knows the stop is under way
    try:
        app.show_maintenance()
    except Exception:  # the screen is a courtesy: never a reason not to stop
        log.exception("the 'back soon' screen failed")
        app.stop()
        return
    target = Clock.frames_displayed + FRAMES_BEFORE_STOP
    until = time.monotonic() + SHOW_AT_MOST  # read now: a test may set it

    def when_drawn(_dt):
        if Clock.frames_displayed < target and time.monotonic() < until:
            Clock.schedule_once(when_drawn, 0)
            return
        log.info("stop: 'back soon' screen drawn %.2f s after the signal",
                 time.monotonic() - app.stop_requested)
        app.stop()  # on_stop releases the threads and the devices

    Clock.schedule_once(when_drawn, 0)


def _deadline(started: float, budget: float | None = None) -> None:
    budget = STOP_BUDGET if budget is None else budget  # read now: a test may set it
    # An Event nobody sets: a wait that a signal cannot cut short.
    threading.Event().wait(max(0.0, started + budget - time.monotonic()))
    log.error("clean stop still running after %.1f s: exiting without it", budget)
    finish_exit()


def finish_exit() -> None:
    """Flush what was said and end the process now, without waiting for threads still in a
    network call (a ticket request, a long-poll): their work is in the outbox already."""
    for handler in logging.getLogger().handlers:
        handler.flush()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(0)


def busy_threads() -> list[str]:
    """Non-daemon threads still alive besides this one: Python would wait for them at exit."""
    me = threading.current_thread()
    return [t.name for t in threading.enumerate() if t is not me and not t.daemon and t.is_alive()]
