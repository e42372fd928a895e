"""Driver scenario of the guide du routard (tests/ui/test_guide.py): a life situation with its
tips, and « Pendant l'attente » with the neighbourhood plan, by touch, in the languages asked
and in one accessibility mode; what is on screen is measured and kept, with screenshots.

    python -m tests.ui.guide_driver guide --config kiosk.toml --out r.json --shots DIR \
        --param situation=travaux-habitat --param langs=fr,ar --param mode=large-text
"""

from __future__ import annotations

import sys

from tests.ui import driver
from tests.ui.driver import all_tids, find, on_screen, params, settle, shot, tap, wait_until
from tests.ui.layout_check import problems


def _box(widget) -> list[float]:
    """The widget's rectangle in window coordinates: [x, y, width, height]."""
    x, y = widget.to_window(widget.x, widget.y)
    return [x, y, widget.width, widget.height]


def _situation(app, count: int) -> dict:
    screen = app.screens["situation"]
    rows = list(screen.ids.tips.children[::-1])
    right = screen.ids.right
    return {
        "tips": [r.text for r in rows],
        "tip_tids": [r.tid for r in rows],
        "tip_images": [r.image for r in rows],
        "tip_boxes": [_box(r) for r in rows],
        # The words' texture against their row: cut text would be taller than its row.
        "tip_text_heights": [r.ids.words.texture_size[1] for r in rows],
        "tip_text_widths": [[r.ids.words.x - r.x, r.ids.words.width] for r in rows],
        "tip_image_x": [[r.children[-1].x, r.ids.words.x] for r in rows],  # pictogram, words
        "tips_title_opacity": screen.ids.tips_title.opacity,
        "right_box": _box(right),
        "left_box": _box(screen.ids.left),
        "speech": app.screen_speech(),
        "expected": count,
    }


def _wait_info(app) -> dict:
    screen = app.screens["wait_info"]
    plan = screen.ids.plan
    img = plan.ids.img
    width, height = img.norm_image_size
    left, bottom = img.center_x - width / 2, img.center_y - height / 2
    wx, wy = img.to_window(left, bottom)
    rows = [w for w in screen.ids.places.children[::-1] if getattr(w, "tid", "").startswith("place-")]
    return {
        "source": plan.source,
        "image_rect": [wx, wy, width, height],
        "badges": [{"text": b.text, "center": list(b.to_window(*b.center)), "size": list(b.size)}
                   for b in plan.badges],
        "markers": [{"hid": m.hid, "text": m.text, "box": _box(m)} for m in plan.markers],
        "here": [plan.spot_x, plan.spot_y] if plan.spot_shown else None,
        "pulsing": plan._anim is not None,
        "rows": [{"tid": r.tid, "number": r.number, "label": r.label, "detail": r.detail,
                  "box": _box(r), "label_heights": [c.texture_size[1] for c in r.ids.texts.children],
                  "label_boxes": [c.height for c in r.ids.texts.children]} for r in rows],
        "plan_box": _box(screen.ids.plan_box),
        "list_box": _box(screen.ids.scroll),
        "plan_alt": screen.ids.plan_alt.text,
        "speech": app.screen_speech(),
    }


async def scenario_guide(app, args, result):
    p = params(args)
    situation_id = p["situation"]
    await wait_until(lambda: all_tids(app, "pole-"), what="pole tiles")
    await wait_until(lambda: app.store.situation(situation_id) is not None
                     and app.store.plan("quartier") is not None, what="the guide's content")
    count = len(app.store.situation(situation_id).tips)
    for lang in p.get("langs", "fr").split(","):
        await _tap_scrolled(app, f"lang-{lang}")
        await wait_until(lambda lang=lang: app.language == lang, what=f"language {lang}")
        await _tap_scrolled(app, "entry-situations")
        await on_screen(app, "situations")
        await _open_situation(app, situation_id)
        tips = app.screens["situation"].ids.tips
        await wait_until(lambda tips=tips: len(tips.children) == count, what="the tips")
        app.screens["situation"].ids.right.scroll_y = 0  # the tips are under the services
        await settle(3)
        result[f"situation:{lang}"] = _situation(app, count)
        await shot(app, args.shots, f"guide-situation-{lang}", result)
        await _wait_info_shot(app, args, result, lang, lang)
        await tap(app, "waitinfo-done")
        await on_screen(app, "home")
    mode = p.get("mode", "")
    if mode:
        await _tap_scrolled(app, "lang-fr")
        await _tap_scrolled(app, f"mode-{mode}")
        await settle(3)
        await _tap_scrolled(app, "entry-situations")
        await on_screen(app, "situations")
        await _open_situation(app, situation_id)
        app.screens["situation"].ids.right.scroll_y = 0
        await settle(3)
        result[f"situation:{mode}"] = _situation(app, count)
        result[f"problems:situation:{mode}"] = problems(app)
        await shot(app, args.shots, f"guide-situation-{mode}-fr", result)
        await _wait_info_shot(app, args, result, mode, f"{mode}-fr")
        result[f"problems:wait_info:{mode}"] = problems(app)
        await tap(app, "waitinfo-done")
        await on_screen(app, "home")
        await _tap_scrolled(app, f"mode-{mode}")  # off again
    # The layout check of the matrix (cut text, off screen, overlapping targets) on both
    # screens in the six languages.
    for lang in p.get("check", "").split(","):
        if not lang:
            continue
        await _tap_scrolled(app, f"lang-{lang}")
        await wait_until(lambda lang=lang: app.language == lang, what=f"language {lang}")
        app.open_situation(situation_id)
        await on_screen(app, "situation")
        for view in (app.screens["situation"].ids.left, app.screens["situation"].ids.right):
            view.scroll_y = 0
        await settle(3)
        result[f"problems:situation:{lang}"] = problems(app)
        app.open_wait_info()
        await on_screen(app, "wait_info")
        plan = app.screens["wait_info"].ids.plan
        await wait_until(lambda plan=plan: plan.source and plan.badges, what="the plan")
        await settle(3)
        result[f"problems:wait_info:{lang}"] = problems(app)
        await tap(app, "waitinfo-done")
        await on_screen(app, "home")


async def _tap_scrolled(app, tid: str) -> None:
    """Touch a widget that may be below the fold (eight situations, the home in large
    text): its list scrolled to it first, as a visitor would."""
    from kivy.uix.scrollview import ScrollView

    widget = await wait_until(lambda: find(app, tid), what=f"widget {tid!r}")
    view = widget.parent
    while view is not None and not isinstance(view, ScrollView) and view is not view.parent:
        view = view.parent
    if isinstance(view, ScrollView):
        view.scroll_to(widget, padding=10, animate=False)
        await settle()
    await tap(app, tid)


async def _open_situation(app, situation_id: str) -> None:
    await _tap_scrolled(app, f"situation-{situation_id}")
    await on_screen(app, "situation")


async def _wait_info_shot(app, args, result, key: str, name: str) -> None:
    """« Pendant l'attente » as the ticket screen opens it (no ticket here: the places only)."""
    app.open_wait_info()
    await on_screen(app, "wait_info")
    plan = app.screens["wait_info"].ids.plan
    places = app.store.places()
    on_plan = sum(1 for p in places if p.plan)
    await wait_until(lambda: plan.source and len(plan.badges) == on_plan
                     and plan.ids.img.texture is not None, what="the neighbourhood plan")
    await settle(3)
    result[f"wait_info:{key}"] = _wait_info(app)
    await shot(app, args.shots, f"guide-waitinfo-{name}", result)


driver.SCENARIOS["guide"] = scenario_guide

if __name__ == "__main__":
    sys.exit(driver.main())
