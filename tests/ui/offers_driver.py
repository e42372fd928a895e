"""The kiosk driver's scenarios of the neighbourhood (tests/ui/test_offers.py) and of the
floor plan (tests/ui/test_flows.py); driver.py runs them (its SCENARIOS)."""

from __future__ import annotations

from pathlib import Path

from tests.ui.touch import (
    _notice_text,
    all_tids,
    find,
    on_screen,
    params,
    settle,
    shot,
    tap,
    tap_anywhere,
    touch_targets,
    type_letters,
    wait_until,
)


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
    # No written answer: the "no voice" pictogram and a button to call an agent.
    await wait_until(lambda: app.reading.view is not None, what="no-voice view")
    result["wo_list_notice"] = _notice_text(app)
    result["wo_list_no_voice"] = app.reading.view.ids.picto.source.rsplit("/", 1)[-1]
    await shot(app, args.shots, "flows-notice-wo", result)
    await tap_anywhere(app, "no-voice-close")
    result["notice_after_touch"] = app.reading.view is not None
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


OFFERS_SCENARIOS = {"offers": scenario_offers, "propose": scenario_propose,
                    "offers_interests": scenario_offers_interests,
                    "service_plan": scenario_service_plan}
