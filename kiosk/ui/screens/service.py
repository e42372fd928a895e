"""A service: where to go (floor plan, spot marked), today's hours, the documents as a
checklist, the current wait, take a ticket, and this page on the phone (QR)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from kivy.clock import Clock
from kivy.properties import BooleanProperty, StringProperty

import kiosk.ui.flow_widgets  # noqa: F401  (PlanView, CheckRow, Panel, FlowFooter)
from kiosk.domain.clock import site_today
from kiosk.domain.documents import free_lines, ticks_wire
from kiosk.domain.wait import NOT_TODAY, UNKNOWN, shown_from_wire
from kiosk.ui.carnet_flow import shown_code
from kiosk.ui.flow_widgets import CheckRow
from kiosk.ui.links import public_url
from kiosk.ui.qr import qr_texture
from kiosk.ui.screens.base import KioskScreen, load_kv
from kiosk.ui.widgets import discard_children

load_kv(__file__)


def plan_image(app, service) -> str:
    """The floor plan's file for this service: the plan agents uploaded (synced), else the
    one bundled with the kiosk under that name; "" (no plan set, or none to show)."""
    if not service.plan:
        return ""
    from kiosk.sync.assets import plan_file

    return plan_file(app.store, Path(app.settings.data_dir) / "assets",
                     app.settings.assets_dir, service.plan)


def plan_hotspots(app, service) -> list[tuple[str, float, float, str]]:
    """The landmarks of the service's synced plan, named in the visitor's language (French
    when missing): [(id, x, y, text)]; [] without a synced plan."""
    plan = app.store.plan(service.plan) if service.plan else None
    if plan is None:
        return []
    return [(h.id, h.x, h.y, app.localized(h.label)) for h in plan.hotspots]


def checklist(item) -> tuple:
    """A service's (or situation's) checklist lines: key, pictogram, names; an item built
    without its entries (older code, tests) reads its texts as free lines."""
    return item.document_lines or free_lines(item.documents)


def service_page_url(app, service_id: str) -> str:
    """The service's public page, to carry its information away on a phone."""
    return public_url(app, f"/s/{service_id}")


def wait_text(app, status: dict | None) -> str:
    if not isinstance(status, dict) or status.get("waiting") is None:
        return app.tr("wait_unknown_offline")
    waiting = int(status.get("waiting") or 0)
    shown = shown_from_wire(status)
    if shown.status == NOT_TODAY:
        return app.tr("wait_not_today")
    if waiting == 0 and shown.status != UNKNOWN:
        return app.tr("wait_nobody")
    if shown.minutes is None:
        return app.tr("wait_people_unknown", waiting=waiting)
    if shown.wide:
        return app.tr("wait_people_range", waiting=waiting, low=shown.low, high=shown.high)
    return app.tr("wait_people", waiting=waiting, minutes=shown.minutes)


class ServiceScreen(KioskScreen):
    service_id = None
    carnet_shown = StringProperty("")  # "123 456 7890": the carnet typed for this service
    has_phone_link = BooleanProperty(False)
    phone_fits = BooleanProperty(True)  # room left in the side column for the QR panel

    def on_kv_post(self, base_widget):
        self._fit_trigger = Clock.create_trigger(self._fit_side)
        self.ids.side_scroll.bind(height=self._fit_trigger)
        for child in self.ids.side.children:
            child.bind(height=self._fit_trigger)

    def _fit_side(self, *_args) -> None:
        """The wait, "take a ticket" and "I have a carnet" come first in the side column;
        the phone's QR panel only when there is room left for it (large text: it would
        push the buttons over the header)."""
        side, panel = self.ids.side, self.ids.phone_panel
        fixed = [w for w in side.children if w is not panel and w.size_hint_y is None]
        used = sum(w.height for w in fixed) + side.spacing * len(fixed)
        self.phone_fits = panel.minimum_height <= self.ids.side_scroll.height - used
        self._action_first()

    def _action_first(self) -> None:
        """"Take a ticket" is always in sight without scrolling: when the wait card and the
        button do not fit together (large text with lower reach: the column starts half
        way down), the button and the carnet's go above the wait card."""
        side, ids = self.ids.side, self.ids
        first = [ids.wait_panel, ids.ticket, ids.carnet]
        if ids.wait_panel.height + side.spacing + ids.ticket.height > ids.side_scroll.height:
            first = [ids.ticket, ids.carnet, ids.wait_panel]
        if list(reversed(side.children))[:3] == first:
            return
        for widget in first:
            side.remove_widget(widget)
        for widget in reversed(first):  # each one added on top of the column
            side.add_widget(widget, index=len(side.children))

    def show(self, service_id: str, today: dt.date | None = None) -> bool:
        app = self.app
        service = app.store.service(service_id)
        if service is None:
            return False
        pole = next((p for p in app.store.poles() if p.id == service.pole), None)
        same = service_id == self.service_id
        self.service_id = service_id
        self.ids.header.title = service.title(app.language)
        if pole is not None:
            self.ids.header.bg = pole.color
        self.ids.summary.text = app.localized(service.summary)
        self.ids.place.text = app.localized(service.place) or "—"
        self._show_plan(service)
        today = today or site_today()
        closures = app.store.closures()
        self.ids.hours.text = service.hours_text(today, closures, app.tr, app.language)
        self._show_documents(service, keep_ticks=same)
        self.ids.ticket.disabled = not service.ticketing
        self.ids.ticket.opacity = 1 if service.ticketing else 0
        self.ids.appointment.text = "" if service.ticketing else app.tr("by_appointment")
        code = app.carnet_for(service_id)
        self.carnet_shown = shown_code(code)
        url = service_page_url(app, service_id)
        self.ids.qr.texture = qr_texture(url) if url else None
        self.has_phone_link = bool(url)
        self.ids.wait.text = app.tr("wait_loading")
        app.queue_status(lambda services, sid=service_id: self._show_wait(sid, services))
        if not same:
            self.ids.scroll.scroll_y = 1
        self._order_columns()
        return True

    def _order_columns(self) -> None:
        """Right-to-left languages read the page from the right: the columns swap."""
        body, scroll, side = self.ids.body, self.ids.scroll, self.ids.side_scroll
        wanted = [side, scroll] if self.app.rtl else [scroll, side]
        if list(reversed(body.children)) != wanted:
            body.clear_widgets()
            for widget in wanted:
                body.add_widget(widget)

    def _show_plan(self, service) -> None:
        app, plan = self.app, self.ids.plan
        plan.source = plan_image(app, service)
        plan.spot_x, plan.spot_y = service.plan_spot  # 0.0 is a spot, not "unset"
        plan.set_hotspots(plan_hotspots(app, service) if plan.source else [])
        self.ids.plan_alt.text = app.tr("plan_alt") if plan.source else ""
        if plan.source:
            plan.start_pulse()
        else:
            plan.stop_pulse()

    def _show_documents(self, service, keep_ticks: bool) -> None:
        app, docs = self.app, self.ids.documents
        ticked = {row.tid for row in docs.children if row.checked} if keep_ticks else set()
        discard_children(docs)
        for index, line in enumerate(checklist(service)):
            # tid = the line's place in the content: tickets and the carnet refer to it
            row = CheckRow(tid=f"doc-{index}", text=app.localized(line.shown()),
                           image=app.pictogram(line.pictogram), checked=f"doc-{index}" in ticked)
            row.bind(checked=lambda *_: self._count())
            docs.add_widget(row)
        present = bool(service.documents)
        self.ids.documents_title.opacity = 1 if present else 0
        self.ids.checklist_hint.text = app.tr("checklist_hint") if present else ""
        self._count()

    def _count(self) -> None:
        rows = self.ids.documents.children
        have = sum(1 for row in rows if row.checked)
        self.ids.checklist_count.text = (
            self.app.tr("checklist_count", have=have, total=len(rows)) if have else ""
        )

    def checklist_ticks(self) -> list[dict]:
        """The checklist as shown, for the ticket (TicketIn.documents): each line's
        vocabulary key ("" for free text), its names in every language, ticked or not."""
        service = self.app.store.service(self.service_id) if self.service_id else None
        if service is None:
            return []
        ticked = {row.tid for row in self.ids.documents.children if row.checked}
        lines = checklist(service)
        return ticks_wire(lines, [f"doc-{index}" in ticked for index in range(len(lines))])

    def show_carnet(self, code: str, checked: bool) -> None:
        """The carnet typed on the keypad (or none): shown on its button until the ticket."""
        self.carnet_shown = shown_code(code)

    def _show_wait(self, service_id: str, services: dict | None) -> None:
        if service_id != self.service_id:
            return
        status = (services or {}).get(service_id) if isinstance(services, dict) else None
        self.ids.wait.text = wait_text(self.app, status)

    def on_leave(self, *_args):
        self.ids.plan.stop_pulse()

    def on_enter(self, *_args):
        if self.ids.plan.source:
            self.ids.plan.start_pulse()

    def wipe(self) -> None:
        """The idle reset: no ticks left from the previous visitor."""
        for row in self.ids.documents.children:
            row.checked = False
        self.service_id = None
        self.carnet_shown = ""

    def speech_text(self) -> str:
        app = self.app
        service = app.store.service(self.service_id) if self.service_id else None
        if service is None:
            return ""
        parts = [service.title(app.language), self.ids.summary.text,
                 f"{app.tr('where')} : {self.ids.place.text}",
                 f"{app.tr('hours_today')} : {self.ids.hours.text}", self.ids.wait.text]
        if service.documents:
            parts.append(app.tr("documents") + " : " + "; ".join(
                app.localized(d) for d in service.documents))
        if service.ticketing:
            parts.append(app.tr("carnet_attached", code=self.carnet_shown) if self.carnet_shown
                         else app.tr("carnet_have"))
        return ". ".join(p.replace("\n", " ") for p in parts if p)
