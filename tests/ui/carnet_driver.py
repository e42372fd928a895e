"""A driver scenario for the carnet on the kiosk (tests/ui/test_carnet.py).

    python -m tests.ui.carnet_driver carnet --config kiosk.toml --out r.json --shots DIR

The same driver as tests/ui/driver.py (its helpers and main), with one more scenario.
"""

from __future__ import annotations

import sys

from tests.ui import driver
from tests.ui.driver import (
    find,
    on_screen,
    params,
    press_digits,
    settle,
    shot,
    tap,
    ticket_answer,
    wait_until,
)


async def _erase(app, count: int) -> None:
    for _ in range(count):
        await tap(app, "pad-erase")


async def _send(app, code: str) -> None:
    await press_digits(app, code)
    await tap(app, "carnet-send")


async def scenario_carnet(app, args, result):
    """In the language asked: tick the first document of a service, "J'ai un carnet", a
    typo (refused here, nothing sent), a code the server does not know (said, with a way
    on), then a live carnet's code; take the ticket; what went over the wire is recorded."""
    p = params(args)
    lang = p.get("lang", "fr")
    sent: list[dict] = []
    create_ticket = app.transport.create_ticket

    def recording(payload, key):
        sent.append(payload)
        return create_ticket(payload, key)

    app.transport.create_ticket = recording  # the desk calls the app's transport
    await wait_until(lambda: driver.all_tids(app, "pole-"), what="pole tiles")
    await settle()
    if lang != app.language:
        await tap(app, f"lang-{lang}")
        await wait_until(lambda: app.language == lang, what=f"language {lang}")
    app.open_service(p["service"])
    await on_screen(app, "service")
    service = app.screens["service"]
    service.ids.scroll.scroll_to(find(app, "doc-0"), animate=False)  # below the plan
    await settle()
    await tap(app, "doc-0")
    result["carnet_button"] = find(app, "carnet-open").label
    await shot(app, args.shots, f"carnet-service-{lang}", result)

    await tap(app, "carnet-open")
    await on_screen(app, "carnet")
    screen = app.screens["carnet"]
    result["plus_key_hidden"] = find(app, "pad-plus").disabled
    await shot(app, args.shots, f"carnet-keypad-{lang}", result)
    await _send(app, p["typo"])
    await settle()
    result["typo_error"] = screen.error
    result["typo_shown"] = screen.ids.display.text
    result["checks_after_typo"] = app.carnet_checks
    await shot(app, args.shots, f"carnet-typo-{lang}", result)
    await _erase(app, len(p["typo"]))
    await _send(app, p["unknown"])
    await wait_until(lambda: screen.unknown_code, what="the server's 'unknown'")
    await settle()
    result["unknown_error"] = screen.error
    result["unknown_screen"] = app.root.current
    result["speech_unknown"] = app.screen_speech()
    await shot(app, args.shots, f"carnet-unknown-{lang}", result)
    await _erase(app, len(p["unknown"]))
    await _send(app, p["code"])
    await on_screen(app, "service")
    result["carnet_button_after"] = find(app, "carnet-open").label
    result["checks"] = app.carnet_checks
    await shot(app, args.shots, f"carnet-service-linked-{lang}", result)

    await tap(app, "take-ticket")
    await on_screen(app, "priority")
    await tap(app, "priority-none")
    await on_screen(app, "sms_offer")
    await tap(app, "sms-no")
    result.update(await ticket_answer(app))
    ticket_screen = app.screens["ticket"]
    result["documents_line"] = ticket_screen.ids.documents_line.text
    result["carnet_line"] = ticket_screen.ids.carnet_line.text
    result["speech_ticket"] = app.screen_speech()
    result["sent"] = sent
    result["draft_after"] = app.carnet_draft
    await shot(app, args.shots, f"carnet-ticket-{lang}", result)

    if p.get("a11y"):  # large text and high contrast: the carnet's screens still fit
        app.go_home()
        await on_screen(app, "home")
        await tap(app, "mode-large-text")
        await tap(app, "mode-contrast")
        await wait_until(lambda: app.large_text and app.contrast, what="large text, contrast")
        app.open_service(p["service"])
        await on_screen(app, "service")
        await shot(app, args.shots, f"carnet-service-a11y-{lang}", result)
        await tap(app, "carnet-open")
        await on_screen(app, "carnet")
        result["a11y_targets"] = driver.touch_targets(app)
        result["min_target"] = app.min_target
        await shot(app, args.shots, f"carnet-keypad-a11y-{lang}", result)


driver.SCENARIOS["carnet"] = scenario_carnet

if __name__ == "__main__":
    sys.exit(driver.main())
