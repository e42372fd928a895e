"""The public page of a service, reached from the kiosk's "continue on your phone" QR code:
where to go, the week's hours, the documents to bring (a checklist the visitor keeps), in
the visitor's language. No login, no personal data."""

from __future__ import annotations

import datetime as dt

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from kiosk.domain.content import Closure as ClosureItem
from kiosk.domain.content import ContentError
from kiosk.domain.content import Service as ServiceItem
from kiosk.server.content.models import Closure, Service
from kiosk.server.content.services import live
from kiosk.server.web.language import Texts, page_context, shown, tr, visitor_language
from kiosk.server.web.sites import one_of, site_query, with_site_choice


@with_site_choice
def service_page(request, slug: str):
    lang = visitor_language(request)  # first: a 404 speaks it too
    # A draft (or a service of a draft pole) is unknown here, as on the kiosks.
    # The same slug in several sites: `?site=` (the kiosk's link) or the visitor chooses.
    service = one_of(request, live(Service.objects.filter(slug=slug)).select_related(
        "site", "pole"), "service")
    labels = Texts("service")
    days = [tr(f"day.{weekday}") for weekday in range(7)]
    try:
        item = ServiceItem.from_wire(service.to_wire())
    except ContentError as exc:  # content is validated on save; never a 500 for a visitor
        raise Http404("service indisponible") from exc
    closures = []
    for closure in live(Closure.objects.filter(site=service.site)):
        try:
            closures.append(ClosureItem.from_wire(closure.to_wire()))
        except ContentError:
            continue  # validated on save; one bad row never hides the page
    today = timezone.localdate()
    special = []
    for offset in range(14):  # holidays and short days of the next two weeks
        day = today + dt.timedelta(days=offset)
        exception = item.exception_on(day, closures)
        if exception is not None:
            slots = item.slots_on(day, closures)
            special.append((f"{days[day.weekday()]} {day:%d/%m}",
                            [f"{s.opens:%H:%M}–{s.closes:%H:%M}" for s in slots],
                            shown(exception.reason, lang.code)))
    week = []
    for weekday in range(7):
        slots = sorted((s for s in item.hours if weekday in s.weekdays), key=lambda s: s.opens)
        week.append((days[weekday], [f"{s.opens:%H:%M}–{s.closes:%H:%M}" for s in slots]))
    wait = None
    if service.ticketing:
        from kiosk.server.queueing.status import queue_status

        _, statuses = queue_status(service.site)
        minutes = (statuses.get(service.slug) or {}).get("estimated_wait_minutes")
        wait = labels("minutes", n=minutes) if minutes is not None else labels["unknown"]
    site_param = site_query(service.site)
    response = render(request, "web/service_page.html", {
        **page_context(lang, site_param), "labels": labels,
        "service": service, "site": service.site,
        "name": shown(service.name, lang.code),
        "summary": shown(service.summary, lang.code),
        "place": shown(service.place, lang.code),
        # the item's: vocabulary keys read as their names (kiosk/domain/documents.py)
        "documents": [shown(d, lang.code) for d in item.documents],
        "week": week, "today": today.weekday(), "wait": wait, "special": special,
        "color": service.pole.color if service.pole_id else "#1D3A8A",
    })
    response["Cache-Control"] = "max-age=60"
    return response

