"""The Carte Citoyenne, the neighbourhood's offers, and one offer.

    home ─▶ Carte Citoyenne (what it gives, who may have it, QR to order it, its offers) ─▶ offer
    home ─▶ in the neighbourhood (every offer: when, for whom, how far, which envies) ─▶ offer
    ticket ─▶ while you wait (today's events) ─▶ offer

An offer's page carries a QR code of its phone page (/o/<id>): the visitor takes it along.
Offers reach the kiosk only once a moderator has published them (server side).
"""

from __future__ import annotations

import datetime as dt

from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior

import kiosk.ui.flow_widgets  # noqa: F401  (Panel, FlowFooter)
from kiosk.domain import offer_text
from kiosk.domain.clock import site_today
from kiosk.domain.content import AGES, INTERESTS, current_offers, offer_interests, select_offers
from kiosk.ui.links import public_url
from kiosk.ui.qr import qr_texture
from kiosk.ui.screens.base import KioskScreen, load_kv
from kiosk.ui.widgets import MirrorBox, Row, Text, discard_children


class InterestChip(ButtonBehavior, MirrorBox):
    """An envie to touch (culture, nature...): pictogram and word; `selected` toggles."""

    tid = StringProperty("")
    slug = StringProperty("")
    image = StringProperty("")
    label = StringProperty("")
    selected = BooleanProperty(False)


load_kv(__file__)

CARTE_PAGE = "carte-citoyenne"
CARTE_COLOR = "#0B5E6B"
LOCAL_COLOR = "#6B3F0B"
FILTERS = ("all", "today", "week")


def dot(app) -> str:
    """The separator of a line's parts; in right-to-left, with marks (RLM) around it so that
    a number beside a French address stays with its own part ("3 min" after "Armand-Carrel")."""
    return "\u200f · \u200f" if app.rtl else " · "


def when_text(app, offer, today: dt.date) -> str:
    """When an offer happens (kiosk.domain.offer_text, the phone page's words too), led by
    "Today" when it happens today."""
    text = offer_text.when_text(offer, app.tr, app.language)
    if offer.dated and offer.happens_on(today):
        text = app.tr("filter_today") + dot(app) + text
    return text


def where_text(app, offer) -> str:
    parts = [offer.where] if offer.where else []
    if offer.walking_minutes:  # 0: here, at the town hall
        parts.append(app.tr("walking_minutes", minutes=offer.walking_minutes))
    return dot(app).join(parts)


def offer_row(app, offer, today: dt.date) -> Row:
    detail = dot(app).join(p for p in (when_text(app, offer, today), where_text(app, offer)) if p)
    row = Row(tid=f"offer-{offer.id}", bg=CARTE_COLOR if offer.source == "carte" else LOCAL_COLOR,
              image=app.pictogram(offer.pictogram) or app.pictogram("quartier"),
              label=offer.title(app.language), detail=detail)
    row.bind(on_release=lambda _w, oid=offer.id: app.open_offer(oid))
    return row


def interest_label(app, slug: str) -> str:
    """An envie in the visitor's language (UI strings interest_<slug>)."""
    return app.tr(f"interest_{slug}")


def offer_page_url(app, offer_id: str) -> str:
    return public_url(app, f"/o/{offer_id}")




class CarteScreen(KioskScreen):
    """The Carte Citoyenne-Citoyen de Paris: free, any Paris resident from 7; what it gives;
    the QR code to order it; the offers it opens."""

    def show(self, today: dt.date | None = None) -> bool:
        app = self.app
        today = today or site_today()
        page = app.store.page(CARTE_PAGE)
        self.ids.header.title = page.title(app.language) if page else app.tr("entry_carte")
        self.ids.summary.text = app.localized(page.summary) if page else app.tr("carte_missing")
        body = self.ids.body_text
        discard_children(body)
        for paragraph in (page.body if page else ()):
            body.add_widget(Text(text=app.localized(paragraph), font_size=app.sp(24)))
        link = page.link if page else ""
        self.ids.qr.texture = qr_texture(link) if link else None
        self.ids.qr_panel.opacity = 1 if link else 0
        self.ids.qr_text.text = (app.localized(page.link_label) if page and page.link_label
                                 else app.tr("offer_link")) if link else ""
        offers = current_offers(app.store.offers("carte"), today)
        grid = self.ids.offers
        discard_children(grid)
        for offer in offers:
            grid.add_widget(offer_row(app, offer, today))
        self.ids.offers_title.text = app.tr("carte_offers") if offers else ""
        self.ids.scroll.scroll_y = 1
        return True

    def refresh(self) -> bool:
        return self.show()

    def speech_text(self) -> str:
        rows = [w for w in self.ids.offers.children[::-1] if hasattr(w, "label")]
        paragraphs = [w.text for w in self.ids.body_text.children[::-1]]
        return ". ".join(p for p in [self.ids.header.title, self.ids.summary.text, *paragraphs,
                                     self.ids.offers_title.text,
                                     *(f"{r.label}, {r.detail}" for r in rows)] if p)


class OffersScreen(KioskScreen):
    """What there is to do nearby: residents' and associations' offers (AMAP, swaps, repair
    café...) and the Carte Citoyenne's, filtered by day, age, walking distance and envies
    (several chips at once: an offer with any of them). The envies offered are those of the
    offers not over yet; the idle reset forgets the visitor's choice."""

    which = "all"
    age = "all"
    near = False
    has_interests = BooleanProperty(False)

    def __init__(self, **kwargs):
        self.chosen: list[str] = []  # interest slugs, in the order the chips show them
        self._chips_for: tuple = ()  # (language, slugs) the chips were built for
        super().__init__(**kwargs)

    def show(self, which: str | None = None, today: dt.date | None = None,
             age: str | None = None) -> bool:
        app = self.app
        today = today or site_today()
        if which in FILTERS:
            self.which = which
        if age in AGES:
            self.age = age
        for name in FILTERS:
            self.ids[f"filter_{name}"].active = name == self.which
        for name in AGES:
            self.ids[f"age_{name}"].active = name == self.age
        self.ids.near.active = self.near
        every = app.store.offers()
        self._build_chips(offer_interests(current_offers(every, today)))
        # Everything to do nearby: residents' offers and the Carte Citoyenne's, told apart by
        # their colour and their first line.
        offers = select_offers(every, self.which, today, AGES[self.age], self.near,
                               interests=self.chosen)
        grid = self.ids.offers
        discard_children(grid)
        for offer in offers:
            grid.add_widget(offer_row(app, offer, today))
        self.ids.empty.text = "" if offers else app.tr("offers_empty")
        self.ids.scroll.scroll_y = 1
        return True

    def refresh(self) -> bool:
        return self.show()

    def toggle_near(self) -> None:
        self.near = not self.near
        self.show()

    def _build_chips(self, slugs: list[str]) -> None:
        """One chip per envie some current offer has; rebuilt when they or the language
        change (a chosen envie no offer has any more is dropped)."""
        app = self.app
        self.chosen = [s for s in self.chosen if s in slugs]
        key = (app.language, tuple(slugs))
        row = self.ids.interests
        if key != self._chips_for:
            self._chips_for = key
            discard_children(row)
            for slug in slugs:
                chip = InterestChip(tid=f"interest-{slug}", slug=slug,
                                    image=app.pictogram(INTERESTS[slug][1]),
                                    label=interest_label(app, slug))
                chip.bind(on_release=lambda _w, s=slug: self.toggle_interest(s))
                row.add_widget(chip)
            self.ids.interests_scroll.scroll_x = 1 if app.rtl else 0  # the first chips
        for chip in row.children:
            chip.selected = chip.slug in self.chosen
        self.has_interests = bool(slugs)

    def toggle_interest(self, slug: str) -> None:
        wanted = set(self.chosen) ^ {slug}
        self.chosen = [s for s in INTERESTS if s in wanted]
        self.show()

    def wipe(self) -> None:
        self.which, self.age, self.near = "all", "all", False
        self.chosen = []  # what a visitor likes is theirs: the next one starts afresh
        self._chips_for = ()  # rebuilt at the next show, the row scrolled back to its start
        for chip in self.ids.interests.children:
            chip.selected = False

    def choices_text(self) -> str:
        """The filters as read aloud: « Vos choix : Tout, Enfants, Culture, Nature »."""
        app = self.app
        parts = [app.tr(f"filter_{self.which}"), app.tr(f"age_{self.age}")]
        if self.near:
            parts.append(app.tr("filter_near"))
        parts += [interest_label(app, s) for s in self.chosen]
        return app.tr("offers_choices", choices=", ".join(parts))

    def speech_text(self) -> str:
        app = self.app
        rows = [w for w in self.ids.offers.children[::-1] if hasattr(w, "label")]
        hint = app.tr("interests_hint") if self.has_interests and not self.chosen else ""
        return ". ".join(p for p in [app.tr("entry_offers"), app.tr("offers_intro"),
                                     self.choices_text(), hint, self.ids.empty.text,
                                     *(f"{r.label}, {r.detail}" for r in rows)] if p)


class OfferScreen(KioskScreen):
    offer_id = None

    def show(self, offer_id: str, today: dt.date | None = None) -> bool:
        app = self.app
        offer = app.store.offer(offer_id)
        if offer is None:
            return False
        today = today or site_today()
        self.offer_id = offer_id
        self.ids.header.title = offer.title(app.language)
        self.ids.header.bg = CARTE_COLOR if offer.source == "carte" else LOCAL_COLOR
        self.ids.source.text = app.tr(f"offer_source_{offer.source}")
        self.ids.summary.text = app.localized(offer.summary)
        self.ids.when.text = when_text(app, offer, today)
        self.ids.where.text = where_text(app, offer) or "—"
        facts = [offer_text.ages_text(offer, app.tr)]
        if offer.capacity:
            facts.append(app.tr("offer_capacity", n=offer.capacity))
        self.ids.facts.text = dot(app).join(f for f in facts if f)
        url = offer_page_url(app, offer_id)
        self.ids.qr.texture = qr_texture(url) if url else None
        self.ids.qr_panel.opacity = 1 if url else 0
        self.ids.scroll.scroll_y = 1
        return True

    def refresh(self) -> bool:
        return self.offer_id is not None and self.show(self.offer_id)

    def wipe(self) -> None:
        self.offer_id = None

    def speech_text(self) -> str:
        ids = self.ids
        return ". ".join(p for p in (ids.header.title, ids.source.text, ids.summary.text,
                                     ids.when.text, ids.where.text, ids.facts.text) if p)
