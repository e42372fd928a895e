"""Drive the real kiosk app in its own process, with real touch events, and report in JSON.

    python -m tests.ui.driver SCENARIO --config kiosk.toml --out result.json --shots DIR

Kivy creates one window per process, so every UI test runs the app here, in a subprocess,
under the Xvfb display the test started. Touches go through Kivy's whole input pipeline
(EventLoop.post_dispatch_input), as a finger on the touchscreen would.

Nothing here sleeps a fixed time: every step waits for a condition (a widget, a screen, a
state) or for frames drawn by Kivy's clock (`settle`: the layouts, textures and callbacks
scheduled by the last action have run), so a slow machine only makes a run longer.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import traceback
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
    """Return once Kivy drew `frames` more frames: what the last action scheduled for the
    next frame (layouts, label textures, Clock callbacks) has run and been drawn."""
    from kivy.clock import Clock

    target = Clock.frames_displayed + frames
    await wait_until(lambda: Clock.frames_displayed >= target, what=f"{frames} frames")


async def touch_at(x: float, y: float):
    """A finger down, a frame, up: through Kivy's whole input pipeline."""
    from kivy.tests.common import UnitTestTouch

    touch = UnitTestTouch(x, y)
    touch.touch_down()
    await settle(1)
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


async def tap(app, tid: str):
    widget = await wait_until(lambda: find(app, tid), what=f"widget {tid!r}")
    await settle()  # its final place: the layout of a new screen runs on the next frame
    await touch_at(*widget.to_window(*widget.center))
    return widget


async def shot(app, shots: Path, name: str, result: dict):
    await settle(3)
    path = app.save_screenshot(str(shots / f"{name}.png"))
    result.setdefault("screenshots", {})[name] = path


# -- scenarios ---------------------------------------------------------------------------


async def scenario_home(app, args, result):
    await wait_until(lambda: all_tids(app, "pole-"), what="pole tiles")
    if args.wait_sync:
        await wait_until(lambda: app.sync_reports > 0, what="first sync report")
    await settle()
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
    await tap(app, "priority-none")  # the ticket flow asks first: priority? SMS?
    await tap(app, "sms-no")
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
    await settle()
    result["escape_swallowed"] = bool(Window.dispatch("on_keyboard", 27, 9, "", []))
    result["close_refused"] = bool(Window.dispatch("on_request_close"))
    await settle()
    result["still_running"] = app.root is not None and app.root.current == "home"


# -- the visitor journeys (tests/ui/test_flows.py) ---------------------------------------


def find_anywhere(app, tid: str):
    """Like find(), but also in popups (the idle warning is a ModalView over the screens)."""
    from kivy.core.window import Window

    for root in [app.root, *[w for w in Window.children if w is not app.root]]:
        for widget in root.walk():
            if getattr(widget, "tid", None) == tid and widget.get_root_window() is not None:
                return widget
    return None


async def tap_anywhere(app, tid: str):
    widget = await wait_until(lambda: find_anywhere(app, tid), what=f"widget {tid!r}")
    await settle()
    await touch_at(*widget.to_window(*widget.center))
    return widget


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


async def ticket_answer(app) -> dict:
    screen = app.screens["ticket"]
    await wait_until(lambda: screen.state != "pending", what="ticket answer")
    if screen.state == "ready" and app.printer is not None:
        await wait_until(lambda: screen.print_message, what="printer answer")
    return {"state": screen.state, "ticket": screen.ticket, "number": screen.ids.number.text,
            "sms_line": screen.ids.sms_line.text, "print_line": screen.ids.print_line.text}


async def scenario_situation_ticket(app, args, result):
    """Home → life situations → one situation → its service → priority, SMS (no) → ticket."""
    p = params(args)
    await wait_until(lambda: all_tids(app, "pole-"), what="pole tiles")
    await tap(app, "entry-situations")
    await on_screen(app, "situations")
    await wait_until(lambda: all_tids(app, "situation-"), what="situation tiles")
    result["situations"] = all_tids(app, "situation-")
    await shot(app, args.shots, "flows-situations", result)
    await tap(app, f"situation-{p['situation']}")
    await on_screen(app, "situation")
    result["situation_services"] = all_tids(app, "service-")
    result["situation_documents"] = [w.text for w in app.screens["situation"].ids.documents.children[::-1]]
    result["gentle"] = app.screens["situation"].ids.gentle.text
    await shot(app, args.shots, f"flows-situation-{p['situation']}", result)
    if p.get("gentle"):
        await tap(app, "back")
        await on_screen(app, "situations")
        await tap(app, f"situation-{p['gentle']}")
        await on_screen(app, "situation")
        result["gentle_other"] = app.screens["situation"].ids.gentle.text
        await shot(app, args.shots, f"flows-situation-{p['gentle']}", result)
        await tap(app, "back")
        await tap(app, f"situation-{p['situation']}")
        await on_screen(app, "situation")
    await tap(app, f"service-{p['service']}")
    await on_screen(app, "service")
    screen = app.screens["service"]
    screen.ids.scroll.scroll_to(find(app, "doc-0"), animate=False)  # the list is below the plan
    await settle()
    await tap(app, "doc-0")
    result["doc0_checked"] = find(app, "doc-0").checked
    result["checklist_count"] = screen.ids.checklist_count.text
    await wait_until(lambda: screen.ids.wait.text != app.tr("wait_loading"), what="current wait")
    result["service_wait"] = screen.ids.wait.text
    result["plan_source"] = screen.ids.plan.source
    result["qr"] = bool(screen.ids.qr.texture)
    await shot(app, args.shots, "flows-service", result)
    await tap(app, "take-ticket")
    await on_screen(app, "priority")
    await shot(app, args.shots, "flows-priority", result)
    await tap(app, "priority-none")
    await on_screen(app, "sms_offer")
    await shot(app, args.shots, "flows-sms-offer", result)
    await tap(app, "sms-no")
    result.update(await ticket_answer(app))
    await shot(app, args.shots, "flows-ticket", result)
    await tap(app, "while-waiting")
    await on_screen(app, "wait_info")
    result["places"] = all_tids(app, "place-")
    result["events"] = all_tids(app, "offer-")
    result["today"] = __import__("datetime").date.today().isoformat()
    result["waitinfo_intro"] = app.screens["wait_info"].ids.intro.text
    await shot(app, args.shots, "flows-wait-info", result)
    await tap(app, "back")
    await on_screen(app, "ticket")
    await tap(app, "ticket-done")
    await on_screen(app, "home")
    result["home_after"] = True


async def scenario_priority_sms(app, args, result):
    """A priority category and the SMS opt-in: a wrong number first, then a right one."""
    p = params(args)
    await wait_until(lambda: all_tids(app, "pole-"), what="pole tiles")
    await tap(app, f"pole-{args.pole}")
    await tap(app, f"service-{args.service}")
    await on_screen(app, "service")
    await tap(app, "take-ticket")
    await on_screen(app, "priority")
    await tap(app, f"priority-{p['priority']}")
    await on_screen(app, "sms_offer")
    await tap(app, "sms-yes")
    await on_screen(app, "sms_phone")
    phone = app.screens["sms_phone"]
    await press_digits(app, p["bad"])
    await tap(app, "sms-consent")
    await tap(app, "sms-send")
    await settle()
    result["bad_error"] = phone.error
    result["bad_screen"] = app.root.current
    result["requests_after_bad"] = app.ticket_requests
    await shot(app, args.shots, "flows-sms-error", result)
    for _ in p["bad"]:
        await tap(app, "pad-erase")
    await press_digits(app, p["good"])
    result["typed"] = phone.ids.display.text
    await shot(app, args.shots, "flows-sms-phone", result)
    await tap(app, "sms-send")
    result.update(await ticket_answer(app))
    result["requests_after_good"] = app.ticket_requests
    result["keypad_after"] = phone.ids.keypad.text
    await shot(app, args.shots, "flows-ticket-sms", result)


async def scenario_search(app, args, result):
    """Search by keyword with the on-screen keyboard; then Chinese chips and Arabic letters."""
    p = params(args)
    await wait_until(lambda: all_tids(app, "pole-"), what="pole tiles")
    await tap(app, "entry-search")
    await on_screen(app, "search")
    await type_letters(app, p["word"])
    screen = app.screens["search"]
    result["query"] = screen.query
    result["results"] = all_tids(app, "result-")
    await shot(app, args.shots, "flows-search", result)
    await tap(app, f"result-service-{p['service']}")
    await on_screen(app, "service")
    result["opened"] = app.screens["service"].service_id
    await tap(app, "home")
    await on_screen(app, "home")
    app.set_language("zh")
    await settle()
    await tap(app, "entry-search")
    await on_screen(app, "search")
    result["zh_chips"] = all_tids(app, "chip-")
    result["zh_keyboard_shown"] = screen.ids.keyboard.opacity > 0
    await tap(app, f"chip-{p['chip']}")
    result["zh_results"] = all_tids(app, "result-")
    await shot(app, args.shots, "flows-search-zh", result)
    await tap(app, "home")
    await on_screen(app, "home")
    app.set_language("ar")
    await settle()
    await tap(app, "entry-search")
    await on_screen(app, "search")
    await type_letters(app, p["ar_word"])
    result["ar_results"] = all_tids(app, "result-")
    await shot(app, args.shots, "flows-search-ar", result)


async def scenario_assist(app, args, result):
    """Call an agent from a service page."""
    await wait_until(lambda: all_tids(app, "pole-"), what="pole tiles")
    await tap(app, f"pole-{args.pole}")
    await on_screen(app, "pole")
    await tap(app, "call-agent")
    await on_screen(app, "assist")
    screen = app.screens["assist"]
    await wait_until(lambda: screen.state != "sending", what="assistance answer")
    result["state"] = screen.state
    result["request_id"] = screen.request_id
    result["detail"] = screen.ids.detail.text
    await shot(app, args.shots, args.prefix + "flows-assist", result)


async def scenario_idle(app, args, result):
    """A half-typed phone number, the warning, "more time", then the reset wipes it."""
    await wait_until(lambda: all_tids(app, "pole-"), what="pole tiles")
    app.set_language("en")
    await settle()
    await tap(app, f"pole-{args.pole}")
    await tap(app, f"service-{args.service}")
    await tap(app, "take-ticket")
    await tap(app, "priority-none")
    await tap(app, "sms-yes")
    await on_screen(app, "sms_phone")
    await press_digits(app, "0612")
    phone = app.screens["sms_phone"]
    result["typed_before"] = phone.ids.keypad.text
    await wait_until(lambda: find_anywhere(app, "idle-more"), what="idle warning")
    result["warning_text"] = app.idle.dialog.seconds if app.idle.dialog else None
    await shot(app, args.shots, "flows-idle-warning", result)
    started = time.monotonic()  # before the touch that restarts the countdown
    await tap_anywhere(app, "idle-more")
    result["after_more_screen"] = app.root.current
    result["after_more_typed"] = phone.ids.keypad.text
    result["after_more_dialog"] = app.idle.dialog is not None
    await wait_until(lambda: app.root.current == "home", what="idle reset")
    result["reset_after_seconds"] = time.monotonic() - started
    await settle()
    result["typed_after"] = phone.ids.keypad.text
    result["language_after"] = app.language
    result["resets"] = app.idle.resets
    result["ticket_after"] = app.screens["ticket"].ticket


# -- languages and accessibility (tests/ui/test_languages.py, test_accessibility.py) -----

KIOSK_LANGUAGES = ("fr", "en", "ar", "zh", "wo", "bm")


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


async def _walk_to_ticket(app, args, entry: dict, prefix: str):
    """home -> pole -> service -> ticket, with screenshots <prefix>{service,ticket}."""
    await tap(app, f"pole-{args.pole}")
    await wait_until(lambda: app.root.current == "pole", what="pole screen")
    await settle()
    entry.setdefault("targets", []).extend(touch_targets(app))
    await tap(app, f"service-{args.service}")
    await wait_until(lambda: app.root.current == "service", what="service screen")
    await settle()
    header = app.screens["service"].ids.header
    back, home, caption = find(app, "back"), find(app, "home"), _caption_of(header)
    entry["service_title"] = header.title
    entry["back_x"] = back.to_window(*back.center)[0]
    entry["home_x"] = home.to_window(*home.center)[0]
    entry["title_x"] = caption.to_window(*caption.center)[0]
    entry["take_ticket_text"] = find(app, "take-ticket").text
    entry["targets"].extend(touch_targets(app))
    await shot(app, args.shots, prefix + "service", entry)
    await tap(app, "take-ticket")
    # The ticket flow asks first (priority? SMS?) unless the service has no such step: wait
    # for the next screen, whichever it is, rather than a while for a button.
    for step, screen, later in (("priority-none", "priority", {"sms_offer", "ticket"}),
                                ("sms-no", "sms_offer", {"ticket"})):
        await wait_until(lambda s=screen, after=later: app.root.current in {s, *after},
                         what=f"screen {screen!r} or a later one")
        if app.root.current == screen:
            await settle()
            entry["targets"].extend(touch_targets(app))
            await tap(app, step)
    ticket_screen = app.screens["ticket"]
    await wait_until(lambda: app.root.current == "ticket" and ticket_screen.state != "pending",
                     what="ticket answer")
    await settle()
    entry["ticket_state"] = ticket_screen.state
    entry["number"] = ticket_screen.ids.number.text
    entry["message"] = ticket_screen.ids.message.text
    entry["targets"].extend(touch_targets(app))
    await shot(app, args.shots, prefix + "ticket", entry)
    app.go_home()
    await wait_until(lambda: app.root.current == "home", what="back home")


async def scenario_languages(app, args, result):
    """Each of the six languages, switched by touch: home, service and ticket screenshots."""
    await wait_until(lambda: all_tids(app, "pole-"), what="pole tiles")
    result["languages"] = {}
    for code in KIOSK_LANGUAGES:
        entry: dict = {"targets": []}
        await tap(app, f"lang-{code}")
        await wait_until(lambda c=code: app.language == c, what=f"language {code}")
        await settle()  # the screens relocalize on the next frame
        home = app.screens["home"]
        entry["title"] = home.ids.title.text
        entry["pole_labels"] = [find(app, tid).label for tid in all_tids(app, "pole-")]
        entry["font"], entry["rtl"] = app.font, app.rtl
        entry["font_direction"] = home.ids.title.font_direction
        entry["targets"].extend(touch_targets(app))
        await shot(app, args.shots, f"lang-{code}-home", entry)
        await _walk_to_ticket(app, args, entry, f"lang-{code}-")
        entry.pop("screenshots", None)
        result["languages"][code] = entry
    await tap(app, "lang-fr")


async def scenario_accessibility(app, args, result):
    """Large text, high contrast, lower reach: switched by touch, walked, then reset."""
    await wait_until(lambda: all_tids(app, "pole-"), what="pole tiles")
    await settle()
    result["min_target"] = app.min_target
    result["screen_dpi"] = app.settings.screen_dpi
    targets = touch_targets(app)
    size_before = app.screens["home"].ids.title.font_size
    await tap(app, "mode-large-text")
    await wait_until(lambda: app.large_text, what="large text")
    await settle()
    result["title_size"] = [size_before, app.screens["home"].ids.title.font_size]
    targets += touch_targets(app)
    await shot(app, args.shots, "a11y-large-home", result)
    entry: dict = {"targets": []}
    await _walk_to_ticket(app, args, entry, "a11y-large-")
    targets += entry["targets"]
    await tap(app, "mode-large-text")
    await tap(app, "mode-contrast")
    await wait_until(lambda: app.contrast, what="high contrast")
    result["contrast_palette"] = {k: list(v) if v else None for k, v in app.palette.items()}
    targets += touch_targets(app)
    await shot(app, args.shots, "a11y-contrast-home", result)
    entry = {"targets": []}
    await _walk_to_ticket(app, args, entry, "a11y-contrast-")
    targets += entry["targets"]
    await tap(app, "mode-contrast")
    await tap(app, "mode-lower-reach")
    await wait_until(lambda: app.lower_reach, what="lower reach")
    await settle()
    lower = touch_targets(app)
    await shot(app, args.shots, "a11y-lower-home", result)
    entry = {"targets": []}
    await _walk_to_ticket(app, args, entry, "a11y-lower-")
    lower += entry["targets"]
    result["lower_targets"] = lower
    result["window_height"] = app.root.get_root_window().height
    targets += lower
    result["targets"] = targets
    # Everything on, then the idle reset: a new visitor finds the kiosk as it was.
    await tap(app, "mode-large-text")
    await tap(app, "mode-contrast")
    await tap(app, "lang-ar")
    await wait_until(lambda: app.language == "ar", what="arabic")
    result["before_reset"] = [app.language, app.large_text, app.contrast, app.lower_reach]
    (getattr(app, "idle_reset", None) or app.reset_modes)()
    await settle()
    result["after_reset"] = [app.language, app.large_text, app.contrast, app.lower_reach]
    result["title_after_reset"] = app.screens["home"].ids.title.text


def _notice_text(app) -> str:
    from kivy.core.window import Window

    from kiosk.ui.widgets import Notice

    return next((w.text for w in Window.children if isinstance(w, Notice)), "")


async def scenario_offers(app, args, result):
    """Home → Carte Citoyenne → one of its offers; home → in the neighbourhood → filters →
    an offer; the Arabic Carte page; read-aloud in Wolof with and without a recording."""
    p = params(args)
    await wait_until(lambda: all_tids(app, "pole-"), what="pole tiles")
    result["announcement"] = app.screens["home"].announcement
    result["announcement_urgent"] = app.screens["home"].urgent
    await shot(app, args.shots, "flows-home-entries", result)
    # The synced closures change a service's hours on their days (shown, not navigated).
    import datetime as dt

    service = app.screens["service"]
    for name, day in (("christmas", dt.date(2026, 12, 25)), ("eve", dt.date(2026, 12, 24))):
        service.show(p["service"], today=day)
        result[f"{name}_hours"] = service.ids.hours.text
    await tap(app, "entry-carte")
    await on_screen(app, "carte")
    carte = app.screens["carte"]
    result["carte_title"] = carte.ids.header.title
    result["carte_summary"] = carte.ids.summary.text
    result["carte_paragraphs"] = len(carte.ids.body_text.children)
    result["carte_qr"] = bool(carte.ids.qr.texture)
    result["carte_offers"] = all_tids(app, "offer-")
    await shot(app, args.shots, "flows-carte", result)
    await tap(app, result["carte_offers"][0])
    await on_screen(app, "offer")
    offer = app.screens["offer"]
    result["carte_offer_opened"] = offer.offer_id
    result["carte_offer_source"] = offer.ids.source.text
    await tap(app, "home")
    await on_screen(app, "home")
    await tap(app, "entry-offers")
    await on_screen(app, "offers")
    result["offers_all"] = all_tids(app, "offer-")
    await shot(app, args.shots, "flows-offers", result)
    await tap(app, "filter-today")
    result["offers_today"] = all_tids(app, "offer-")
    result["offers_today_empty"] = app.screens["offers"].ids.empty.text
    await tap(app, "filter-week")
    result["offers_week"] = all_tids(app, "offer-")
    await tap(app, "filter-all")
    await tap(app, "age-child")
    result["offers_child"] = all_tids(app, "offer-")
    await tap(app, "filter-near")
    result["offers_child_near"] = all_tids(app, "offer-")
    await shot(app, args.shots, "flows-offers-child-near", result)
    await tap(app, "filter-near")
    await tap(app, "age-all")
    app.screens["offers"].ids.scroll.scroll_to(find(app, f"offer-{p['offer']}"), animate=False)
    await settle()
    await tap(app, f"offer-{p['offer']}")
    await on_screen(app, "offer")
    for key in ("when", "where", "facts", "summary"):
        result[f"offer_{key}"] = offer.ids[key].text
    result["offer_qr"] = bool(offer.ids.qr.texture)
    await shot(app, args.shots, "flows-offer", result)
    # Wolof: espeak-ng has no voice; the offer has a recording in the test's assets.
    app.set_language("wo")
    await settle()
    offer.show(offer.offer_id)
    spoken = []
    real_say_file = app.speaker.say_file
    app.speaker.say_file = lambda path: spoken.append(str(path)) or True
    await tap(app, "read-aloud")
    result["wo_played"] = spoken
    result["wo_notice"] = _notice_text(app)
    app.speaker.say_file = real_say_file
    await tap(app, "back")
    await on_screen(app, "offers")
    await tap(app, "read-aloud")  # a list: no recording for it
    result["wo_list_notice"] = _notice_text(app)
    await shot(app, args.shots, "flows-notice-wo", result)
    from kivy.core.window import Window

    from kiosk.ui.widgets import Notice

    notice = next(w for w in Window.children if isinstance(w, Notice))
    await touch_at(*notice.center)
    result["notice_after_touch"] = _notice_text(app)
    await tap(app, "home")
    await on_screen(app, "home")
    app.set_language("ar")
    await settle()
    await tap(app, "entry-carte")
    await on_screen(app, "carte")
    result["carte_title_ar"] = carte.ids.header.title
    await shot(app, args.shots, "flows-carte-ar", result)


async def scenario_propose(app, args, result):
    """In the neighbourhood → propose → type a title → kind and day → send → thanks; the
    proposal leaves through the outbox; in Chinese the keyboard gives way to the QR code."""
    p = params(args)
    await wait_until(lambda: all_tids(app, "pole-"), what="pole tiles")
    await tap(app, "entry-offers")
    await on_screen(app, "offers")
    await tap(app, "offers-propose")
    await on_screen(app, "propose")
    result["next_disabled_empty"] = find(app, "propose-next").disabled
    await type_letters(app, p["title"])
    result["typed"] = app.screens["propose"].typed
    result["qr"] = bool(app.screens["propose"].ids.qr.texture)
    await shot(app, args.shots, "flows-propose", result)
    await tap(app, "propose-next")
    await on_screen(app, "propose_details")
    details = app.screens["propose_details"]
    result["send_disabled_before"] = find(app, "propose-send").disabled
    await tap(app, f"category-{p['category']}")
    await tap(app, "when-tomorrow")
    await shot(app, args.shots, "flows-propose-details", result)
    await tap(app, "propose-send")
    result["thanks"] = details.ids.thanks.text
    await shot(app, args.shots, "flows-propose-thanks", result)
    item_id = app.last_proposal_id
    await wait_until(lambda: app.store.outbox_item(item_id).status == "sent",
                     what="proposal sent")
    item = app.store.outbox_item(item_id)
    result["payload"], result["answer"] = item.payload, item.result
    result["typed_after"] = app.screens["propose"].typed
    await tap(app, "home")
    await on_screen(app, "home")
    app.set_language("zh")
    await settle()
    await tap(app, "entry-offers")
    await on_screen(app, "offers")
    await tap(app, "offers-propose")
    await on_screen(app, "propose")
    result["zh_keyboard"] = app.screens["propose"].keyboard_mode
    await shot(app, args.shots, "flows-propose-zh", result)


async def scenario_offline_ticket(app, args, result):
    """The kiosk holds a lease; the network is cut (the server's address points at a closed
    port); a visitor takes a ticket by touch: a leased number at once, marked offline, the
    wait honestly unknown; the link returns and the outbox uploads it."""
    import datetime as dt

    p = params(args)
    await wait_until(lambda: all_tids(app, "pole-"), what="pole tiles")
    day = dt.date.today().isoformat()
    await wait_until(lambda: app.store.lease_remaining(p["service"], day) > 0,
                     what="a lease of numbers")
    result["lease_before"] = app.store.lease_remaining(p["service"], day)
    real_url = app.transport.base_url
    app.transport.base_url = "http://127.0.0.1:9"  # the network is cut
    app.open_service(p["service"])
    await on_screen(app, "service")
    await tap(app, "take-ticket")
    await tap(app, "priority-none")
    await tap(app, "sms-no")
    result.update(await ticket_answer(app))
    screen = app.screens["ticket"]
    result["offline"] = screen.offline
    result["wait_text"] = screen.ids.wait.text
    result["message"] = screen.ids.message.text
    result["qr_shown"] = screen.ids.qr.texture is not None
    result["lease_after"] = app.store.lease_remaining(p["service"], day)
    result["outbox_while_cut"] = app.store.outbox_depth()
    await shot(app, args.shots, "flows-ticket-offline", result)
    app.transport.base_url = real_url  # the link returns
    app.engine.wake()
    await wait_until(lambda: app.store.outbox_depth() == 0, what="upload")
    result["outbox_after"] = app.store.outbox_depth()


async def tap_chip(app, tid: str):
    """Touch an envie chip, first scrolled into view as a finger would swipe the row."""
    chip = await wait_until(lambda: find(app, tid), what=f"chip {tid!r}")
    app.screens["offers"].ids.interests_scroll.scroll_to(chip, padding=0, animate=False)
    await settle()
    await tap(app, tid)


async def scenario_offers_interests(app, args, result):
    """Search "jard" → the envie "Nature et jardin" → its offers; a second envie (either one),
    with an age, one off again; read aloud; the idle reset forgets them; Arabic (mirrored)."""
    await wait_until(lambda: all_tids(app, "pole-"), what="pole tiles")
    await tap(app, "entry-search")
    await on_screen(app, "search")
    await type_letters(app, "jard")
    result["search_results"] = all_tids(app, "result-")
    await tap(app, "result-interest-nature")
    await on_screen(app, "offers")
    screen = app.screens["offers"]
    result["chips"] = all_tids(app, "interest-")
    result["targets"] = touch_targets(app)
    result["offers_nature"] = all_tids(app, "offer-")
    await tap_chip(app, "interest-numerique")
    result["offers_nature_numerique"] = all_tids(app, "offer-")
    result["selected"] = sorted(w.tid for w in screen.ids.interests.children if w.selected)
    result["speech"] = screen.speech_text()
    await shot(app, args.shots, "flows-offers-interests", result)
    await tap(app, "age-child")
    result["offers_child_nature_numerique"] = all_tids(app, "offer-")
    await tap_chip(app, "interest-nature")  # touched again: off
    result["offers_child_numerique"] = all_tids(app, "offer-")
    result["before_reset"] = list(screen.chosen)
    app.idle_reset()
    await on_screen(app, "home")
    result["after_reset"] = [list(screen.chosen), screen.age]
    result["chips_selected_after_reset"] = [w.tid for w in screen.ids.interests.children
                                            if w.selected]
    app.set_language("ar")
    await settle()
    await tap(app, "entry-offers")
    await on_screen(app, "offers")
    result["offers_after_reset"] = all_tids(app, "offer-")
    result["speech_none_chosen"] = screen.speech_text()
    await tap_chip(app, "interest-nature")
    result["offers_nature_ar"] = all_tids(app, "offer-")
    from kiosk.domain.content import INTERESTS

    order = list(INTERESTS)
    chips = sorted(screen.ids.interests.children, key=lambda w: order.index(w.slug))
    result["chip_x_ar"] = [w.to_window(w.x, w.y)[0] for w in chips]
    result["chip_labels_ar"] = [w.label for w in chips]
    result["targets_ar"] = touch_targets(app)
    await shot(app, args.shots, "flows-offers-interests-ar", result)
    app.set_language("fr")


async def scenario_service_plan(app, args, result):
    """Home → pole → service: the floor plan agents uploaded (its image synced by hash), the
    service's spot and the plan's landmarks; their names again in English.
    (Rewritten after an accidental overwrite by a concurrent edit; see tests/ui/test_flows.py
    test_a_service_shows_its_synced_floor_plan_with_landmarks for what it must report.)"""
    from kiosk.sync.assets import plan_file

    p = params(args)
    await wait_until(lambda: all_tids(app, "pole-"), what="pole tiles")
    synced = str(Path(app.settings.data_dir) / "assets")
    result["synced_dir"] = synced
    service = app.store.service(p["service"])
    await wait_until(lambda: plan_file(app.store, synced, app.settings.assets_dir,
                                       service.plan).startswith(synced),
                     what="the synced plan image")
    await tap(app, f"pole-{p['pole']}")
    await on_screen(app, "pole")
    await tap(app, f"service-{p['service']}")
    await on_screen(app, "service")
    plan = app.screens["service"].ids.plan
    await wait_until(lambda: len(plan.markers) and all(m.texture_size[0] for m in plan.markers),
                     what="plan landmarks")
    await settle()  # markers placed on the next frame

    def read_plan(widget) -> dict:
        img = widget.ids.img
        width, height = img.norm_image_size
        left, top = img.center_x - width / 2, img.center_y + height / 2
        return {"spot": [left + widget.spot_x * width, top - widget.spot_y * height],
                "image_box": [left, top - height, width, height],
                "markers": [[m.hid, m.text] for m in widget.markers],
                "marker_boxes": [[*m.pos, *m.size] for m in widget.markers],
                "marker_dots": [[m.dot_x, m.dot_y] for m in widget.markers]}

    result["plan_source"] = plan.source
    result.update(read_plan(plan))
    await shot(app, args.shots, "flows-service-plan", result)
    app.set_language("en")
    await settle()
    app.screens["service"].show(p["service"])
    await settle()
    result["markers_en"] = read_plan(plan)["markers"]
    app.set_language("fr")


SCENARIOS = {"home": scenario_home, "service_plan": scenario_service_plan, "ticket": scenario_ticket, "escape": scenario_escape,
             "situation_ticket": scenario_situation_ticket, "priority_sms": scenario_priority_sms,
             "search": scenario_search, "assist": scenario_assist, "idle": scenario_idle,
             "languages": scenario_languages, "accessibility": scenario_accessibility,
             "offers": scenario_offers, "propose": scenario_propose,
             "offers_interests": scenario_offers_interests,
             "offline_ticket": scenario_offline_ticket}


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
    parser.add_argument("--param", action="append", help="key=value for a scenario")
    args = parser.parse_args()

    from kiosk.config import load_config
    from kiosk.ui.app import make_app

    app = make_app(load_config(args.config), device_config=args.config)
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
