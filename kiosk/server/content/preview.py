"""« Aperçu borne »: an agent sees, from the back-office, what the kiosk screen of one piece
of content will look like before publishing it (docs/agents.md).

The object goes through what a kiosk does with it: `to_wire()` then the domain's
`from_wire()` (kiosk/domain/content.py), texts chosen by `localized()` (French fallback per
field), hours by `Service.slots_on()` with the site's published closures, announcements by
`active_at()`. The kiosk's own words (« Où aller », « Prendre un ticket »…) are read from its
gettext catalogs (kiosk/ui/locale/*.po, as data: the server never imports the Kivy UI), and
its colours are the normal palette of kiosk/ui/theme.py (KIOSK_COLOURS, kept equal by
tests/server/test_drafts_preview.py). The screen keeps the kiosk's 16:9 shape.

Access: the ModelAdmin's own view (PublishableAdmin.preview_view), so staff only and scoped
by site like the change form: another site's object is a 404.
"""

from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.shortcuts import render
from django.utils import timezone

from kiosk.domain.content import (
    TIP_PICTOGRAM,
    ContentError,
    active_announcements,
    neighbourhood_spots,
)
from kiosk.domain.content import Announcement as AnnouncementItem
from kiosk.domain.content import Closure as ClosureItem
from kiosk.domain.content import FloorPlan as FloorPlanItem
from kiosk.domain.content import InfoPage as PageItem
from kiosk.domain.content import NearbyPlace as PlaceItem
from kiosk.domain.content import Offer as OfferItem
from kiosk.domain.content import Pole as PoleItem
from kiosk.domain.content import Service as ServiceItem
from kiosk.domain.content import Situation as SituationItem
from kiosk.domain.languages import LANGUAGES, get_language, localized
from kiosk.domain.po import read_po
from kiosk.server.content import models
from kiosk.server.content.kinds import KINDS
from kiosk.server.content.services import live
from kiosk.server.web.qr import qr_svg

# The kiosk's normal palette (kiosk/ui/theme.py PALETTES["normal"]): the server may not
# import the UI layer, a test keeps the two equal.
KIOSK_COLOURS = {
    "background": "#F6F4EF",
    "surface": "#FFFFFF",
    "text": "#1B1B1B",
    "text_muted": "#4A4A4A",
    "primary": "#1D3A8A",
    "on_primary": "#FFFFFF",
    "secondary": "#FFFFFF",
    "on_secondary": "#1D3A8A",
    "urgent_bg": "#B3261E",
    "on_urgent": "#FFFFFF",
    "header_text": "#FFFFFF",
    "outline": "#8A8A8A",
}
# The kiosk's screen (config/kiosk.example.toml: 1920x1080); its .kv sizes are for a screen
# 800 px high (kiosk/ui/app.py REFERENCE_HEIGHT), which the preview draws at that height.
KIOSK_RATIO = (16, 9)
REFERENCE_HEIGHT = 800

KIOSK_DIR = Path(__file__).resolve().parents[2]  # the `kiosk` package
LOCALE_DIR = KIOSK_DIR / "ui" / "locale"
ASSETS_DIR = Path(settings.PROJECT_DIR) / "assets"

DRAFT_BANNER = "Brouillon — pas encore visible sur les bornes"
PUBLISHED_BANNER = "Publié — visible sur les bornes"

# -- the kiosk's own words ----------------------------------------------------------------------

@lru_cache(maxsize=8)
def _catalog(code: str) -> dict[str, str]:
    """msgid -> msgstr of kiosk/ui/locale/<code>/LC_MESSAGES/kiosk.po (fuzzy ones left out)."""
    path = LOCALE_DIR / code / "LC_MESSAGES" / "kiosk.po"
    if not path.is_file():
        return {}
    return {k: v for k, v in read_po(path).items() if v}


class Words:
    """`words("take_ticket")`: the kiosk's text in `lang`, French when it is missing."""

    do_not_call_in_templates = True  # {{ words.back }} looks the key up

    def __init__(self, lang: str):
        self.lang = lang

    def __call__(self, key: str, **fields) -> str:
        text = _catalog(self.lang).get(key) or _catalog("fr").get(key) or key
        try:
            return text.format(**fields) if fields else text
        except (KeyError, IndexError, ValueError):
            return (_catalog("fr").get(key) or key).format(**fields)

    def __getitem__(self, key: str) -> str:  # {{ words.back }} in templates
        return self(key)


# -- images -------------------------------------------------------------------------------------


def _data_url(path: Path, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"


def pictogram_url(site_id: int, slug: str) -> str:
    """As the kiosk chooses it (kiosk/sync/assets.py pictogram_file): the pictogram agents
    uploaded for the site, else the bundled one; "" when there is none."""
    asset = models.Asset.objects.filter(site_id=site_id, slug=slug, kind="pictogram").first()
    if asset is not None and asset.path.is_file():
        return _data_url(asset.path, "image/png")
    for path, mime in ((ASSETS_DIR / "pictograms" / "build" / f"{slug}.png", "image/png"),
                       (ASSETS_DIR / "pictograms" / "src" / f"{slug}.svg", "image/svg+xml")):
        if path.is_file():
            return _data_url(path, mime)
    return ""


def plan_url(site_id: int, slug: str) -> str:
    """The floor plan a kiosk would show: the site's published plan with its uploaded image,
    else the one bundled under that name; "" when there is none."""
    if not slug:
        return ""
    plan = live(models.FloorPlan.objects.filter(site_id=site_id, slug=slug)).select_related(
        "image").first()
    image = plan.image if plan is not None else None
    if image is not None and image.path.is_file():
        return _data_url(image.path, image.content_type)
    path = ASSETS_DIR / "plans" / "build" / f"{slug}.png"
    return _data_url(path, "image/png") if path.is_file() else ""


# -- one builder per kind, named by its KINDS entry (kinds.py): the kiosk screen's content ---


def _closures(site_id: int) -> list[ClosureItem]:
    out = []
    for closure in live(models.Closure.objects.filter(site_id=site_id)):
        try:
            out.append(ClosureItem.from_wire(closure.to_wire()))
        except ContentError:
            continue
    return out


def _service_row(service: models.Service, lang: str) -> dict:
    return {"name": localized(service.name, lang), "color": service.pole.color,
            "pictogram": pictogram_url(service.site_id, service.pictogram),
            "detail": localized(service.place, lang) or localized(service.summary, lang)}


def service_screen(obj: models.Service, lang: str, words: Words, request, notes: list[str]) -> dict:
    item = ServiceItem.from_wire(obj.to_wire())
    if not obj.pole.published:
        notes.append(f"Le pôle « {obj.pole} » est un brouillon : ce service reste invisible sur "
                     "les bornes tant que le pôle n'est pas publié.")
    today = timezone.localdate()
    return {
        "title": item.title(lang), "color": obj.pole.color,
        "pictogram": pictogram_url(obj.site_id, item.pictogram),
        "summary": localized(item.summary, lang), "place": localized(item.place, lang) or "—",
        "plan": plan_url(obj.site_id, item.plan), "plan_x": (item.plan_x or 0) * 100,
        "plan_y": (item.plan_y or 0) * 100, "plan_set": bool(item.plan),
        "hours": item.hours_text(today, _closures(obj.site_id), words, words.lang),
        "documents": [localized(d, lang) for d in item.documents],
        "ticketing": item.ticketing,
        "qr": qr_svg(request.build_absolute_uri(f"/s/{item.id}?lang={lang}&site={obj.site.slug}")),
    }


def pole_screen(obj: models.Pole, lang: str, words: Words, request, notes: list[str]) -> dict:
    item = PoleItem.from_wire(obj.to_wire())
    rows = []
    for service in obj.services.select_related("pole").order_by("order", "slug"):
        if service.published:
            rows.append(_service_row(service, lang))
        else:
            notes.append(f"Non affiché : le service « {service} » est un brouillon.")
    return {"title": item.title(lang), "color": item.color,
            "pictogram": pictogram_url(obj.site_id, item.pictogram),
            "summary": localized(item.summary, lang), "rows": rows}


def situation_screen(obj: models.Situation, lang: str, words: Words, request, notes: list[str]) -> dict:
    item = SituationItem.from_wire(obj.to_wire())
    services = {s.slug: s for s in models.Service.objects.filter(site_id=obj.site_id)
                .select_related("pole")}
    rows = []
    for slug in item.services:  # the kiosk skips the services it does not hold
        service = services.get(slug)
        if service is not None and service.published and service.pole.published:
            rows.append(_service_row(service, lang))
        else:
            notes.append(f"Non affiché : le service « {service or slug} » n'est pas publié.")
    return {"title": item.title(lang), "summary": localized(item.summary, lang),
            "pictogram": pictogram_url(obj.site_id, item.pictogram),
            "documents": [localized(d, lang) for d in item.documents], "rows": rows,
            "tips": [t for t in (localized(tip, lang) for tip in item.tips) if t],
            "tip_pictogram": pictogram_url(obj.site_id, TIP_PICTOGRAM)}


def place_screen(obj: models.NearbyPlace, lang: str, words: Words, request, notes: list[str]) -> dict:
    item = PlaceItem.from_wire(obj.to_wire())
    return {"title": words("waitinfo_title"), "heading": words("waitinfo_places"),
            **_place_on_plan(obj, item, notes), "rows": [{
        "name": item.title(lang), "color": KIOSK_COLOURS["primary"],
        "pictogram": pictogram_url(obj.site_id, item.pictogram),
        "detail": " · ".join(t for t in (words("walking_minutes", minutes=item.walking_minutes),
                                          item.address, localized(item.summary, lang)) if t)}]}


def _place_on_plan(obj: models.NearbyPlace, item: PlaceItem, notes: list[str]) -> dict:
    """The neighbourhood plan with this place's numbered spot, numbered as the kiosk does
    among the site's published places (this one counted even as a draft)."""
    if not item.plan:
        return {}
    places = []
    for other in live(models.NearbyPlace.objects.filter(site_id=obj.site_id).exclude(pk=obj.pk)):
        try:
            places.append(PlaceItem.from_wire(other.to_wire()))
        except ContentError:
            continue
    places = sorted([*places, item], key=lambda p: (p.order, p.walking_minutes, p.id))
    plan, spots = neighbourhood_spots(places)
    number = next((n for n, p in spots if p.id == item.id), None)
    src = plan_url(obj.site_id, item.plan)
    if number is None or not src:
        notes.append("Ce lieu n'apparaît pas sur le plan du quartier des bornes : "
                     + ("pas d'image pour ce plan." if not src else
                        f"elles montrent le plan « {plan} », que nomment la plupart des lieux."))
        return {}
    return {"plan": src, "plan_x": (item.plan_x or 0) * 100, "plan_y": (item.plan_y or 0) * 100,
            "number": number}


def page_screen(obj: models.InfoPage, lang: str, words: Words, request, notes: list[str]) -> dict:
    from kiosk.server.web.offer_page import CARTE_PAGE, when_text

    item = PageItem.from_wire(obj.to_wire())
    offers = []
    if item.id == CARTE_PAGE:
        today = timezone.localdate()
        for offer in live(models.Offer.objects.filter(site_id=obj.site_id, source="carte")):
            try:
                o = OfferItem.from_wire(offer.to_wire())
            except ContentError:
                continue
            if not o.is_over(today):
                offers.append({"title": o.title(lang), "when": when_text(o, lang)})
    return {"title": item.title(lang), "summary": localized(item.summary, lang),
            "pictogram": pictogram_url(obj.site_id, item.pictogram),
            "body": [t for t in (localized(p, lang) for p in item.body) if t],
            "link_label": localized(item.link_label, lang) or item.link,
            "qr": qr_svg(item.link) if item.link else "", "offers": offers}


def offer_screen(obj: models.Offer, lang: str, words: Words, request, notes: list[str]) -> dict:
    from kiosk.server.web.offer_page import when_text

    item = OfferItem.from_wire(obj.to_wire())
    if item.age_max is not None:
        ages = words("offer_age_range", min=item.age_min, max=item.age_max)
    elif item.age_min:
        ages = words("offer_age_min", min=item.age_min)
    else:
        ages = words("age_all")
    where = " · ".join(t for t in (item.where, words("walking_minutes", minutes=item.walking_minutes)
                                   if item.walking_minutes is not None else "") if t)
    if obj.status != "approved":
        notes.append("Proposition d'habitant pas encore approuvée : elle se publie en "
                     "l'approuvant (propositions à modérer).")
    return {"title": item.title(lang), "summary": localized(item.summary, lang),
            "pictogram": pictogram_url(obj.site_id, item.pictogram),
            "badge": words(f"offer_source_{item.source}"), "when": when_text(item, lang),
            "where": where, "ages": ages,
            "capacity": words("offer_capacity", n=item.capacity) if item.capacity else "",
            "link": item.link,
            "qr": qr_svg(request.build_absolute_uri(f"/o/{item.id}?lang={lang}&site={obj.site.slug}"))}


def _home_tiles(site_id: int, lang: str) -> list[dict]:
    return [{"name": localized(p.name, lang), "color": p.color,
             "pictogram": pictogram_url(site_id, p.pictogram)}
            for p in live(models.Pole.objects.filter(site_id=site_id))]


def announcement_screen(obj: models.Announcement, lang: str, words: Words, request, notes: list[str]) -> dict:
    item = AnnouncementItem.from_wire(obj.to_wire())
    now = timezone.localtime().replace(tzinfo=None)
    if not item.active_at(now):
        notes.append("En dehors de sa période d'affichage en ce moment : la bannière n'apparaît "
                     "sur les bornes que pendant cette période.")
    others = []
    for other in live(models.Announcement.objects.filter(site_id=obj.site_id).exclude(pk=obj.pk)):
        try:
            others.append(AnnouncementItem.from_wire(other.to_wire()))
        except ContentError:
            continue
    first = next(iter(active_announcements([*others, item], now)), None)
    if first is not None and first.id != item.id and item.active_at(now):
        notes.append(f"Une autre annonce passe avant celle-ci sur l'accueil : « {first.text.get('fr', first.id)} ».")
    return {"title": words("welcome"), "is_home": True, "banner": localized(item.text, lang),
            "urgent": item.level == "urgent", "tiles": _home_tiles(obj.site_id, lang)}


def closure_screen(obj: models.Closure, lang: str, words: Words, request, notes: list[str]) -> dict:
    item = ClosureItem.from_wire(obj.to_wire())
    day = item.starts
    closures = [item, *(c for c in _closures(obj.site_id) if c.id != item.id)]
    rows = []
    for service in live(models.Service.objects.filter(site_id=obj.site_id)).select_related("pole"):
        if item.services and service.slug not in item.services:
            continue
        try:
            s = ServiceItem.from_wire(service.to_wire())
        except ContentError:
            continue
        row = _service_row(service, lang)
        row["detail"] = s.hours_text(day, closures, words, words.lang).replace("\n", " — ")
        rows.append(row)
    weekday = words("weekdays").split(",")[day.weekday()]
    span = f"{weekday} {day:%d/%m/%Y}" + (f" → {item.ends:%d/%m/%Y}" if item.ends != day else "")
    return {"title": localized(item.reason, lang) or obj.slug, "summary": span, "rows": rows}


def plan_screen(obj: models.FloorPlan, lang: str, words: Words, request, notes: list[str]) -> dict:
    item = FloorPlanItem.from_wire(obj.to_wire())
    image = obj.image
    if image is not None and image.path.is_file():
        src = _data_url(image.path, image.content_type)
    else:
        bundled = ASSETS_DIR / "plans" / "build" / f"{item.id}.png"
        src = _data_url(bundled, "image/png") if bundled.is_file() else ""
        if not src:
            notes.append("Pas d'image pour ce plan : les bornes n'afficheront pas de plan.")
    return {"title": item.title(lang), "plan": src,
            "spots": [{"x": h.x * 100, "y": h.y * 100, "label": h.title(lang)}
                      for h in item.hotspots]}


def visible_on_kiosks(obj) -> bool:
    if not obj.published:
        return False
    return not isinstance(obj, models.Service) or obj.pole.published


def render_preview(request, obj, change_url: str):
    """The preview page of `obj` in the language of ?lang= (French by default)."""
    lang = get_language(request.GET.get("lang") or "fr")
    words = Words(lang.code)
    notes: list[str] = []
    kind = KINDS.of(obj)
    assert kind is not None, "previews are routed for the KINDS models only"
    try:
        screen = kind.preview_builder(obj, lang.code, words, request, notes)
        error = ""
    except ContentError as exc:  # saved content is validated; say it rather than a 500
        screen, error = {}, str(exc)
    visible = visible_on_kiosks(obj)
    response = render(request, "content/preview.html", {
        "obj": obj, "kind": kind.name, "body_template": kind.preview_body, "screen": screen,
        "error": error, "notes": notes,
        "words": words, "lang": lang.code, "dir": "rtl" if lang.rtl else "ltr",
        "languages": LANGUAGES, "draft": not obj.published, "visible": visible,
        "banner": DRAFT_BANNER if not obj.published else (
            PUBLISHED_BANNER if visible else "Publié, mais pas encore visible sur les bornes"),
        "colours": KIOSK_COLOURS, "screen_name": kind.screen,
        "width": REFERENCE_HEIGHT * KIOSK_RATIO[0] // KIOSK_RATIO[1], "height": REFERENCE_HEIGHT,
        "change_url": change_url, "site": obj.site,
        "footer": {"speaker": pictogram_url(obj.site_id, "speaker"),
                   "agent": pictogram_url(obj.site_id, "agent")},
        "title": str(obj),
    })
    response["Cache-Control"] = "no-store"
    return response
