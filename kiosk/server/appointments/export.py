"""The appointments' statistics as CSV, per day and service (/stats/<site>/rendez-vous.csv):
for the site's agents (counter agents, editors, its admins: those who import its
appointments) and superusers; another site's agents get a 403. Same period (?from=&to=) and
CSV conventions (";", BOM, French decimals, no formula) as kiosk/server/stats."""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.http import require_GET

from kiosk.server.accounts.models import Role, sites_where
from kiosk.server.appointments.stats import stats_by_day_and_service
from kiosk.server.content.models import Site
from kiosk.server.stats.queries import Period, PeriodError, parse_period, service_names
from kiosk.server.stats.views import csv_decimal, csv_stream, csv_text

ROLES = (Role.COUNTER, Role.EDITOR)  # and the site's admins (sites_where adds them)
COLUMNS = ("day", "service", "booked", "checked_in", "on_time", "late_within_grace",
           "late_after_grace", "no_show", "called_within_5_min",
           "mean_wait_after_checkin_minutes")


def may_export(user, site: Site) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or sites_where(user, *ROLES).filter(pk=site.pk).exists()  # type: ignore[arg-type]  # TextChoices members: Django's types are not installed


def csv_rows(site: Site, period: Period) -> Iterator[list[str]]:
    names = service_names(site)
    yield list(COLUMNS)
    for day, service_id, s in stats_by_day_and_service(site, period.start, period.end):
        yield [day.isoformat(), csv_text(names.get(service_id, "")), str(s.booked),
               str(s.checked_in), str(s.on_time), str(s.late_within_grace), str(s.late),
               str(s.no_show), str(s.called_on_time), csv_decimal(s.mean_wait)]


@login_required
@require_GET
def appointments_csv(request, site_slug: str):
    site = get_object_or_404(Site, slug=site_slug)
    if not may_export(request.user, site):
        raise PermissionDenied("Statistiques des rendez-vous réservées aux agents de ce site.")
    try:
        period = parse_period(request.GET.get("from"), request.GET.get("to"),
                              timezone.localdate())
    except PeriodError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    response = StreamingHttpResponse(csv_stream(csv_rows(site, period)),
                                     content_type="text/csv; charset=utf-8")
    name = f"carrefour-{site.slug}-rendez-vous-{period.start}-{period.end}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response
