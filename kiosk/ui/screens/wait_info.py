"""While you wait: what happens today in the neighbourhood (the AMAP, a swap...), places
nearby with their walking time (the Buttes-Chaumont, a café, the library...) as numbered
spots on the neighbourhood plan with the list beside it, and the reminder that an SMS (or
the QR) tells when to come back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from kiosk.domain.clock import site_today
from kiosk.domain.content import neighbourhood_spots, offers_on
from kiosk.ui.guide_widgets import HERE, PlaceRow
from kiosk.ui.screens.base import KioskScreen, load_kv
from kiosk.ui.screens.offers import offer_row
from kiosk.ui.widgets import Text, discard_children

load_kv(__file__)


def place_detail(app, place) -> str:
    parts = [app.tr("walking_minutes", minutes=place.walking_minutes)]
    summary = app.localized(place.summary)
    if summary:
        parts.append(summary)
    address = app.localized(place.address)
    if address:
        parts.append(address)
    return "  ·  ".join(parts)


def intro_key(ticket: dict | None, sms: bool) -> str:
    """What the visitor can count on: an offline ticket not uploaded yet has no working
    phone page nor SMS before the link returns, so "stay near" rather than "go out"."""
    ticket = ticket or {}
    if ticket.get("offline") and not ticket.get("uploaded"):
        return "waitinfo_offline_sms" if sms else "waitinfo_offline_qr"
    return "waitinfo_sms" if sms else "waitinfo_qr"


def neighbourhood_plan(app, places) -> tuple[str, dict[str, int], list, tuple[float, float] | None]:
    """(image file, {place id: number}, landmarks [(id, x, y, text)], the mairie's spot) of
    the plan most places name; ("", {}, [], None) without a plan or its image."""
    plan_id, spots = neighbourhood_spots(places)
    if not plan_id:
        return "", {}, [], None
    from kiosk.sync.assets import plan_file

    source = plan_file(app.store, Path(app.settings.data_dir) / "assets",
                       app.settings.assets_dir, plan_id)
    if not source:
        return "", {}, [], None
    plan = app.store.plan(plan_id)
    landmarks = list(plan.hotspots) if plan is not None else []
    here = next(((h.x, h.y) for h in landmarks if h.id == HERE), None)
    return (source, {place.id: number for number, place in spots},
            [(h.id, h.x, h.y, app.localized(h.label)) for h in landmarks], here)


class WaitInfoScreen(KioskScreen):
    def show(self, ticket: dict | None, sms: bool, today: dt.date | None = None) -> None:
        app = self.app
        today = today or site_today()
        number = (ticket or {}).get("number", "")
        self.ids.number.text = f"{app.tr('your_number')} : {number}" if number else ""
        self.ids.intro.text = app.tr(intro_key(ticket, sms))
        places = app.store.places()  # in the agents' order (usually the nearest first)
        numbers = self._show_plan(places)
        grid = self.ids.places
        discard_children(grid)
        events = offers_on(app.store.offers(), today)
        # The places first: the list beside the plan, in the order of its numbers.
        if places and events:
            grid.add_widget(Text(text=app.tr("waitinfo_places"), bold=True,
                                 color=app.palette["primary"]))
        for place in places:
            grid.add_widget(PlaceRow(
                tid=f"place-{place.id}", number=str(numbers.get(place.id, "")),
                image=app.pictogram(place.pictogram or "quartier"),
                label=app.localized(place.name), detail=place_detail(app, place)))
        if events:
            grid.add_widget(Text(text=app.tr("waitinfo_events"), bold=True,
                                 color=app.palette["primary"]))
            for offer in events:
                grid.add_widget(offer_row(app, offer, today))
        if not places and not events:
            grid.add_widget(Text(text=app.tr("waitinfo_empty"), centred=True))
        self.ids.scroll.scroll_y = 1
        self._order_columns()

    def _show_plan(self, places) -> dict[str, int]:
        """The plan beside the list (hidden without one); the places' numbers on it."""
        app, plan, box = self.app, self.ids.plan, self.ids.plan_box
        source, numbers, landmarks, here = neighbourhood_plan(app, places)
        plan.source = source
        plan.set_hotspots(landmarks)
        plan.set_here(here)
        by_id = {p.id: p for p in places}
        plan.set_places([(n, by_id[pid].plan_x, by_id[pid].plan_y) for pid, n in numbers.items()])
        self.ids.plan_alt.text = app.tr("waitinfo_plan_alt") if source else ""
        box.opacity = 1 if source else 0
        box.size_hint_x = .55 if source else None
        if not source:
            box.width = 0
        return numbers

    def _order_columns(self) -> None:
        """Right-to-left languages read the page from the right: the plan goes right."""
        body, box, scroll = self.ids.body, self.ids.plan_box, self.ids.scroll
        wanted = [scroll, box] if self.app.rtl else [box, scroll]
        if list(reversed(body.children)) != wanted:
            body.clear_widgets()
            for widget in wanted:
                body.add_widget(widget)

    def on_enter(self, *_args):
        plan = self.ids.plan
        if plan.source and plan.spot_shown:
            plan.start_pulse()

    def on_leave(self, *_args):
        self.ids.plan.stop_pulse()

    def wipe(self) -> None:
        self.ids.number.text = ""

    def speech_text(self) -> str:
        rows = [w for w in self.ids.places.children[::-1] if hasattr(w, "label")]
        return ". ".join([self.ids.number.text, self.ids.intro.text, self.ids.plan_alt.text]
                         + [f"{r.number} {r.label}, {r.detail}".strip()
                            if getattr(r, "number", "") else f"{r.label}, {r.detail}"
                            for r in rows])
