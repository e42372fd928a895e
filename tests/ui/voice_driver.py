"""A driver scenario for "Donner mon avis" on the kiosk (tests/ui/test_voice_kiosk.py).

    python -m tests.ui.voice_driver feedback --config kiosk.toml --out r.json --shots DIR

The same driver as tests/ui/driver.py (its helpers and main), with one more scenario.
"""

from __future__ import annotations

import sys

from tests.ui import driver
from tests.ui.driver import (
    all_tids,
    find,
    on_screen,
    settle,
    shot,
    tap,
    touch_targets,
    type_letters,
    wait_until,
)


async def _faces(app, args, result, lang: str, face: int, pick_pole: bool,
                 photo: bool = True) -> None:
    """Home → "Donner mon avis" → a face (and a pole)."""
    await tap(app, "entry-feedback")
    await on_screen(app, "feedback")
    screen = app.screens["feedback"]
    result[f"{lang}_send_disabled_before"] = find(app, "feedback-next").disabled
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
    result[f"{lang}_next_label"] = find(app, "feedback-next").text
    if photo:
        await shot(app, args.shots, f"voice-kiosk-feedback-{lang}", result)
    await tap(app, "feedback-next")


async def _comment_step(app, args, result, lang: str, word: str) -> None:
    """The optional word: its notice, the keyboard, the word typed, photographed."""
    await on_screen(app, "feedback_comment")
    screen = app.screens["feedback_comment"]
    result[f"{lang}_comment_send_disabled_before"] = find(app, "feedback-send").disabled
    result[f"{lang}_notice"] = find(app, "feedback-notice").text
    result[f"{lang}_title"] = screen.ids.header.title
    await type_letters(app, word)
    await settle()
    result[f"{lang}_typed"] = screen.ids.typed.text
    result[f"{lang}_comment_send_disabled_after"] = find(app, "feedback-send").disabled
    result[f"{lang}_comment_targets"] = [t for t in touch_targets(app)
                                         if t["tid"].startswith(("key-", "feedback-"))]
    result[f"{lang}_comment_x"] = {tid: find(app, tid).to_window(*find(app, tid).pos)[0]
                                   for tid in ("feedback-skip", "feedback-send")}
    result[f"{lang}_comment_speech"] = screen.speech_text()
    await shot(app, args.shots, f"voice-kiosk-comment-{lang}", result)


async def _uploaded(app, args, result, lang: str) -> None:
    """Thanks at once, on the faces' screen; then the outbox row as the server answered it."""
    screen = app.screens["feedback"]
    await on_screen(app, "feedback")
    result[f"{lang}_thanks"] = screen.ids.thanks.text
    result[f"{lang}_qr"] = bool(screen.ids.qr.texture)
    await shot(app, args.shots, f"voice-kiosk-thanks-{lang}", result)
    item_id = screen.last_item_id
    await wait_until(lambda: app.store.outbox_item(item_id).status == "sent",
                     what="answer uploaded")
    item = app.store.outbox_item(item_id)
    result[f"{lang}_kind"], result[f"{lang}_payload"] = item.kind, item.payload
    result[f"{lang}_answer"] = item.result
    comment = app.screens.get("feedback_comment")
    result[f"{lang}_typed_after"] = comment.ids.typed.text if comment is not None else ""


async def scenario_feedback(app, args, result):
    """Home → "Donner mon avis" → a face and a pole → a word typed → send with the network
    cut: thanks at once, uploaded from the outbox once the link returns; then in Arabic
    (mirrored), a face without a pole, a word typed then "Passer"; then in Chinese (no
    keyboard), the face sent at once; then a word left typed, wiped by the idle reset."""
    import requests

    await wait_until(lambda: all_tids(app, "pole-"), what="pole tiles")
    result["entry_label"] = find(app, "entry-feedback").text

    await _faces(app, args, result, "fr", 4, pick_pole=True)
    await _comment_step(app, args, result, "fr", "trop d'attente")
    faces = app.screens["feedback"]
    session = app.transport._session
    real_request = session.request

    def cut(*_args, **_kwargs):
        raise requests.ConnectionError("network cut by the test")

    session.request = cut  # the kiosk is offline: the visitor is thanked all the same
    await tap(app, "feedback-send")
    await wait_until(lambda: faces.sent, what="answer queued")
    item_id = faces.last_item_id
    app.engine.wake()
    await wait_until(lambda: app.store.outbox_item(item_id).attempts >= 1,
                     what="an upload tried offline")
    result["fr_offline_status"] = app.store.outbox_item(item_id).status
    session.request = real_request  # the link returns
    app.engine.wake()
    await _uploaded(app, args, result, "fr")
    await tap(app, "back")  # after the thanks: home, never the faces already sent
    await on_screen(app, "home")
    result["fr_back_to"] = app.root.current

    app.set_language("ar")
    await settle()
    result["entry_label_ar"] = find(app, "entry-feedback").text
    await _faces(app, args, result, "ar", 2, pick_pole=False)
    await _comment_step(app, args, result, "ar", "شكرا")
    await tap(app, "feedback-skip")
    await wait_until(lambda: faces.sent, what="answer queued")
    await _uploaded(app, args, result, "ar")
    await tap(app, "home")
    await on_screen(app, "home")

    app.set_language("zh")
    await settle()
    await _faces(app, args, result, "zh", 5, pick_pole=False)
    await wait_until(lambda: faces.sent, what="answer queued")
    result["zh_screen"] = app.root.current
    await _uploaded(app, args, result, "zh")
    await tap(app, "home")
    await on_screen(app, "home")
    # A word typed and left there: the idle reset (what the idle timer calls) wipes it.
    app.set_language("fr")
    await settle()
    await _faces(app, args, result, "idle", 3, pick_pole=False, photo=False)
    await on_screen(app, "feedback_comment")
    await type_letters(app, "abc")
    result["idle_typed_before"] = app.screens["feedback_comment"].typed
    app.idle_reset()
    await on_screen(app, "home")
    comment = app.screens["feedback_comment"]
    result["idle_typed_after"] = [comment.typed, comment.ids.keyboard.text,
                                  comment.ids.typed.text, faces.face]
    result["min_target"] = app.min_target


driver.SCENARIOS["feedback"] = scenario_feedback

if __name__ == "__main__":
    sys.exit(driver.main())
