"""One life situation: what it means, what to bring, and the services that help (each
leads to its service page: where, when, the wait, a ticket)."""

from __future__ import annotations

import kiosk.ui.flow_widgets  # noqa: F401  (FlowFooter, CheckRow, Panel)
import kiosk.ui.screens.service  # noqa: F401  (SectionTitle)
from kiosk.domain.content import TIP_PICTOGRAM
from kiosk.ui.flow_widgets import CheckRow
from kiosk.ui.guide_widgets import TipRow
from kiosk.ui.screens.base import KioskScreen, load_kv
from kiosk.ui.screens.service import checklist
from kiosk.ui.screens.situations import is_bereavement, situation_color
from kiosk.ui.widgets import Row, discard_children

load_kv(__file__)


class SituationScreen(KioskScreen):
    situation_id = None

    def show(self, situation_id: str) -> bool:
        app = self.app
        situation = app.store.situation(situation_id)
        if situation is None:
            return False
        self.situation_id = situation_id
        self.ids.header.title = app.localized(situation.name)
        self.ids.header.bg = situation_color(situation)
        gentle = is_bereavement(situation)
        self.ids.gentle.text = app.tr("situation_gentle") if gentle else ""
        self.ids.summary.text = app.localized(situation.summary)
        docs = self.ids.documents
        discard_children(docs)
        for index, line in enumerate(checklist(situation)):
            docs.add_widget(CheckRow(tid=f"sdoc-{index}", text=app.localized(line.shown()),
                                     image=app.pictogram(line.pictogram)))
        self.ids.documents_title.opacity = 1 if situation.documents else 0
        rows = self.ids.services
        discard_children(rows)
        colors = {p.id: p.color for p in app.store.poles()}
        for service_id in situation.services:
            service = app.store.service(service_id)
            if service is None:
                continue
            row = Row(tid=f"service-{service.id}", bg=colors.get(service.pole, "#1D3A8A"),
                      image=app.pictogram(service.pictogram), label=service.title(app.language),
                      detail=app.localized(service.place) or app.localized(service.summary))
            row.bind(on_release=lambda _w, sid=service.id: app.open_service(sid))
            rows.add_widget(row)
        self._show_tips(situation)
        self.ids.left.scroll_y = self.ids.right.scroll_y = 1
        body = self.ids.body
        wanted = [self.ids.right, self.ids.left] if app.rtl else [self.ids.left, self.ids.right]
        if list(reversed(body.children)) != wanted:
            body.clear_widgets()
            for widget in wanted:
                body.add_widget(widget)
        return True

    def _show_tips(self, situation) -> None:
        """The « bons plans, trucs et astuces » under the services, each with its pictogram."""
        app, tips = self.app, self.ids.tips
        discard_children(tips)
        texts = [t for t in (app.localized(tip) for tip in situation.tips) if t]
        for index, text in enumerate(texts):
            tips.add_widget(TipRow(tid=f"tip-{index}", text=text, image=app.pictogram(TIP_PICTOGRAM)))
        self.ids.tips_title.opacity = 1 if texts else 0  # last in its column: no gap left

    def refresh(self) -> bool:
        return self.show(self.situation_id) if self.situation_id else False

    def wipe(self) -> None:
        for row in self.ids.documents.children:
            row.checked = False

    def speech_text(self) -> str:
        app = self.app
        parts = [self.ids.header.title, self.ids.gentle.text, self.ids.summary.text]
        docs = [row.text for row in self.ids.documents.children[::-1]]
        if docs:
            parts.append(app.tr("situation_documents") + " : " + "; ".join(docs))
        services = [row.label for row in self.ids.services.children[::-1]]
        if services:
            parts.append(app.tr("situation_services") + " : " + "; ".join(services))
        tips = [row.text for row in self.ids.tips.children[::-1]]
        if tips:
            parts.append(app.tr("situation_tips") + " : " + "; ".join(tips))
        return ". ".join(p for p in parts if p)
