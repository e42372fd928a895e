"""A driver scenario for what the kiosk tells of the wait (tests/ui/test_wait_texts.py).

    python -m tests.ui.wait_driver wait_texts --config kiosk.toml --out r.json --shots DIR

The same driver as tests/ui/driver.py (its helpers and main), with one more scenario: a
visitor takes a real ticket by touch, then the ticket screen is shown with each kind of
wait the server may answer (a range, "stay in the hall", "not today"), in the languages
asked, and the texts and screenshots are kept.
"""

from __future__ import annotations

import sys

from tests.ui import driver
from tests.ui.driver import (
    all_tids,
    on_screen,
    params,
    settle,
    shot,
    take_plain_ticket,
    wait_until,
)

VARIANTS = {
    "range": {"wait_status": "estimated", "estimated_wait_minutes": 30,
              "wait_low_minutes": 20, "wait_high_minutes": 41},
    "soon": {"wait_status": "soon", "estimated_wait_minutes": 6,
             "wait_low_minutes": None, "wait_high_minutes": None},
    "not_today": {"wait_status": "not_today", "estimated_wait_minutes": None,
                  "wait_low_minutes": None, "wait_high_minutes": None},
}


async def scenario_wait_texts(app, args, result):
    p = params(args)
    await wait_until(lambda: all_tids(app, "pole-"), what="pole tiles")
    app.open_service(p["service"])
    await on_screen(app, "service")
    wait = app.screens["service"].ids.wait
    await wait_until(lambda: wait.text and wait.text != app.tr("wait_loading"),
                     what="the service's current wait")
    result["service_wait"] = wait.text
    result.update(await take_plain_ticket(app))
    screen = app.screens["ticket"]
    real = dict(screen.ticket)
    result["real_wait_status"] = real.get("wait_status")
    result["real_wait_text"] = screen.ids.wait.text
    texts = {}
    for lang in p.get("langs", "fr").split(","):
        app.set_language(lang)
        await settle()
        for name, wire in VARIANTS.items():
            screen.ready({**real, **wire})
            await settle(3)
            texts[f"{lang}:{name}"] = screen.ids.wait.text
            await shot(app, args.shots, f"ticket-wait-{name}-{lang}", result)
    result["texts"] = texts


driver.SCENARIOS["wait_texts"] = scenario_wait_texts

if __name__ == "__main__":
    sys.exit(driver.main())
