"""/proposer: a resident proposes a local offer from their phone (an AMAP basket, a swap, a
neighbours' party…). The proposal waits for a moderator (kiosk/server/content/moderation.py)
before anyone sees it. A plain HTML form (CSRF token, no script), rate limited per client IP,
with a honeypot field robots fill in and people never see. In the six languages (`?lang=`,
the kiosk's QR code, then Accept-Language). `?site=` names the site (the kiosk's QR code
carries it); without it, with several sites, the visitor chooses (web/sites.py).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.http import HttpResponseRedirect
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
    submit_contribution,
)
from kiosk.server.ratelimit import ratelimit
from kiosk.server.web.language import Texts, page_context, tr, visitor_language
from kiosk.server.web.sites import site_of, site_query, with_site_choice

log = logging.getLogger(__name__)

HONEYPOT = "website"  # hidden from people; robots fill it in
FIELDS = ("title", "category", "description", "date", "time", "where", "contact")

# The visitor's form errors (contributions.MESSAGES stays for the moderators' French).
ERROR_CODES = ("title_required", "title_long", "description_long", "category", "date_invalid",
               "date_past", "date_far", "time_invalid", "where_long", "contact_long",
               "contact_consent", "invalid")
LIMITS = {"title_long": MAX_TITLE, "description_long": MAX_DESCRIPTION, "where_long": MAX_WHERE,
          "contact_long": MAX_CONTACT}


def error_text(code: str) -> str:
    """An error code of contributions.py in the active language."""
    code = code if code in ERROR_CODES else "invalid"
    return tr(f"propose.error.{code}", max=LIMITS.get(code, ""))


@never_cache
@with_site_choice  # several sites and no ?site=: which mairie? (the choice page)
@ratelimit("propose")  # per client IP, POST only (settings.RATELIMITS["propose"])
def propose(request):
    language = visitor_language(request)  # first: a 404 speaks it too
    lang = language.code
    site = site_of(request)
    site_param = site_query(site)
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
            errors = {field: error_text(code) for field, code in exc.errors.items()}
            general_errors = [text for field, text in errors.items()
                              if field not in (*FIELDS, "contact_consent")]
        else:
            return HttpResponseRedirect(f"/proposer{query}&merci=1")
    today = timezone.localdate()
    labels = Texts("propose")
    response = render(request, "web/propose.html", {
        **page_context(language, site_param),
        "site": site, "labels": labels, "values": values,
        "errors": errors, "general_errors": general_errors,
        "thanks": request.method == "GET" and "merci" in request.GET,
        "categories": [(c, tr(f"propose.cat.{c}")) for c in CATEGORIES],
        "hints": {name: labels(f"f_{name}_hint", max=limit) for name, limit in
                  (("title", MAX_TITLE), ("description", MAX_DESCRIPTION))},
        "query": query, "site_param": site_param, "honeypot": HONEYPOT,
        "min_date": today.isoformat(),
        "max_date": (today + dt.timedelta(days=MAX_DAYS_AHEAD)).isoformat(),
        "max": {"title": MAX_TITLE, "description": MAX_DESCRIPTION, "where": MAX_WHERE,
                "contact": MAX_CONTACT},
    })
    return response
