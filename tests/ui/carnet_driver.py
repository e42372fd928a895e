"""Driver scenarios for the carnet on the kiosk (tests/ui/test_carnet.py, and one visit of
the whole journey, tests/ui/test_carnet_whole_journey.py).

    python -m tests.ui.carnet_driver carnet|carnet_visit --config kiosk.toml --out r.json --shots DIR

The same driver as tests/ui/driver.py (its helpers and main), with two more scenarios.
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
    take_plain_ticket,
    tap,
    wait_until,
)


async def _erase(app, count: int) -> None:
    for _ in range(count):
        await tap(app, "pad-erase")


async def _send(app, code: str) -> None:
    await press_digits(app, code)
    await tap(app, "carnet-send")


async def _open_service(app, service_id: str, lang: str) -> None:
    """Home, in `lang`, then the service's screen (its checklist is below the plan)."""
    await wait_until(lambda: driver.all_tids(app, "pole-"), what="pole tiles")
    await settle()
    if lang != app.language:
        await tap(app, f"lang-{lang}")
        await wait_until(lambda: app.language == lang, what=f"language {lang}")
    app.open_service(service_id)
    await on_screen(app, "service")


async def _tick(app, index: int) -> None:
    app.screens["service"].ids.scroll.scroll_to(find(app, f"doc-{index}"), animate=False)
    await settle()
    await tap(app, f"doc-{index}")


async def _take_ticket(app, result: dict) -> None:
    """Take the ticket (no priority, no SMS): the ticket screen's answer and lines."""
    result.update(await take_plain_ticket(app))
    ticket_screen = app.screens["ticket"]
    result["documents_line"] = ticket_screen.ids.documents_line.text
    result["carnet_line"] = ticket_screen.ids.carnet_line.text
    result["speech_ticket"] = app.screen_speech()


def _qr_modules(texture) -> list[list[bool]]:
    """The QR shown, read back from its texture (one texel a module, bottom row first):
    rows top-down, True for a dark module."""
    size = texture.width
    pixels = texture.pixels  # RGBA
    rows = [[pixels[(y * size + x) * 4] < 128 for x in range(size)] for y in range(size)]
    return rows[::-1]


async def scenario_carnet_visit(app, args, result):
    """One visit of the whole journey: in the service's checklist, tick the lines asked
    (`ticks`, indices), optionally type a carnet code ("J'ai un carnet"), take the ticket;
    report the ticket, its lines, and whether the QR shown holds the ticket's phone link."""
    from kiosk.ui.qr import qr_matrix

    p = params(args)
    lang, name = p.get("lang", "fr"), p.get("name", "carnet-visit")
    await _open_service(app, p["service"], lang)
    for index in [int(i) for i in p.get("ticks", "").split(",") if i]:
        await _tick(app, index)
    rows = app.screens["service"].ids.documents.children[::-1]
    result["ticks_shown"] = [row.checked for row in rows]
    await shot(app, args.shots, f"{name}-service", result)
    if p.get("code"):
        await tap(app, "carnet-open")
        await on_screen(app, "carnet")
        await press_digits(app, p["code"])
        await shot(app, args.shots, f"{name}-code", result)
        await tap(app, "carnet-send")
        await on_screen(app, "service")  # the server knew the code: back, with it
        result["carnet_button_after"] = find(app, "carnet-open").label
        await shot(app, args.shots, f"{name}-service-linked", result)
    await _take_ticket(app, result)
    ticket_screen = app.screens["ticket"]
    link = (result.get("ticket") or {}).get("phone_url") or ""
    texture = ticket_screen.ids.qr.texture
    result["qr_holds_phone_url"] = bool(link) and texture is not None \
        and _qr_modules(texture) == [list(row) for row in qr_matrix(link)]
    await shot(app, args.shots, f"{name}-ticket", result)


async def _offline_visit(app, args, result: dict, p: dict, lang: str) -> None:
    """The server unreachable: tick the second line, type the carnet's code (it cannot be
    checked: it goes unchecked), take the ticket (an offline one, from the lease); then the
    link returns and the outbox uploads it. Reported: the screens' lines, the outbox's
    payload and the server's answer."""
    import datetime as dt

    app.go_home()
    await on_screen(app, "home")
    day = dt.date.today().isoformat()
    await wait_until(lambda: app.store.lease_remaining(p["service"], day) > 0,
                     what="a lease of numbers")
    real_url = app.transport.base_url
    app.transport.base_url = "http://127.0.0.1:9"  # the network is cut
    await _open_service(app, p["service"], lang)
    await _tick(app, 1)
    await tap(app, "carnet-open")
    await on_screen(app, "carnet")
    await _send(app, p["code"])
    await on_screen(app, "service")  # offline: back at once, the code unchecked
    offline: dict = {"carnet_button": find(app, "carnet-open").label}
    await _take_ticket(app, offline)
    await shot(app, args.shots, f"carnet-ticket-offline-{lang}", result)
    item_id = offline["ticket"]["outbox_id"]
    offline["payload"] = app.store.outbox_item(item_id).payload
    app.transport.base_url = real_url  # the link returns
    app.engine.wake()
    await wait_until(lambda: app.store.outbox_item(item_id).status == "sent", what="upload")
    offline["answer"] = app.store.outbox_item(item_id).result
    result["offline_visit"] = offline


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
    await _open_service(app, p["service"], lang)
    await _tick(app, 0)
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

    await _take_ticket(app, result)
    result["sent"] = list(sent)  # the online ticket's request (the offline visit sends more)
    result["draft_after"] = app.carnet_draft
    await shot(app, args.shots, f"carnet-ticket-{lang}", result)

    if p.get("offline"):  # the network cut: the ticks and the code go with an offline ticket
        await _offline_visit(app, args, result, p, lang)

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
driver.SCENARIOS["carnet_visit"] = scenario_carnet_visit

if __name__ == "__main__":
    sys.exit(driver.main())
