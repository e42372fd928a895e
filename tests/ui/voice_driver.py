"""A driver scenario for "Donner mon avis" on the kiosk (tests/ui/test_voice_kiosk.py).

    python -m tests.ui.voice_driver feedback --config kiosk.toml --out r.json --shots DIR

The same driver as tests/ui/driver.py (its helpers and main), with one more scenario.
"""

from __future__ import annotations

import sys

from tests.ui import driver
from tests.ui.driver import all_tids, find, on_screen, settle, shot, tap, touch_targets, wait_until


async def _answer(app, args, result, lang: str, face: int, pick_pole: bool) -> None:
    await tap(app, "entry-feedback")
    await on_screen(app, "feedback")
    screen = app.screens["feedback"]
    result[f"{lang}_send_disabled_before"] = find(app, "feedback-send").disabled
    result[f"{lang}_faces"] = all_tids(app, "face-")
    result[f"{lang}_face_labels"] = [find(app, f"face-{n}").label for n in range(1, 6)]
    result[f"{lang}_face_x"] = [find(app, f"face-{n}").to_window(*find(app, f"face-{n}").pos)[0]
                                for n in range(1, 6)]
    result[f"{lang}_poles"] = all_tids(app, "pole-")
    await tap(app, f"face-{face}")
    if pick_pole:
        await tap(app, result[f"{lang}_poles"][0])
    result[f"{lang}_selected"] = [t for t in result[f"{lang}_faces"] if find(app, t).selected]
    result[f"{lang}_targets"] = [t for t in touch_targets(app)
                                 if t["tid"].startswith(("face-", "pole-", "feedback-"))]
    result[f"{lang}_speech"] = screen.speech_text()
    await shot(app, args.shots, f"voice-kiosk-feedback-{lang}", result)
    await tap(app, "feedback-send")
    await wait_until(lambda: screen.sent, what="answer queued")
    result[f"{lang}_thanks"] = screen.ids.thanks.text
    result[f"{lang}_qr"] = bool(screen.ids.qr.texture)
    await shot(app, args.shots, f"voice-kiosk-thanks-{lang}", result)
    item_id = screen.last_item_id
    await wait_until(lambda: app.store.outbox_item(item_id).status == "sent",
                     what="answer uploaded")
    item = app.store.outbox_item(item_id)
    result[f"{lang}_kind"], result[f"{lang}_payload"] = item.kind, item.payload
    result[f"{lang}_answer"] = item.result
    await tap(app, "home")
    await on_screen(app, "home")


async def scenario_feedback(app, args, result):
    """Home → "Donner mon avis" → a face and a pole → send → thanks, uploaded from the
    outbox; then in Arabic (mirrored), a face without a pole."""
    await wait_until(lambda: all_tids(app, "pole-"), what="pole tiles")
    result["entry_label"] = find(app, "entry-feedback").text
    await _answer(app, args, result, "fr", 4, pick_pole=True)
    app.set_language("ar")
    await settle()
    result["entry_label_ar"] = find(app, "entry-feedback").text
    await _answer(app, args, result, "ar", 2, pick_pole=False)
    result["min_target"] = app.min_target


driver.SCENARIOS["feedback"] = scenario_feedback

if __name__ == "__main__":
    sys.exit(driver.main())
