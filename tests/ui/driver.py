"""Drive the real kiosk app in its own process, with real touch events, and report in JSON.

    python -m tests.ui.driver SCENARIO --config kiosk.toml --out result.json --shots DIR

Kivy creates one window per process, so every UI test runs the app here, in a subprocess,
under the Xvfb display the test started. Touches go through Kivy's whole input pipeline
(EventLoop.post_dispatch_input), as a finger on the touchscreen would.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import traceback
from pathlib import Path


async def wait_until(predicate, timeout: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def find(app, tid: str):
    """The widget with this test id on the current screen, or None."""
    for widget in app.root.walk():
        if getattr(widget, "tid", None) == tid and widget.get_root_window() is not None:
            return widget
    return None


def all_tids(app, prefix: str) -> list[str]:
    return [w.tid for w in app.root.walk() if getattr(w, "tid", "").startswith(prefix)]


async def tap(app, tid: str):
    from kivy.tests.common import UnitTestTouch

    widget = await wait_until(lambda: find(app, tid), what=f"widget {tid!r}")
    await asyncio.sleep(0.1)  # let layout settle
    x, y = widget.to_window(*widget.center)
    touch = UnitTestTouch(x, y)
    touch.touch_down()
    await asyncio.sleep(0.08)
    touch.touch_up()
    await asyncio.sleep(0.15)
    return widget


async def shot(app, shots: Path, name: str, result: dict):
    await asyncio.sleep(0.4)
    path = app.save_screenshot(str(shots / f"{name}.png"))
    result.setdefault("screenshots", {})[name] = path


# -- scenarios ---------------------------------------------------------------------------


async def scenario_home(app, args, result):
    await wait_until(lambda: all_tids(app, "pole-"), what="pole tiles")
    if args.wait_sync:
        await wait_until(lambda: app.sync_reports > 0, what="first sync report")
    await asyncio.sleep(0.3)
    result["poles"] = all_tids(app, "pole-")
    result["pole_labels"] = [find(app, tid).label for tid in result["poles"]]
    result["pole_images"] = [bool(find(app, tid).image) for tid in result["poles"]]
    result["status_text"] = app.status_text
    result["online"] = app.online
    await shot(app, args.shots, args.prefix + "home", result)


async def scenario_ticket(app, args, result):
    await wait_until(lambda: all_tids(app, "pole-"), what="pole tiles")
    await tap(app, f"pole-{args.pole}")
    await wait_until(lambda: app.root.current == "pole", what="pole screen")
    result["services"] = all_tids(app, "service-")
    await shot(app, args.shots, args.prefix + "pole", result)
    await tap(app, f"service-{args.service}")
    await wait_until(lambda: app.root.current == "service", what="service screen")
    screen = app.screens["service"]
    result["service_place"] = screen.ids.place.text
    result["service_hours"] = screen.ids.hours.text
    result["service_documents"] = [w.text for w in screen.ids.documents.children[::-1]]
    await shot(app, args.shots, args.prefix + "service", result)
    await tap(app, "take-ticket")
    ticket_screen = app.screens["ticket"]
    await wait_until(lambda: ticket_screen.state != "pending", what="ticket answer")
    result["ticket_state"] = ticket_screen.state
    result["number_shown"] = ticket_screen.ids.number.text
    result["position_shown"] = ticket_screen.ids.position.text
    result["wait_shown"] = ticket_screen.ids.wait.text
    result["message_shown"] = ticket_screen.ids.message.text
    result["ticket"] = ticket_screen.ticket
    result["qr_size"] = list(ticket_screen.ids.qr.texture.size) if ticket_screen.ids.qr.texture else None
    await shot(app, args.shots, args.prefix + "ticket", result)
    await tap(app, "ticket-done")
    await wait_until(lambda: app.root.current == "home", what="back home")
    result["back_home"] = True


async def scenario_escape(app, args, result):
    from kivy.core.window import Window

    await wait_until(lambda: all_tids(app, "pole-") or app.root.current == "home", what="home")
    await asyncio.sleep(0.2)
    result["escape_swallowed"] = bool(Window.dispatch("on_keyboard", 27, 9, "", []))
    result["close_refused"] = bool(Window.dispatch("on_request_close"))
    await asyncio.sleep(0.3)
    result["still_running"] = app.root is not None and app.root.current == "home"


SCENARIOS = {"home": scenario_home, "ticket": scenario_ticket, "escape": scenario_escape}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--config", required=True)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--shots", required=True, type=Path)
    parser.add_argument("--prefix", default="")
    parser.add_argument("--pole", default="")
    parser.add_argument("--service", default="")
    parser.add_argument("--wait-sync", action="store_true")
    args = parser.parse_args()

    from kiosk.config import load_config
    from kiosk.ui.app import make_app

    app = make_app(load_config(args.config))
    result: dict = {"scenario": args.scenario}

    async def drive():
        try:
            await wait_until(lambda: app.root is not None and app.first_frame_seconds, what="first frame")
            result["first_frame_seconds"] = app.first_frame_seconds
            await SCENARIOS[args.scenario](app, args, result)
            result["ok"] = True
        except BaseException as exc:  # reported to the test, which fails with it
            result["ok"] = False
            result["error"] = "".join(traceback.format_exception(exc))
        finally:
            app.stop()

    async def both():
        await asyncio.gather(app.async_run(async_lib="asyncio"), drive())

    try:
        asyncio.run(both())
    finally:
        app.store.close()
        args.out.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    return 0 if result.get("ok") else 1


if __name__ == "__main__":
    sys.exit(main())
