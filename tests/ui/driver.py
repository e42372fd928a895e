"""Drive the real kiosk app in its own process, with real touch events, and report in JSON.

    python -m tests.ui.driver SCENARIO --config kiosk.toml --out result.json --shots DIR

Kivy creates one window per process, so every UI test runs the app here, in a subprocess,
under the Xvfb display the test started. Touches go through Kivy's whole input pipeline
(EventLoop.post_dispatch_input), as a finger on the touchscreen would.

Nothing here sleeps a fixed time: every step waits for a condition (a widget, a screen, a
state) or for frames of Kivy's clock (`settle`: the layouts, textures and callbacks
scheduled by the last action have run), so a slow machine only makes a run longer. Once the
kiosk's first frame is drawn, frames are drawn only when a step looks at the screen
(touch.looking: screenshots, pixels read).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import traceback
from pathlib import Path

# The primitives, here for the scenarios below and for the other drivers (offline_driver,
# wait_driver) that import them from this module.
from tests.ui.offers_driver import OFFERS_SCENARIOS
from tests.ui.touch import (  # noqa: F401 - re-exported
    DEADLINE,
    _caption_of,
    _notice_text,
    _shown,
    all_tids,
    draw_only_when_looked_at,
    find,
    find_anywhere,
    on_screen,
    params,
    press_digits,
    settle,
    shot,
    take_plain_ticket,
    tap,
    tap_anywhere,
    ticket_answer,
    touch_at,
    touch_targets,
    type_letters,
    wait_until,
)

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
    await take_plain_ticket(app)  # the ticket flow asks first: priority? SMS?
    ticket_screen = app.screens["ticket"]
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
    if args.wait_sync:
        await wait_until(lambda: app.sync_reports > 0, what="first sync report")
    await settle()
    result["escape_swallowed"] = bool(Window.dispatch("on_keyboard", 27, 9, "", []))
    result["close_refused"] = bool(Window.dispatch("on_request_close"))
    await settle()
    result["still_running"] = app.root is not None and app.root.current == "home"
    # The sync thread hands over a content change in the kiosk's last frame: it comes back
    # after the stop below (the test reads the kiosk's output for a traceback).
    app.bridge.to_main(app.refresh_content)()


async def scenario_agent_exit(app, args, result):
    """The agents' way out: five taps in the top-left corner open the PIN dialog; a wrong
    PIN is refused; the dialog opened again is the same one, emptied; the right PIN stops."""
    from kivy.core.window import Window

    await wait_until(lambda: app.exit_gesture is not None, what="devices set up")

    async def gesture():
        for _ in range(app.exit_gesture.taps):
            await touch_at(20, Window.height - 20)
        await wait_until(lambda: find_anywhere(app, "exit-ok"), what="the PIN dialog")
        await settle()

    async def press(digits: str):  # the keypad of the dialog, over the screen
        for digit in digits:
            await tap_anywhere(app, f"pad-{digit}")

    async def pin(digits: str):
        await press(digits)
        await tap_anywhere(app, "exit-ok")

    await gesture()
    first = app.exit_dialog
    await pin(params(args)["wrong"])
    result["wrong_message"] = first.message
    await shot(app, args.shots, "agent-exit-wrong-pin", result)
    await press("12")
    await tap_anywhere(app, "exit-cancel")
    await wait_until(lambda: find_anywhere(app, "exit-ok") is None, what="the dialog closed")
    result["running_after_cancel"] = app.root.current == "home" and not app._released
    await gesture()
    result["same_dialog"] = app.exit_dialog is first
    result["typed_when_reopened"] = first.ids.keypad.text
    result["message_when_reopened"] = first.message
    await press(params(args)["right"])
    # The last tap ends the app: down and up without waiting for frames that will not come.
    from kivy.tests.common import UnitTestTouch

    ok = find_anywhere(app, "exit-ok")
    touch = UnitTestTouch(*ok.to_window(*ok.center))
    touch.touch_down()
    touch.touch_up()
    await wait_until(lambda: app._released, what="the app stopped by the PIN")
    result["stopped_by_pin"] = True


async def scenario_render_check(app, args, result):
    """The layout matrix's render checks find what they look for: labels put on the home
    screen for the test (white on white, a faint grey on white, a character the font lacks,
    drawn without the kiosk's font runs) are reported; the home screen itself is clean."""
    from kivy.uix.label import Label

    from tests.ui import matrix_driver as md
    from tests.ui.render_check import low_contrast, missing_glyphs

    await wait_until(lambda: all_tids(app, "pole-"), what="pole tiles")
    await settle(3)
    screen = app.root.current_screen
    result["clean"] = missing_glyphs(screen) + low_contrast(
        screen, md.thumbnail_full(await md.drawn_frame()))
    latin = app.font  # French: Noto Sans, which has no arrows (the kiosk's runs add one)
    bad = [Label(text="Invisible", color=(1, 1, 1, 1), font_size=40, size_hint=(None, None),
                 size=(300, 80), pos=(40, 300)),
           Label(text="Ghost", color=(0, 0, 0, .15), font_size=40, size_hint=(None, None),
                 size=(300, 80), pos=(40, 400)),
           Label(text="Arrow \u2193", font_name=latin, color=(0, 0, 0, 1), font_size=40,
                 size_hint=(None, None), size=(300, 80), pos=(400, 300))]
    for label in bad:
        label.tid = f"probe-{label.text.split()[0].lower()}"
        with label.canvas.before:
            from kivy.graphics import Color, Rectangle

            Color(1, 1, 1, 1)
            Rectangle(pos=label.pos, size=label.size)
        screen.add_widget(label)
    await settle(3)
    result["found"] = missing_glyphs(screen) + low_contrast(
        screen, md.thumbnail_full(await md.drawn_frame()))
    for label in bad:
        screen.remove_widget(label)


# -- the visitor journeys (tests/ui/test_flows.py) ---------------------------------------


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
    names = {"priority": "flows-priority", "sms_offer": "flows-sms-offer"}
    result.update(await take_plain_ticket(
        app, between=lambda screen: shot(app, args.shots, names[screen], result)))
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
    result.update(await take_plain_ticket(app))
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


SCENARIOS = {"home": scenario_home, "ticket": scenario_ticket, "escape": scenario_escape,
             "agent_exit": scenario_agent_exit, "render_check": scenario_render_check,
             "situation_ticket": scenario_situation_ticket, "priority_sms": scenario_priority_sms,
             "search": scenario_search, "assist": scenario_assist, "idle": scenario_idle,
             "languages": scenario_languages, "accessibility": scenario_accessibility,
             "offline_ticket": scenario_offline_ticket, **OFFERS_SCENARIOS}


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
            draw_only_when_looked_at()
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
