"""The real kiosk process (kiosk.ui.app.main, production settings), brought to the state in
which systemd stops it: a visitor mid-journey, a ticket waiting in the outbox, the content
long-poll in flight. Then it says READY and waits for the test's SIGTERM
(tests/ui/test_clean_stop.py).

    python -m tests.ui.stop_driver --config kiosk.toml --service ID [--shot PNG]

Lines for the test on stdout: `REFUSED {...}` (the visitor's ways out, all refused),
`READY {...}` (the state at the signal), `MAINTENANCE {...}` (the 'back soon' screen drawn),
then the kiosk's own "stopped cleanly in X s". The journey runs on the Kivy clock (main()
runs the app with app.run()); every step waits for a condition, never a fixed time.
"""

from __future__ import annotations

import argparse
import ctypes
import datetime as dt
import json
import sys
import traceback
from pathlib import Path

SDL_QUIT = 0x100  # the event SDL makes of a window manager's close request (WM_DELETE_WINDOW)
DEADLINE_FRAMES = 90 * 60  # the journey's safety net: ~90 s of clock ticks
HANG_GUARD = 120.0  # s: the stop's cut-offs in this driver (see main())


def say(tag: str, data: dict) -> None:
    print(f"{tag} {json.dumps(data, default=str)}", flush=True)


def push_sdl_quit() -> bool:
    """Put a real SDL_QUIT in SDL's queue, as a window close request from the desktop does."""
    import kivy

    libs = sorted((Path(kivy.__file__).parents[1] / "Kivy.libs").glob("libSDL2-2*.so*"))
    if not libs:
        return False
    sdl = ctypes.CDLL(str(libs[0]))  # the library Kivy already loaded: same handle
    event = (ctypes.c_uint8 * 64)()  # SDL_Event: a 56-byte union; `type` is its first Uint32
    ctypes.c_uint32.from_buffer(event).value = SDL_QUIT
    return sdl.SDL_PushEvent(ctypes.byref(event)) == 1


def journey(app, args):
    """Steps of the scenario; each `yield` is a condition to wait for."""
    import requests
    from kivy.clock import Clock
    from kivy.core.window import Window

    day = dt.date.today().isoformat()
    yield lambda: app.first_frame_seconds and app.online and app.engine is not None
    yield lambda: app.store.lease_remaining(args.service, day) > 0  # numbers for offline tickets
    poll = lambda: app.engine._poll  # noqa: E731
    yield lambda: poll() is not None and not poll().done.is_set()  # the long-poll waits

    def cut(*_args, **_kwargs):
        raise requests.ConnectionError("network cut by the test")

    # The network goes (requests and sync; the long-poll already on the wire stays there):
    # the visitor's ticket is a leased number, queued in the outbox.
    app.transport._session.request = cut
    app.open_service(args.service)
    app.start_ticket(args.service)
    app.choose_priority("")
    app.sms_decline()
    ticket_screen = app.screens["ticket"]
    yield lambda: ticket_screen.state != "pending"
    ticket = ticket_screen.ticket or {}
    printed = Path(args.printer_file)
    yield lambda: printed.exists() and printed.stat().st_size > 0
    # The next visitor reads a service page; tries every way out a visitor has.
    app.open_service(args.service)
    yield lambda: app.root.current == "service"
    tries = {"sdl_quit_pushed": push_sdl_quit()}
    keys = [(27, [])] + [(285, ["alt"]), (113, ["ctrl"]), (99, ["ctrl"])]  # Esc Alt+F4 Ctrl+Q Ctrl+C
    for key, modifiers in keys:
        Window.dispatch("on_key_down", key, 0, None, modifiers)
        Window.dispatch("on_key_up", key, 0)
    tries["close_request_refused"] = bool(Window.dispatch("on_request_close"))
    target = Clock.frames_displayed + 3
    yield lambda: Clock.frames_displayed >= target  # the SDL event polled, the keys handled
    say("REFUSED", {**tries, "screen": app.root.current, "running": app.stop_requested is None})
    say("READY", {"outbox_id": ticket.get("outbox_id"), "offline": ticket.get("offline"),
                  "number": ticket.get("number"), "outbox_depth": app.store.outbox_depth(),
                  "screen": app.root.current,
                  "long_poll_in_flight": poll() is not None and not poll().done.is_set()})


def watch_maintenance(app, shot: str | None) -> None:
    """Report the 'back soon' screen once it is drawn (optionally its screenshot)."""
    from kivy.core.window import Window

    def on_flip(*_):
        if app.root is None or app.root.current != "maintenance":
            return
        Window.unbind(on_flip=on_flip)
        screen = app.screens["maintenance"]
        if shot:
            app.save_screenshot(shot)
        say("MAINTENANCE", {"title": screen.ids.title.text, "detail": screen.ids.detail.text})

    Window.bind(on_flip=on_flip)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--service", required=True)
    parser.add_argument("--printer-file", required=True)
    parser.add_argument("--shot")
    args = parser.parse_args()

    from kiosk.ui import app as kiosk_app
    from kiosk.ui import stopping

    # The test checks the clean path (the screen drawn, threads and devices released, the store
    # checkpointed), not the machine's speed: the two wall-time cut-offs of production (the
    # forced exit after STOP_BUDGET s, the screen waited for at most SHOW_AT_MOST s) would turn
    # a loaded machine into a failure (CI: the signal handler ran 9 s after the SIGTERM). They
    # stay production's safety nets, tested on their own (tests/devices/test_stopping.py);
    # here they are only a hang guard.
    stopping.STOP_BUDGET = stopping.SHOW_AT_MOST = HANG_GUARD

    real_make_app = kiosk_app.make_app

    def make_app(*a, **kw):
        app = real_make_app(*a, **kw)
        from kivy.clock import Clock

        steps = journey(app, args)
        state = {"wait": next(steps), "ticks": 0}

        def tick(_dt):
            state["ticks"] += 1
            try:
                if state["ticks"] > DEADLINE_FRAMES:
                    raise TimeoutError("the journey timed out")
                if not state["wait"]():
                    return None
                state["wait"] = next(steps)
            except StopIteration:
                watch_maintenance(app, args.shot)
                return False
            except Exception as exc:  # told to the test, which fails with it
                say("FAILED", {"error": "".join(traceback.format_exception(exc))})
                return False
            return None

        Clock.schedule_interval(tick, 0)
        return app

    kiosk_app.make_app = make_app  # main() looks it up at call time
    return kiosk_app.main(["--config", args.config])


if __name__ == "__main__":
    sys.exit(main())
