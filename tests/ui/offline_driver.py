"""A driver scenario for offline tickets that keep their promises (tests/ui/test_offline_promises.py).

    python -m tests.ui.offline_driver offline_promises --config kiosk.toml --out r.json --shots DIR

The same driver as tests/ui/driver.py (its helpers and main), with one more scenario.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys

from tests.ui import driver
from tests.ui.driver import (
    all_tids,
    on_screen,
    params,
    press_digits,
    settle,
    shot,
    tap,
    ticket_answer,
    wait_until,
)


def _same_texture(texture, expected) -> bool:
    return (texture is not None and expected is not None and texture.size == expected.size
            and bytes(texture.pixels) == bytes(expected.pixels))


async def _wait_info(app) -> str:
    await tap(app, "while-waiting")
    await on_screen(app, "wait_info")
    return app.screens["wait_info"].ids.intro.text


async def scenario_offline_promises(app, args, result):
    """The kiosk's network is cut (its HTTP session refuses every request; the server is
    up); a visitor, in the language asked, takes a ticket with an SMS by touch; then the
    link returns and the outbox uploads the ticket, with the phone number."""
    import requests

    from kiosk.ui.qr import qr_texture

    p = params(args)
    lang = p.get("lang", "fr")
    await wait_until(lambda: all_tids(app, "pole-"), what="pole tiles")
    day = dt.date.today().isoformat()
    await wait_until(lambda: app.store.lease_remaining(p["service"], day) > 0,
                     what="a lease of numbers")
    session = app.transport._session
    real_request = session.request

    def cut(*_args, **_kwargs):
        raise requests.ConnectionError("network cut by the test")

    session.request = cut
    if lang != app.language:
        app.set_language(lang)
        await settle()
    app.open_service(p["service"])
    await on_screen(app, "service")
    await tap(app, "take-ticket")
    await on_screen(app, "priority")
    await tap(app, "priority-none")
    await on_screen(app, "sms_offer")
    await shot(app, args.shots, f"offline-sms-offer-{lang}", result)  # the privacy notice
    await tap(app, "sms-yes")
    await on_screen(app, "sms_phone")
    await press_digits(app, p["phone"])
    await tap(app, "sms-consent")
    await shot(app, args.shots, f"offline-sms-phone-{lang}", result)
    await tap(app, "sms-send")
    result.update(await ticket_answer(app))
    screen = app.screens["ticket"]
    ticket = screen.ticket
    result.update(
        offline=screen.offline, message=screen.ids.message.text, wait_text=screen.ids.wait.text,
        phone_url=ticket["phone_url"], qr_box_opacity=screen.ids.qr_box.opacity,
        qr_box_width=screen.ids.qr_box.width,
        qr_is_the_link=_same_texture(screen.ids.qr.texture, qr_texture(ticket["phone_url"])),
        outbox_has_phone="phone" in app.store.outbox_item(ticket["outbox_id"]).payload,
    )
    await shot(app, args.shots, f"offline-ticket-sms-{lang}", result)
    page = await asyncio.to_thread(requests.get, ticket["phone_url"], timeout=30)
    result["link_before"] = [page.status_code, "Votre ticket est en route" in page.text]
    result["waitinfo_offline"] = await _wait_info(app)
    await shot(app, args.shots, f"offline-wait-info-{lang}", result)
    await tap(app, "back")
    await on_screen(app, "ticket")

    session.request = real_request  # the link returns
    app.engine.wake()
    await wait_until(lambda: app.store.outbox_depth() == 0, what="the upload")
    result["payload_after"] = app.store.outbox_item(ticket["outbox_id"]).payload
    page = await asyncio.to_thread(requests.get, ticket["phone_url"], timeout=30)
    result["link_after"] = [page.status_code, ticket["number"] in page.text,
                            "en route" in page.text]
    result["waitinfo_uploaded"] = await _wait_info(app)
    await shot(app, args.shots, f"offline-wait-info-uploaded-{lang}", result)


driver.SCENARIOS["offline_promises"] = scenario_offline_promises

if __name__ == "__main__":
    sys.exit(driver.main())
