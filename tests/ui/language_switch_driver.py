"""A language visited leaves nothing behind: each screen of the layout matrix drawn in
French, then in Arabic (right to left), then in French again must come back pixel for pixel.

    python -m tests.ui.language_switch_driver language_switch --config kiosk.toml --out r.json --shots DIR

The matrix runs one language per process and never switches: this is the check for what a
right-to-left visitor leaves to the next one (texts kept to one side, mirrored rows kept
mirrored). Each step waits for the screen to be current and drawn (matrix_driver.quiet).
"""

from __future__ import annotations

import sys

from tests.ui import driver
from tests.ui import matrix_driver as md
from tests.ui.touch import wait_until


async def _draw(app, code: str, open_screen, screen_name: str) -> bytes:
    if app.language != code:
        app.set_language(code)
        await wait_until(lambda: app.language == code, what=f"language {code}")
    app.idle.activity()
    open_screen()
    await wait_until(lambda: md._answered(app, screen_name), what=f"screen {screen_name}")
    if screen_name == "service":  # the wait card, once the server's answer is in
        card = app.root.get_screen("service").ids.wait
        await wait_until(lambda: card.text and card.text != app.tr("wait_loading"),
                         what="the service's wait")
    await md.quiet(app)
    return md.frame()


async def scenario_language_switch(app, args, result):
    await wait_until(lambda: driver.all_tids(app, "pole-"), what="pole tiles")
    other = dict(p.split("=", 1) for p in args.param or []).get("via", "ar")
    changed, checked = {}, []
    for name, open_screen, screen_name in md._screens(app):
        before = await _draw(app, "fr", open_screen, screen_name)
        await _draw(app, other, open_screen, screen_name)
        after = await _draw(app, "fr", open_screen, screen_name)
        checked.append(name)
        if after != before:
            changed[name] = md._changed_box(before, after)
            md.thumbnail_full(before).save(args.shots / f"language-switch-{name}-before.png")
            md.thumbnail_full(after).save(args.shots / f"language-switch-{name}-after.png")
    result["checked"] = checked
    result["changed"] = changed


driver.SCENARIOS["language_switch"] = scenario_language_switch

if __name__ == "__main__":
    sys.exit(driver.main())
