"""The layout matrix: every kiosk screen, in the six languages, in each display mode
(normal, large text, high contrast, lower reach, large text + lower reach).

    python -m tests.ui.matrix_driver matrix --config kiosk.toml --out result.json --shots DIR

Each screen is opened as a visitor's touch would open it (the app's own navigation), drawn,
checked by tests/ui/layout_check.py (cut text, off screen, overlapping targets, touch
targets smaller than the configured minimum) and tests/ui/render_check.py (every glyph in
its font, text contrast >= 4.5:1 against the pixels drawn behind it) and photographed; the photographs of one screen
are put on a contact sheet, `matrix-<screen>.png` (a row per language, a column per mode),
to be looked at. On each screen, high contrast then large text are switched on and off
again: the frame must come back pixel for pixel (a mode must leave nothing behind). Nothing sleeps: each step waits for the
screen to be current and for Kivy to draw the frames after it (tests/ui/touch.py).
"""

from __future__ import annotations

import os
import resource
import sys
from pathlib import Path

from tests.ui import driver
from tests.ui.layout_check import problems
from tests.ui.render_check import low_contrast, missing_glyphs
from tests.ui.touch import looking, settle, wait_until

LANGUAGES = ("fr", "en", "ar", "zh", "wo", "bm")
MODES = ("normal", "large", "contrast", "lower", "large+lower")
THUMB = (320, 200)


def _screens(app):
    """(name, how to open it, the screen that shows) for each screen of the matrix."""
    from kiosk.ui.keypad import layout_for
    from tests.conftest import demo_data

    data = demo_data()
    pole = sorted(data["poles"], key=lambda p: p["order"])[0]["id"]
    service = next(s["id"] for s in sorted(data["services"], key=lambda s: s["order"])
                   if s.get("ticketing", True))
    situation = data["situations"][0]["id"]
    return [
        ("home", app.go_home, "home"),
        ("pole", lambda: app.open_pole(pole), "pole"),
        ("service", lambda: app.open_service(service), "service"),
        # The ticket's steps before it is issued (nothing is sent to the server).
        ("priority", lambda: app.start_ticket(service), "priority"),
        ("sms_offer", lambda: (app.start_ticket(service), app.choose_priority("")), "sms_offer"),
        ("sms_phone", lambda: (app.start_ticket(service), app.choose_priority(""),
                               app.sms_accept()), "sms_phone"),
        ("carnet", app.open_carnet, "carnet"),  # from the service: the ticket's carnet
        # The number, as the server answers it (then that ticket again), a document ticked.
        ("ticket", lambda: _ticket(app, service), "ticket"),
        ("situations", app.open_situations, "situations"),
        ("situation", lambda: app.open_situation(situation), "situation"),
        ("search", app.open_search, "search"),
        ("offers", app.open_offers, "offers"),
        ("carte", app.open_carte, "carte"),
        ("propose", app.open_propose, "propose"),
        ("wait_info", app.open_wait_info, "wait_info"),
        ("appointment", lambda: app.flow_screen("appointment").open(), "appointment"),
        ("feedback", lambda: app.flow_screen("feedback").open(), "feedback"),
        # The word step (Chinese has none: its faces' screen, a face chosen, nothing sent).
        ("feedback_comment", lambda: _feedback_comment(app),
         "feedback_comment" if layout_for(app.language) else "feedback"),
    ]


_ISSUED: list = []  # the ticket the server issued first: (its answer, its checklist)


def _ticket(app, service: str) -> None:
    """The ticket screen, a document ticked: the first time as the server issues it, then
    that same ticket again, in each language and mode (frames can be compared, and the
    matrix's queue does not grow by a ticket a case)."""
    screen = app.screens["ticket"]
    if _ISSUED:
        ticket, documents = _ISSUED[0]
        screen.pending(app.store.service(service).title(app.language))
        screen.documents = documents
        app._go("ticket")
        screen.ready(ticket)
        app.print_ticket(ticket, app.store.service(service), documents)
        return
    app.open_service(service)
    for row in app.screens["service"].ids.documents.children:
        row.checked = row.tid == "doc-0"  # the checklist's first line ticked
    app.start_ticket(service)
    app.choose_priority("")
    app.sms_decline()  # the ticket is asked for: `_answered` waits for the server


def _answered(app, screen_name: str) -> bool:
    """The screen shows what it will show: the ticket's number, a service's wait, once the
    server answered (a busy run drew the service's "checking the queue" first, and its
    answer came between the mode switches' frames)."""
    if app.root.current != screen_name:
        return False
    if screen_name == "service":
        return app.screens["service"].ids.wait.text != app.tr("wait_loading")
    if screen_name != "ticket":
        return True
    screen = app.screens["ticket"]
    if screen.state == "ready" and not _ISSUED:
        _ISSUED.append((screen.ticket, list(screen.documents)))
    return screen.state != "pending"


def _feedback_comment(app) -> None:
    faces = app.flow_screen("feedback")
    faces.open()
    faces.choose_face(4)
    if faces.keyboard_mode:
        faces.next()


def _set_mode(app, mode: str) -> None:
    app.large_text = "large" in mode
    app.contrast = mode == "contrast"
    app.lower_reach = "lower" in mode


def small_targets(app) -> list[str]:
    """Touch targets under the minimum size (9 mm at the configured DPI: app.min_target)."""
    from tests.ui.touch import touch_targets

    least = app.min_target - 1
    return [f"small target: {t['tid']} {t['width']:.0f}x{t['height']:.0f} < {app.min_target:.0f}"
            for t in touch_targets(app) if min(t["width"], t["height"]) < least]


def case_problems(app, pixels: bytes | None = None, image=None) -> list[str]:
    """Every finding on the screen as drawn (`pixels`: its frame, or `image`: the same as a
    PIL image; read now when neither): the layout (tests/ui/layout_check.py), the touch
    targets' size, the glyphs and the contrast (tests/ui/render_check.py). The matrix and the
    screens' own layout runs share it."""
    screen = app.root.current_screen
    if image is None:
        image = thumbnail_full(frame() if pixels is None else pixels)
    return (problems(app) + small_targets(app) + missing_glyphs(screen)
            + low_contrast(screen, image))


def contact_sheet(photos: dict, out: Path, languages=LANGUAGES) -> None:
    """A row per language, a column per mode."""
    from PIL import Image, ImageDraw

    label = 22
    sheet = Image.new("RGB", (len(MODES) * THUMB[0], len(languages) * (THUMB[1] + label)),
                      "white")
    draw = ImageDraw.Draw(sheet)
    for row, code in enumerate(languages):
        for column, mode in enumerate(MODES):
            thumb = photos.get((code, mode))
            if thumb is None:
                continue
            x, y = column * THUMB[0], row * (THUMB[1] + label)
            sheet.paste(thumb, (x, y + label))
            draw.text((x + 6, y + 5), f"{code} / {mode}", fill="black")
    sheet.save(out, compress_level=1)  # looked at, not archived: fast over small


def _bars_at_rest(app) -> bool:
    """Every scroll bar shows its resting colour (it lights up whenever a list is laid out
    or scrolled, and fades a second later)."""
    from kivy.uix.scrollview import ScrollView

    return all(list(view._bar_color) == list(view.bar_inactive_color)
               for view in app.root.current_screen.walk() if isinstance(view, ScrollView))


def _rest_bars(app) -> None:
    """Put every lit scroll bar in the state its fade ends in (Kivy's ScrollView: a 0.5 s
    trigger, then a 0.5 s animation to `bar_inactive_color`), at once: a frame taken then
    does not depend on when, and a case does not wait a second of wall time per layout."""
    from kivy.animation import Animation
    from kivy.uix.scrollview import ScrollView

    for view in app.root.current_screen.walk():
        if not isinstance(view, ScrollView) or list(view._bar_color) == list(
                view.bar_inactive_color):
            continue
        if view._bind_inactive_bar_color_ev is not None:
            view._bind_inactive_bar_color_ev.cancel()
        Animation.stop_all(view, "_bar_color")
        view.funbind("bar_color", view._change_bar_color)
        view.fbind("bar_inactive_color", view._change_bar_color)
        view._bar_color = list(view.bar_inactive_color)


def _pulses_at_rest(app) -> None:
    """Stop the plans' pulsing "you are here" dots at rest: a frame taken mid-pulse would
    depend on when, not on the screen (the modes check compares frames pixel for pixel)."""
    from kiosk.ui.flow_widgets import PlanView

    for plan in app.root.current_screen.walk():
        if isinstance(plan, PlanView):
            plan.stop_pulse()
            plan.pulse = 0.0


async def quiet(app) -> None:
    """Until the screen is at rest (laid out, bars and pulses at rest, the frame unchanged):
    the frames before are laid out but not drawn (touch.looking); from then on each is
    drawn and compared."""
    await settle(3)
    _rest_bars(app)
    _pulses_at_rest(app)
    await settle(1)
    async with looking():
        # Then until the screen stops changing: a text laid out again a few frames later (a
        # right-to-left label measured once its width is known) is part of the screen.
        shown = frame()
        for _ in range(30):
            await settle(1)
            if not _bars_at_rest(app):  # laid out again: its bar lit up again
                _rest_bars(app)
                await settle(1)
            again = frame()
            if again == shown:
                return
            shown = again


def frame() -> bytes:
    """The window's pixels as drawn (RGB, bottom row first): read straight from OpenGL, no
    PNG to encode (most of a screenshot's cost, times hundreds of cases)."""
    from kivy.core.window import Window
    from kivy.graphics.opengl import GL_RGB, GL_UNSIGNED_BYTE, glReadPixels

    width, height = Window.size
    return glReadPixels(0, 0, width, height, GL_RGB, GL_UNSIGNED_BYTE)


async def drawn_frame() -> bytes:
    """The screen as it is now: a frame drawn (touch.looking), then read (frame)."""
    async with looking():
        return frame()


def thumbnail(image):
    """`image`: a frame as a PIL image (thumbnail_full)."""
    from PIL import Image

    return image.resize(THUMB, Image.Resampling.BILINEAR)


def _changed_box(before: bytes, after: bytes) -> str:
    """Where the two frames differ, in window coordinates (x0, y0)-(x1, y1), y from the top."""
    from PIL import ImageChops

    box = ImageChops.difference(thumbnail_full(before), thumbnail_full(after)).getbbox()
    return f"{box[0]},{box[1]}-{box[2]},{box[3]}" if box else "?"


def thumbnail_full(pixels: bytes):
    from kivy.core.window import Window
    from PIL import Image

    image = Image.frombytes("RGB", tuple(Window.size), pixels)
    return image.transpose(Image.Transpose.FLIP_TOP_BOTTOM)


async def modes_leave_nothing(app, before: bytes, name: str = "") -> list[str]:
    """High contrast on and off, then large text on and off: the same frame as before."""
    found = []
    for attribute in ("contrast", "large_text"):
        setattr(app, attribute, True)
        await settle(3)  # laid out in the mode, not drawn: its frame is compared with nothing
        setattr(app, attribute, False)
        await quiet(app)
        after = frame()
        if after != before:
            if os.environ.get("MATRIX_DEBUG"):
                thumbnail_full(before).save(f"{os.environ['MATRIX_DEBUG']}/{name}-{attribute}-a.png")
                thumbnail_full(after).save(f"{os.environ['MATRIX_DEBUG']}/{name}-{attribute}-b.png")
            found.append(f"{attribute} on then off left the screen changed "
                         f"({_changed_box(before, after)})")
    return found


async def scenario_matrix(app, args, result):
    import time

    await wait_until(lambda: driver.all_tids(app, "pole-"), what="pole tiles")
    languages = [p.split("=", 1)[1] for p in (args.param or []) if p.startswith("lang=")]
    found: dict[str, list[str]] = {}
    photos: dict[str, dict] = {}
    spent = {"draw": 0.0, "check": 0.0, "photo": 0.0}
    for code in languages or LANGUAGES:
        app.set_language(code)
        await wait_until(lambda c=code: app.language == c, what=f"language {code}")
        for mode in MODES:
            _set_mode(app, mode)
            for name, open_screen, screen_name in _screens(app):
                began = time.monotonic()
                # A visitor's touch opens each screen: the idle timer starts again (without
                # it, its warning comes over the screens of a long run).
                app.idle.activity()
                open_screen()  # from the previous screen, as a visitor goes from one to the next
                await wait_until(lambda s=screen_name: _answered(app, s),
                                 what=f"screen {screen_name}")
                await quiet(app)
                checked = time.monotonic()
                key = f"{code}/{mode}/{name}"
                pixels = frame()
                image = thumbnail_full(pixels)  # once: checked, then photographed
                found[key] = case_problems(app, image=image)
                if screen_name == "ticket" and app.screens["ticket"].state != "ready":
                    found[key].append("the ticket was not issued: "
                                      + app.screens["ticket"].ids.message.text)
                if found[key] and os.environ.get("MATRIX_DEBUG"):  # the case full size
                    image.save(f"{os.environ['MATRIX_DEBUG']}/{key.replace('/', '-')}.png")
                photographed = time.monotonic()
                photos.setdefault(name, {})[(code, mode)] = thumbnail(image)
                if mode == "normal":
                    found[key] += await modes_leave_nothing(app, pixels, key.replace("/", "-"))
                spent["draw"] += checked - began
                spent["check"] += photographed - checked
                spent["photo"] += time.monotonic() - photographed
    _set_mode(app, "normal")
    app.set_language("fr")
    done = tuple(languages or LANGUAGES)
    suffix = "" if done == LANGUAGES else "-" + "-".join(done)
    for name, shots in photos.items():
        sheet = args.shots / f"matrix-{name}{suffix}.png"
        contact_sheet(shots, sheet, done)
        result.setdefault("sheets", []).append(str(sheet))
    result["problems"] = {k: v for k, v in found.items() if v}
    result["checked"] = sorted(found)
    result["seconds"] = {k: round(v, 1) for k, v in spent.items()}
    usage = resource.getrusage(resource.RUSAGE_SELF)  # this kiosk process, all its threads
    result["cpu"] = round(usage.ru_utime + usage.ru_stime, 1)


def main() -> int:
    driver.SCENARIOS["matrix"] = scenario_matrix
    profile = os.environ.get("MATRIX_PROFILE")  # a file: where the run's CPU goes (cProfile)
    if not profile:
        return driver.main()
    import cProfile
    import time

    profiler = cProfile.Profile(time.process_time)  # CPU, all threads (Mesa's too)
    try:
        return profiler.runcall(driver.main)
    finally:
        profiler.dump_stats(profile)


if __name__ == "__main__":
    sys.exit(main())
