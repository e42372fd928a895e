"""/proposer: a resident proposes a local offer from their phone (an AMAP basket, a swap, a
neighbours' party…). The proposal waits for a moderator (kiosk/server/content/moderation.py)
before anyone sees it. A plain HTML form (CSRF token, no script), rate limited per client IP,
with a honeypot field robots fill in and people never see. French, or English with
`?lang=en`; other languages read the French. `?site=` chooses the site when there are several.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from kiosk.server.content.contributions import (
    CATEGORIES,
    MAX_CONTACT,
    MAX_DAYS_AHEAD,
    MAX_DESCRIPTION,
    MAX_TITLE,
    MAX_WHERE,
    ContributionError,
    message,
    submit_contribution,
)
from kiosk.server.content.models import Site
from kiosk.server.ratelimit import ratelimit

log = logging.getLogger(__name__)

HONEYPOT = "website"  # hidden from people; robots fill it in
FIELDS = ("title", "category", "description", "date", "time", "where", "contact")

LABELS = {
    "fr": {
        "title": "Proposer une activité dans le quartier",
        "intro": "Un panier AMAP, un troc, un coup de main, une fête de voisins… "
                 "Une personne de la mairie relit chaque proposition avant qu'elle "
                 "n'apparaisse sur les bornes.",
        "f_title": "Titre", "f_title_hint": f"{MAX_TITLE} caractères au plus",
        "f_category": "Type de proposition", "f_choose": "Choisir…",
        "f_description": "Description (facultatif)",
        "f_description_hint": f"{MAX_DESCRIPTION} caractères au plus",
        "f_date": "Date (facultatif)", "f_date_hint": "Dans l'année qui vient",
        "f_time": "Heure (facultatif)", "f_time_hint": "Par exemple 18:30",
        "f_where": "Lieu (facultatif)", "f_where_hint": "Adresse ou lieu connu du quartier",
        "f_contact": "Votre contact (facultatif)",
        "f_contact_hint": "Adresse e-mail ou téléphone",
        "f_consent": "J'accepte que la mairie garde ce contact pour me joindre au sujet de "
                     "cette proposition.",
        "privacy_title": "Vos données",
        "privacy": "Le contact est facultatif. Il sert seulement à ce que la personne qui "
                   "relit votre proposition puisse vous joindre à son sujet. Seuls les "
                   "modérateurs de la mairie le voient ; il n'est jamais affiché sur les "
                   "bornes. Il est effacé quand la proposition est refusée ou quand "
                   "l'activité est terminée.",
        "honeypot": "Ne pas remplir ce champ",
        "submit": "Envoyer ma proposition",
        "errors": "Votre proposition n'est pas partie : corrigez les champs indiqués.",
        "thanks_title": "Merci !",
        "thanks": "Votre proposition est bien reçue. Une personne de la mairie va la relire ; "
                  "elle apparaîtra sur les bornes si elle est acceptée.",
        "again": "Proposer autre chose",
        "languages": "Langue",
    },
    "en": {
        "title": "Propose an activity in the neighbourhood",
        "intro": "An AMAP basket, a swap, a helping hand, a neighbours' party… "
                 "Someone from the town hall reads every proposal before it appears on "
                 "the kiosks.",
        "f_title": "Title", "f_title_hint": f"At most {MAX_TITLE} characters",
        "f_category": "Kind of offer", "f_choose": "Choose…",
        "f_description": "Description (optional)",
        "f_description_hint": f"At most {MAX_DESCRIPTION} characters",
        "f_date": "Date (optional)", "f_date_hint": "Within the coming year",
        "f_time": "Time (optional)", "f_time_hint": "For example 18:30",
        "f_where": "Place (optional)", "f_where_hint": "Address or a well-known place",
        "f_contact": "Your contact (optional)",
        "f_contact_hint": "E-mail address or phone number",
        "f_consent": "I agree that the town hall keeps this contact to reach me about this "
                     "proposal.",
        "privacy_title": "Your data",
        "privacy": "The contact is optional. It is only used so that the person who reads "
                   "your proposal can reach you about it. Only the town hall's moderators "
                   "see it; it is never shown on the kiosks. It is erased when the proposal "
                   "is rejected or when the activity is over.",
        "honeypot": "Do not fill in this field",
        "submit": "Send my proposal",
        "errors": "Your proposal was not sent: please correct the fields shown.",
        "thanks_title": "Thank you!",
        "thanks": "Your proposal has been received. Someone from the town hall will read "
                  "it; it will appear on the kiosks if it is accepted.",
        "again": "Propose something else",
        "languages": "Language",
    },
}

CATEGORY_LABELS = {
    "fr": {"association": "Vie associative", "food": "Alimentation (AMAP, paniers…)",
           "swap": "Troc, échange", "help": "Entraide", "event": "Événement, fête",
           "culture": "Culture", "sport": "Sport"},
    "en": {"association": "Community groups", "food": "Food (AMAP, baskets…)",
           "swap": "Swap, exchange", "help": "Mutual help", "event": "Event, party",
           "culture": "Culture", "sport": "Sport"},
}


def _site(request) -> Site:
    slug = request.GET.get("site")
    sites = list(Site.objects.filter(slug=slug) if slug else Site.objects.all()[:2])
    if len(sites) != 1:
        raise Http404("site inconnu")
    return sites[0]


def _lang(request) -> str:
    lang = request.GET.get("lang") or "fr"
    return lang if lang in LABELS else "fr"


@never_cache
@ratelimit("propose")  # per client IP, POST only (settings.RATELIMITS["propose"])
def propose(request):
    site = _site(request)
    lang = _lang(request)
    site_param = f"&site={site.slug}" if request.GET.get("site") else ""
    query = f"?lang={lang}{site_param}"
    values = {name: "" for name in FIELDS}
    values["contact_consent"] = False
    errors: dict[str, str] = {}
    general_errors: list[str] = []
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in FIELDS}
        values["contact_consent"] = request.POST.get("contact_consent") == "on"
        if request.POST.get(HONEYPOT):
            log.info("proposal with the honeypot filled in: dropped")
            return HttpResponseRedirect(f"/proposer{query}&merci=1")
        try:
            submit_contribution(site, values, via="phone")
        except ContributionError as exc:
            errors = {field: message(code, lang) for field, code in exc.errors.items()}
            general_errors = [text for field, text in errors.items()
                              if field not in (*FIELDS, "contact_consent")]
        else:
            return HttpResponseRedirect(f"/proposer{query}&merci=1")
    today = timezone.localdate()
    response = render(request, "web/propose.html", {
        "lang": lang, "site": site, "labels": LABELS[lang], "values": values,
        "errors": errors, "general_errors": general_errors,
        "thanks": request.method == "GET" and "merci" in request.GET,
        "categories": [(c, CATEGORY_LABELS[lang][c]) for c in CATEGORIES],
        "query": query, "site_param": site_param, "honeypot": HONEYPOT,
        "min_date": today.isoformat(),
        "max_date": (today + dt.timedelta(days=MAX_DAYS_AHEAD)).isoformat(),
        "max": {"title": MAX_TITLE, "description": MAX_DESCRIPTION, "where": MAX_WHERE,
                "contact": MAX_CONTACT},
        "languages": (("fr", "Français"), ("en", "English")),
    })
    return response
