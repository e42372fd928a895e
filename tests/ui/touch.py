"""The touch and wait primitives of the kiosk drivers (tests/ui/driver.py and its kin).

Nothing here sleeps a fixed time: every step waits for a condition (a widget, a screen, a
state) or for frames of Kivy's clock (`settle`: the layouts, textures and callbacks
scheduled by the last action have run), so a slow machine only makes a run longer.

Frames are laid out (clock, layouts, label textures, touches) but drawn only while a step
looks at the screen (`looking`: a screenshot, the pixels of a frame): with Mesa's software
GL under Xvfb a frame drawn costs ~0.1 s of CPU, and a screen that animates (a pulsing
button, the idle countdown) was drawn as fast as the CPU allowed while nobody looked
(59 % of the read-aloud test's CPU samples, its server and pytest included). What changed meanwhile is drawn on the
first frame looked at: the window's canvas stays marked for redraw.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager
from pathlib import Path

# The safety net of every wait: long enough for a busy 2-core machine, never a pace.
DEADLINE = 90.0

async def wait_until(predicate, timeout: float = DEADLINE, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)  # the polling step: lets Kivy's loop run

async def settle(frames: int = 2):
    """Return once Kivy's clock ran `frames` more frames: what the last action scheduled for
    the next frame (layouts, label textures, Clock callbacks) has run (and been drawn, inside
    `looking`)."""
    from kivy.clock import Clock

    target = Clock.frames_displayed + frames
    await wait_until(lambda: Clock.frames_displayed >= target, what=f"{frames} frames")

async def touch_at(x: float, y: float, hold_frames: int = 1):
    """A finger down, `hold_frames` frames, up: through Kivy's whole input pipeline."""
    from kivy.tests.common import UnitTestTouch

    touch = UnitTestTouch(x, y)
    touch.touch_down()
    if hold_frames:
        await settle(hold_frames)
    touch.touch_up()
    await settle()

def find(app, tid: str):
    """The widget with this test id on the current screen, or None."""
    for widget in app.root.walk():
        if getattr(widget, "tid", None) == tid and widget.get_root_window() is not None:
            return widget
    return None

def all_tids(app, prefix: str) -> list[str]:
    return [w.tid for w in app.root.walk() if getattr(w, "tid", "").startswith(prefix)]

def _place(app, tid: str, finder=None):
    widget = (finder or find)(app, tid)
    return (widget, tuple(widget.to_window(*widget.center))) if widget is not None else None

async def tap(app, tid: str, finder=None):
    """Tap the widget once it stands still: the same widget at the same place over a drawn
    frame (a new screen lays out on its next frame; content arriving from the server can
    rebuild a screen or move a row under the finger). Down and up are then dispatched
    together, so no layout can run between them and take the button from under the
    finger: the race that failed a CI run on a loaded machine (lang-ar tapped as the first
    sync moved the home's rows)."""
    for _attempt in range(20):  # an animated widget never stands still: tap where it is
        before = await wait_until(lambda: _place(app, tid, finder), what=f"widget {tid!r}")
        await settle()
        if _place(app, tid, finder) == before:
            break
    widget, (x, y) = before
    await touch_at(x, y, hold_frames=0)
    return widget

async def shot(app, shots: Path, name: str, result: dict):
    await settle(3)
    async with looking():
        path = app.save_screenshot(str(shots / f"{name}.png"))
    result.setdefault("screenshots", {})[name] = path

# -- drawing only what is looked at ------------------------------------------------------

_drawing = {"installed": False, "looking": 0, "drawn": 0}


def _unless_looking(*_args) -> bool:
    return not _drawing["looking"]  # True: handled, Kivy's own drawing does not run


def _count_drawn(*_args) -> None:
    _drawing["drawn"] += 1


def draw_only_when_looked_at() -> None:
    """From now on frames are drawn only inside `looking` (driver.main, after the kiosk's
    first frame)."""
    from kivy.core.window import Window

    if _drawing["installed"]:
        return
    Window.fbind("on_flip", _count_drawn)  # bound first: runs after the check below
    Window.fbind("on_draw", _unless_looking)
    Window.fbind("on_flip", _unless_looking)
    _drawing["installed"] = True


@asynccontextmanager
async def looking(frames: int = 1):
    """Frames are drawn inside; entered once `frames` frames were drawn (the screen as it
    is now, on the window's buffer for a screenshot or glReadPixels)."""
    from kivy.core.window import Window

    if not _drawing["installed"]:  # a process that draws every frame
        await settle(frames)
        yield
        return
    _drawing["looking"] += 1
    try:
        target = _drawing["drawn"] + frames
        # ask_update: a frame is drawn even if nothing changed since the last one drawn.
        await wait_until(lambda: _drawing["drawn"] >= target or Window.canvas.ask_update(),
                         what=f"{frames} frames drawn")
        yield
    finally:
        _drawing["looking"] -= 1

def find_anywhere(app, tid: str):
    """Like find(), but also in popups (the idle warning is a ModalView over the screens)."""
    from kivy.core.window import Window

    for root in [app.root, *[w for w in Window.children if w is not app.root]]:
        for widget in root.walk():
            if getattr(widget, "tid", None) == tid and widget.get_root_window() is not None:
                return widget
    return None

async def tap_anywhere(app, tid: str):
    """`tap`, for a widget on the screen or on a popup above it."""
    return await tap(app, tid, finder=find_anywhere)

async def on_screen(app, name: str, timeout: float = DEADLINE):
    await wait_until(lambda: app.root.current == name, timeout=timeout, what=f"screen {name!r}")
    await settle()

async def press_digits(app, digits: str):
    for digit in digits:
        await tap(app, "pad-plus" if digit == "+" else f"pad-{digit}")

async def type_letters(app, word: str):
    for letter in word:
        await tap(app, "key-space" if letter == " " else f"key-{letter}")

def params(args) -> dict:
    return dict(item.split("=", 1) for item in (args.param or []))

async def take_plain_ticket(app, between=None) -> dict:
    """From the service screen, the ticket most visitors take: no priority, no SMS. Returns
    the ticket screen's answer; `between(screen)` is awaited on the priority and SMS screens
    (a screenshot, say)."""
    for button, screen in (("take-ticket", "priority"), ("priority-none", "sms_offer")):
        await tap(app, button)
        await on_screen(app, screen)
        if between is not None:
            await between(screen)
    await tap(app, "sms-no")
    return await ticket_answer(app)


async def ticket_answer(app) -> dict:
    screen = app.screens["ticket"]
    await wait_until(lambda: screen.state != "pending", what="ticket answer")
    if screen.state == "ready" and app.printer is not None:
        await wait_until(lambda: screen.print_message, what="printer answer")
    return {"state": screen.state, "ticket": screen.ticket, "number": screen.ids.number.text,
            "sms_line": screen.ids.sms_line.text, "print_line": screen.ids.print_line.text}

def _shown(widget) -> bool:
    while widget is not None:
        if getattr(widget, "opacity", 1) <= 0 or getattr(widget, "disabled", False):
            return False
        widget = widget.parent if widget.parent is not widget else None
    return True

def touch_targets(app) -> list[dict]:
    """Every touch target (ButtonBehavior widget) shown on the current screen, in window px."""
    from kivy.uix.behaviors import ButtonBehavior

    screen = app.root.current_screen
    targets = []
    for widget in screen.walk():
        if isinstance(widget, ButtonBehavior) and widget.get_root_window() is not None \
                and _shown(widget):
            x, y = widget.to_window(widget.x, widget.y)
            targets.append({"screen": screen.name, "tid": getattr(widget, "tid", "") or
                            type(widget).__name__, "width": widget.width, "height": widget.height,
                            "x": x, "y": y, "top": y + widget.height})
    return targets

def _caption_of(header):
    from kiosk.ui.widgets import Caption

    return next(w for w in header.children if isinstance(w, Caption))

def _notice_text(app) -> str:
    from kivy.core.window import Window

    from kiosk.ui.widgets import Notice

    return next((w.text for w in Window.children if isinstance(w, Notice)), "")
