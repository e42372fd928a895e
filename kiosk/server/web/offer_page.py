"""The public phone page of an offer, reached from the kiosk's QR code: what it is, when,
where, for which ages, with the Carte Citoyenne or from residents; and the Carte Citoyenne
page (how to get the card, its current offers). In the visitor's language, no login, no
personal data — modelled on service_page.py."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from kiosk.domain import offer_text
from kiosk.domain.content import ContentError
from kiosk.domain.content import Offer as OfferItem
from kiosk.domain.languages import LANGUAGES, get_language, localized
from kiosk.server.content.models import InfoPage, Offer
from kiosk.server.content.preview import Words
from kiosk.server.content.services import live

CARTE_PAGE = "carte-citoyenne"  # the InfoPage slug of the Carte Citoyenne

LABELS = {
    "fr": {"carte": "Avec la Carte Citoyenne", "local": "Proposé par des habitants",
           "when": "Quand", "where": "Où", "walk": "{n} min à pied de la mairie",
           "here": "Dans la mairie", "ages": "Âge",
           "all_ages": "Tous les âges", "capacity": "Places", "places": "{n} places",
           "open_link": "Réserver ou en savoir plus",
           "card": "La Carte Citoyenne est gratuite, pour toute personne qui habite Paris, "
                   "dès 7 ans.",
           "card_link": "Comment l'obtenir", "offers": "Ce que la carte vous ouvre",
           "no_offers": "Pas d'offre en ce moment.", "languages": "Langue"},
    "en": {"carte": "With the Carte Citoyenne", "local": "Offered by residents",
           "when": "When", "where": "Where", "walk": "{n} min walk from the town hall",
           "here": "In the town hall", "ages": "Age",
           "all_ages": "All ages", "capacity": "Places", "places": "{n} places",
           "open_link": "Book or find out more",
           "card": "The Carte Citoyenne is free, for anyone who lives in Paris, "
                   "from 7 years old.",
           "card_link": "How to get it", "offers": "What the card opens for you",
           "no_offers": "No offer at the moment.", "languages": "Language"},
    "ar": {"carte": "مع بطاقة المواطنة", "local": "يقترحه سكان الحي",
           "when": "متى", "where": "أين", "walk": "{n} سيرًا من البلدية",
           "here": "داخل البلدية", "ages": "العمر",
           "all_ages": "لجميع الأعمار", "capacity": "الأماكن", "places": "{n}",
           "open_link": "احجز أو اعرف المزيد",
           "card": "بطاقة المواطنة مجانية، لكل من يسكن في باريس ابتداءً من 7 سنوات.",
           "card_link": "كيف تحصل عليها", "offers": "ما تتيحه لك البطاقة",
           "no_offers": "لا توجد عروض حاليًا.", "languages": "اللغة"},
    "zh": {"carte": "凭巴黎公民卡", "local": "居民发起",
           "when": "时间", "where": "地点", "walk": "从区政府步行{n}分钟",
           "here": "就在区政府内", "ages": "年龄",
           "all_ages": "不限年龄", "capacity": "名额", "places": "{n}个名额",
           "open_link": "预约或了解详情",
           "card": "巴黎公民卡免费，所有住在巴黎、年满7岁的人都可申请。",
           "card_link": "如何申请", "offers": "公民卡为您开放的活动",
           "no_offers": "目前没有活动。", "languages": "语言"},
}

LTR_ISOLATE, POP_ISOLATE = "\u2066", "\u2069"  # keeps "18:30–20:00" in order in Arabic


def when_text(item: OfferItem, lang: str) -> str:
    """When an offer happens, in the kiosk's words (kiosk.domain.offer_text): "Chaque jeudi,
    18:30–20:00". Languages this page does not speak (wo, bm) get the French, like its labels;
    in Arabic the hours are isolated so they stay in reading order."""
    code = lang if lang in LABELS else "fr"
    isolate = (LTR_ISOLATE, POP_ISOLATE) if get_language(code).rtl else ("", "")
    return offer_text.when_text(item, Words(code), code, isolate=isolate)


def ages_text(item: OfferItem, lang: str) -> str:
    """For which ages, in the kiosk's words; "all ages" when the offer has no limit."""
    code = lang if lang in LABELS else "fr"
    return offer_text.ages_text(item, Words(code)) or LABELS[code]["all_ages"]


# Arabic counted nouns: 1, 2, 3–10, 11–99, and 100, 200… (the singular again).
AR_COUNTED = {
    "minutes": ("دقيقة واحدة", "دقيقتان", "{n} دقائق", "{n} دقيقة", "{n} دقيقة"),
    "places": ("مكان واحد", "مكانان", "{n} أماكن", "{n} مكانًا", "{n} مكان"),
}


def _counted(n: int, noun: str, lang: str) -> str:
    if lang != "ar":
        return str(n)
    one, two, few, many, hundred = AR_COUNTED[noun]
    if n in (1, 2):
        return one if n == 1 else two
    rest = n % 100
    return (few if 3 <= rest <= 10 else many if rest >= 11 else hundred).format(n=n)


def _one(queryset, request, what: str):
    """The one object of this slug, `?site=` choosing between sites; 404 otherwise."""
    found = list(queryset.select_related("site"))
    site = request.GET.get("site")
    if site:
        found = [o for o in found if o.site.slug == site]
    if len(found) != 1:
        raise Http404(f"{what} inconnue")
    return found[0]


def _context(request, lang, site) -> dict:
    # Links keep `site` only when the visitor's URL had it (then it is this site's slug).
    site_param = f"&site={site.slug}" if request.GET.get("site") else ""
    return {
        "lang": lang.code, "dir": "rtl" if lang.rtl else "ltr", "site": site,
        "labels": LABELS.get(lang.code, LABELS["fr"]), "languages": LANGUAGES,
        "site_param": site_param, "query": f"?lang={lang.code}{site_param}",
    }


def offer_page(request, slug: str):
    offer = _one(Offer.objects.filter(slug=slug, published=True), request, "offre")
    lang = get_language(request.GET.get("lang") or "fr")
    context = _context(request, lang, offer.site)
    labels = context["labels"]
    try:
        item = OfferItem.from_wire(offer.to_wire())
    except ContentError as exc:  # content is validated on save; never a 500 for a visitor
        raise Http404("offre indisponible") from exc
    walk = None
    if item.walking_minutes is not None:
        minutes = item.walking_minutes
        walk = (labels["walk"].format(n=_counted(minutes, "minutes", lang.code)) if minutes
                else labels["here"])
    response = render(request, "web/offer_page.html", {
        **context, "offer": item,
        "title": item.title(lang.code), "summary": localized(item.summary, lang.code),
        "badge": labels[item.source], "when": when_text(item, lang.code), "walk": walk,
        "ages": ages_text(item, lang.code),
        "places": (labels["places"].format(n=_counted(item.capacity, "places", lang.code))
                   if item.capacity else None),
        "carte_url": f"/carte{context['query']}",
    })
    response["Cache-Control"] = "max-age=60"
    return response


def carte_page(request):
    page = _one(live(InfoPage.objects.filter(slug=CARTE_PAGE)), request, "page")  # drafts: 404
    lang = get_language(request.GET.get("lang") or "fr")
    context = _context(request, lang, page.site)
    today = timezone.localdate()
    offers = []
    for offer in Offer.objects.filter(site=page.site, source="carte", published=True):
        try:
            item = OfferItem.from_wire(offer.to_wire())
        except ContentError:
            continue  # one broken offer never hides the others
        if item.is_over(today):
            continue
        offers.append({
            "title": item.title(lang.code), "when": when_text(item, lang.code),
            "url": f"/o/{item.id}{context['query']}",
        })
    response = render(request, "web/carte_page.html", {
        **context,
        "title": localized(page.title, lang.code), "summary": localized(page.summary, lang.code),
        "body": [text for text in (localized(p, lang.code) for p in page.body) if text],
        "link": page.link, "link_label": localized(page.link_label, lang.code),
        "offers": offers,
    })
    response["Cache-Control"] = "max-age=60"
    return response
