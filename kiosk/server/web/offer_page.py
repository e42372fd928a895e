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
from kiosk.domain.languages import get_language
from kiosk.server.content.models import InfoPage, Offer
from kiosk.server.content.preview import Words
from kiosk.server.content.services import live
from kiosk.server.web.language import (
    Texts,
    counted,
    page_context,
    shown,
    tr,
    visitor_language,
)
from kiosk.server.web.sites import one_of, site_query, with_site_choice

CARTE_PAGE = "carte-citoyenne"  # the InfoPage slug of the Carte Citoyenne

LTR_ISOLATE, POP_ISOLATE = "\u2066", "\u2069"  # keeps "18:30–20:00" in order in Arabic


def when_text(item: OfferItem, lang: str) -> str:
    """When an offer happens, in the kiosk's words (kiosk.domain.offer_text): "Chaque jeudi,
    18:30–20:00"; in Arabic the hours are isolated so they stay in reading order."""
    code = get_language(lang).code
    isolate = (LTR_ISOLATE, POP_ISOLATE) if get_language(code).rtl else ("", "")
    return offer_text.when_text(item, Words(code), code, isolate=isolate)


def ages_text(item: OfferItem, lang: str) -> str:
    """For which ages, in the kiosk's words; "all ages" (the active language) when the
    offer has no limit."""
    return offer_text.ages_text(item, Words(get_language(lang).code)) or tr("offer.all_ages")


def _context(request, lang, site) -> dict:
    site_param = site_query(site)
    return {
        **page_context(lang, site_param), "site": site, "labels": Texts("offer"),
        "site_param": site_param, "query": f"?lang={lang.code}{site_param}",
    }


@with_site_choice
def offer_page(request, slug: str):
    lang = visitor_language(request)  # first: a 404 speaks it too
    offer = one_of(request, Offer.objects.filter(slug=slug, published=True)
                   .select_related("site"), "offre")
    context = _context(request, lang, offer.site)
    labels = context["labels"]
    try:
        item = OfferItem.from_wire(offer.to_wire())
    except ContentError as exc:  # content is validated on save; never a 500 for a visitor
        raise Http404("offre indisponible") from exc
    walk = None
    if item.walking_minutes is not None:
        minutes = item.walking_minutes
        walk = (labels("walk", minutes=counted("minutes", minutes, lang.code)) if minutes
                else labels["here"])
    response = render(request, "web/offer_page.html", {
        **context, "offer": item,
        "title": shown(item.title_texts, lang.code), "summary": shown(item.summary, lang.code),
        "badge": labels[item.source], "when": when_text(item, lang.code), "walk": walk,
        "ages": ages_text(item, lang.code),
        "places": counted("places", item.capacity, lang.code) if item.capacity else None,
        "carte_url": f"/carte{context['query']}",
    })
    response["Cache-Control"] = "max-age=60"
    return response


@with_site_choice
def carte_page(request):
    lang = visitor_language(request)  # first: a 404 speaks it too
    page = one_of(request, live(InfoPage.objects.filter(slug=CARTE_PAGE))
                  .select_related("site"), "page")  # drafts: 404
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
            "title": shown(item.title_texts, lang.code), "when": when_text(item, lang.code),
            "url": f"/o/{item.id}{context['query']}",
        })
    response = render(request, "web/carte_page.html", {
        **context,
        "title": shown(page.title, lang.code), "summary": shown(page.summary, lang.code),
        "body": [text for text in (shown(p, lang.code) for p in page.body) if text],
        "link": page.link, "link_label": shown(page.link_label, lang.code),
        "offers": offers,
    })
    response["Cache-Control"] = "max-age=60"
    return response
