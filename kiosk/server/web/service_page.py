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
from kiosk.domain.languages import LANGUAGES, get_language, localized
from kiosk.server.content.models import Closure, Service
from kiosk.server.content.services import live

DAYS = {
    "fr": "lundi mardi mercredi jeudi vendredi samedi dimanche",
    "en": "Monday Tuesday Wednesday Thursday Friday Saturday Sunday",
    "ar": "الاثنين الثلاثاء الأربعاء الخميس الجمعة السبت الأحد",
    "zh": "星期一 星期二 星期三 星期四 星期五 星期六 星期日",
}
LABELS = {
    "fr": {"where": "Où aller", "hours": "Horaires", "documents": "Documents à apporter",
           "closed": "fermé", "wait": "Attente en ce moment", "minutes": "environ {n} min",
           "unknown": "inconnue", "special": "Jours particuliers à venir", "appointment": "Sur rendez-vous uniquement."},
    "en": {"where": "Where to go", "hours": "Opening hours", "documents": "Documents to bring",
           "closed": "closed", "wait": "Current wait", "minutes": "about {n} min",
           "unknown": "unknown", "special": "Special days ahead", "appointment": "By appointment only."},
    "ar": {"where": "إلى أين تذهب", "hours": "مواعيد العمل", "documents": "الوثائق المطلوبة",
           "closed": "مغلق", "wait": "الانتظار الآن", "minutes": "حوالي {n} دقيقة",
           "unknown": "غير معروف", "special": "أيام استثنائية قادمة", "appointment": "بموعد فقط."},
    "zh": {"where": "前往地点", "hours": "开放时间", "documents": "需携带的材料",
           "closed": "关闭", "wait": "当前等候", "minutes": "约 {n} 分钟",
           "unknown": "未知", "special": "近期特殊日期", "appointment": "仅限预约。"},
}


def service_page(request, slug: str):
    # A draft (or a service of a draft pole) is unknown here, as on the kiosks.
    services = list(live(Service.objects.filter(slug=slug)).select_related("site", "pole"))
    site = request.GET.get("site")
    if site:
        services = [s for s in services if s.site.slug == site]
    if len(services) != 1:
        raise Http404("service inconnu")
    service = services[0]
    lang = get_language(request.GET.get("lang") or "fr")
    labels = LABELS.get(lang.code, LABELS["fr"])
    days = DAYS.get(lang.code, DAYS["fr"]).split()
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
                            localized(exception.reason, lang.code)))
    week = []
    for weekday in range(7):
        slots = sorted((s for s in item.hours if weekday in s.weekdays), key=lambda s: s.opens)
        week.append((days[weekday], [f"{s.opens:%H:%M}–{s.closes:%H:%M}" for s in slots]))
    wait = None
    if service.ticketing:
        from kiosk.server.queueing.status import queue_status

        _, statuses = queue_status(service.site)
        minutes = (statuses.get(service.slug) or {}).get("estimated_wait_minutes")
        wait = labels["minutes"].format(n=minutes) if minutes is not None else labels["unknown"]
    response = render(request, "web/service_page.html", {
        "lang": lang.code, "dir": "rtl" if lang.rtl else "ltr", "labels": labels,
        "service": service, "site": service.site,
        "name": localized(service.name, lang.code),
        "summary": localized(service.summary, lang.code),
        "place": localized(service.place, lang.code),
        "documents": [localized(d, lang.code) for d in service.documents],
        "week": week, "today": today.weekday(), "wait": wait, "special": special,
        "languages": LANGUAGES, "color": service.pole.color if service.pole_id else "#1D3A8A",
    })
    response["Cache-Control"] = "max-age=60"
    return response

