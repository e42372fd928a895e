"""The managers' statistics page and its CSV exports (site admins and superusers only)."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from kiosk.domain.languages import LANGUAGES, get_language
from kiosk.server.accounts.models import Role, SiteMembership
from kiosk.server.appointments.stats import appointment_figures
from kiosk.server.content.models import Site
from kiosk.server.queueing.models import Priority
from kiosk.server.stats.charts import Chart, bar_chart, fr_number, hbar_chart, line_chart
from kiosk.server.stats.queries import (
    MAX_DAYS,
    Period,
    PeriodError,
    SiteStats,
    Summary,
    parse_period,
    service_names,
    site_stats,
    ticket_rows,
)
from kiosk.server.web.errors import STATUS_FR

WEEKDAYS_FR = ("lun", "mar", "mer", "jeu", "ven", "sam", "dim")
PRIORITY_FR = dict(Priority.choices)


# -- who may see ------------------------------------------------------------------------


def is_manager(user, site: Site) -> bool:
    """A manager of a site: its site admin (role admin), or a superuser."""
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or SiteMembership.objects.filter(
        user=user, site=site, role=Role.ADMIN).exists()


def _managed_site(request, site_slug: str) -> Site:
    site = get_object_or_404(Site, slug=site_slug)
    if not is_manager(request.user, site):
        raise PermissionDenied("Statistiques réservées aux administrateurs de ce site.")
    return site


# -- formatting ------------------------------------------------------------------------


def minutes(value: float | None) -> str:
    return "—" if value is None else f"{fr_number(value)} min"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{fr_number(value * 100)} %"


def day_label(day: dt.date) -> str:
    return f"{WEEKDAYS_FR[day.weekday()]} {day:%d/%m}"


def day_fr(day: dt.date) -> str:
    return f"{day:%d/%m/%Y}"


def _table_row(summary: Summary) -> dict:
    return {
        "label": summary.label, "issued": summary.issued, "served": summary.served,
        "no_show": summary.no_show, "cancelled": summary.cancelled,
        "median_wait": minutes(summary.median_wait), "p90_wait": minutes(summary.p90_wait),
        "median_service": minutes(summary.median_service),
        "no_show_rate": percent(summary.no_show_rate), "cancel_rate": percent(summary.cancel_rate),
        "estimate_mae": minutes(summary.estimate_mae),
        "estimate_bias": minutes(summary.estimate_bias),
    }


def key_figures(total: Summary) -> list[tuple[str, str, str]]:
    """(label, value, explanation) of the figures at the top of the page."""
    return [
        ("Tickets émis", str(total.issued),
         f"{total.served} servis, {total.open} encore ouverts"),
        ("Attente médiane", minutes(total.median_wait), "la moitié des visiteurs ont attendu moins"),
        ("Attente p90", minutes(total.p90_wait), "9 visiteurs sur 10 ont attendu au plus"),
        ("Durée au guichet", minutes(total.median_service), "médiane des tickets servis"),
        ("Taux d'absence", percent(total.no_show_rate),
         f"{total.no_show} absents sur {total.called} appelés"),
        ("Taux d'annulation", percent(total.cancel_rate),
         f"{total.cancelled} annulés sur {total.issued} émis"),
        ("Erreur d'estimation", minutes(total.estimate_mae),
         f"moyenne des écarts ; biais {minutes(total.estimate_bias)} "
         "(négatif : attente plus longue qu'annoncé)"),
    ]


def build_charts(stats: SiteStats) -> list[Chart]:
    charts = []
    days = stats.per_day
    if len(days) > 1:
        labels = [day_label(d) for d, _ in days]
        charts.append(bar_chart(
            chart_id="chart-days", title="Tickets émis par jour",
            desc=f"Nombre de tickets émis chaque jour du {day_fr(stats.period.start)} "
                 f"au {day_fr(stats.period.end)}, tous services.",
            labels=labels, values=[s.issued for _, s in days],
            x_label="Jour", y_label="Tickets", unit="tickets"))
        charts.append(line_chart(
            chart_id="chart-waits", title="Attente par jour (minutes)",
            desc="Attente médiane et 90e centile de chaque jour, entre l'émission du ticket "
                 "et l'appel au guichet ; pas de point les jours sans appel.",
            labels=labels,
            series=[("Médiane", [s.median_wait for _, s in days]),
                    ("90e centile (p90)", [s.p90_wait for _, s in days])],
            x_label="Jour", y_label="Minutes"))
    if stats.per_hour:
        hours = list(range(min(stats.per_hour), max(stats.per_hour) + 1))
        charts.append(bar_chart(
            chart_id="chart-hours", title="Tickets émis par heure",
            desc="Nombre de tickets émis dans chaque heure de la journée (heure de Paris), "
                 "cumulé sur la période.",
            labels=[f"{h} h" for h in hours], values=[stats.per_hour.get(h, 0) for h in hours],
            x_label="Heure d'émission", y_label="Tickets", unit="tickets"))
    if stats.services:
        labels = [s.label for s in stats.services]
        charts.append(hbar_chart(
            chart_id="chart-services", title="Tickets émis par service",
            desc="Nombre de tickets émis pour chaque service sur la période.",
            labels=labels, series=[("Tickets", [s.issued for s in stats.services])],
            value_label="Tickets"))
        charts.append(hbar_chart(
            chart_id="chart-service-waits", title="Attente par service (minutes)",
            desc="Attente médiane et 90e centile pour chaque service sur la période.",
            labels=labels,
            series=[("Médiane", [s.median_wait for s in stats.services]),
                    ("90e centile (p90)", [s.p90_wait for s in stats.services])],
            value_label="Minutes", digits=1))
    if not stats.empty:
        # In which languages visitors take their tickets: what to translate, whom to hire.
        codes = list(stats.per_language)
        helped = [stats.help_reading_per_language.get(code, 0) for code in codes]
        charts.append(hbar_chart(
            chart_id="chart-languages", title="Tickets émis par langue",
            desc="Nombre de tickets émis dans chaque langue du visiteur (choisie à la borne, "
                 "ou par l'agent qui émet le ticket) sur la période, et parmi eux ceux dont "
                 "le visiteur avait besoin d'aide pour lire (lecture à voix haute à la "
                 "borne, ou case cochée par l'agent).",
            labels=[f"{get_language(code).native_name} ({code})" if code in LANGUAGE_CODES
                    else code for code in codes],
            series=[("Tickets", [stats.per_language[code] for code in codes]),
                    # Only when some visitor used read-aloud: one bar per language otherwise.
                    *([("dont aide à la lecture", helped)] if any(helped) else [])],
            value_label="Tickets"))
    return charts


def _range_query(start: dt.date, end: dt.date, **extra: str) -> str:
    return "?" + urlencode({"from": start.isoformat(), "to": end.isoformat(), **extra})


# -- the page --------------------------------------------------------------------------


@login_required
@require_GET
def stats_page(request, site_slug: str):
    site = _managed_site(request, site_slug)
    today = timezone.localdate()
    presets = [
        ("Aujourd'hui", _range_query(today, today)),
        ("7 derniers jours", _range_query(today - dt.timedelta(days=6), today)),
        ("30 derniers jours", _range_query(today - dt.timedelta(days=29), today)),
    ]
    context = {"site": site, "presets": presets, "max_days": MAX_DAYS,
               "raw_from": request.GET.get("from", ""), "raw_to": request.GET.get("to", "")}
    try:
        period = parse_period(request.GET.get("from"), request.GET.get("to"), today)
    except PeriodError as exc:
        context["error"] = str(exc)
        return render(request, "stats/page.html", context, status=400)
    stats = site_stats(site, period)
    csv_url = reverse("stats-csv", args=[site.slug])
    context.update({
        "period": period, "stats": stats,
        "period_text": (f"le {day_fr(period.start)}" if period.start == period.end
                        else f"du {day_fr(period.start)} au {day_fr(period.end)}"),
        "raw_from": period.start.isoformat(), "raw_to": period.end.isoformat(),
        "figures": key_figures(stats.total),
        # Chart escapes every text itself (charts.py): its markup is safe HTML.
        "charts": [] if stats.empty else [mark_safe(c.__html__()) for c in build_charts(stats)],
        "rows": [_table_row(s) for s in stats.services],
        "total_row": _table_row(stats.total),
        "csv_tickets": csv_url + _range_query(period.start, period.end),
        "csv_summary": csv_url + _range_query(period.start, period.end, kind="summary"),
        # Punctuality and no-shows of the appointments ("" when none was booked).
        "appointment_figures": appointment_figures(site, period.start, period.end),
    })
    return render(request, "stats/page.html", context)


# -- CSV -------------------------------------------------------------------------------

LANGUAGE_CODES = {lang.code for lang in LANGUAGES}
TICKET_COLUMNS = ("day", "number", "service", "priority", "status", "created_at", "called_at",
                  "finished_at", "wait_minutes", "counter", "language")
SUMMARY_COLUMNS = ("service", "issued", "called", "served", "no_show", "cancelled", "open",
                   "wait_median_minutes", "wait_p90_minutes", "service_median_minutes",
                   "no_show_rate_percent", "cancel_rate_percent", "estimate_mae_minutes",
                   "estimate_bias_minutes")


def csv_decimal(value: float | None, digits: int = 1) -> str:
    """French Excel reads '12,5' as a number (with ';' as the separator)."""
    return "" if value is None else f"{value:.{digits}f}".replace(".", ",")


def csv_moment(value: dt.datetime | None) -> str:
    return "" if value is None else f"{timezone.localtime(value):%Y-%m-%d %H:%M:%S}"


def csv_text(value: str) -> str:
    """No formula injection: a cell never starts with = + - @ for a spreadsheet."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def ticket_csv_rows(site: Site, period: Period) -> Iterator[list[str]]:
    names = service_names(site)
    yield list(TICKET_COLUMNS)
    for row in ticket_rows(site, period):
        yield [
            row.day.isoformat(), row.display, csv_text(names.get(row.service_id, "")),
            PRIORITY_FR.get(row.priority, row.priority) if row.priority else "",
            STATUS_FR.get(row.status, row.status), csv_moment(row.created_at),
            csv_moment(row.called_at), csv_moment(row.finished_at),
            csv_decimal(row.wait_minutes), csv_text(row.counter), csv_text(row.language),
        ]


def summary_csv_rows(site: Site, period: Period) -> Iterator[list[str]]:
    stats = site_stats(site, period)
    yield list(SUMMARY_COLUMNS)
    for s in [*stats.services, stats.total]:
        yield [
            csv_text(s.label), str(s.issued), str(s.called), str(s.served), str(s.no_show),
            str(s.cancelled), str(s.open), csv_decimal(s.median_wait), csv_decimal(s.p90_wait),
            csv_decimal(s.median_service),
            csv_decimal(None if s.no_show_rate is None else s.no_show_rate * 100),
            csv_decimal(None if s.cancel_rate is None else s.cancel_rate * 100),
            csv_decimal(s.estimate_mae), csv_decimal(s.estimate_bias),
        ]


class _Line:
    """A file-like object for csv.writer that hands each line back."""

    def write(self, text: str) -> str:
        return text


def csv_stream(rows: Iterable[list[str]]) -> Iterator[bytes]:
    yield "\ufeff".encode()  # the BOM: Excel then reads UTF-8 (é, ç, œ...)
    writer = csv.writer(_Line(), delimiter=";", lineterminator="\r\n")
    for row in rows:
        yield writer.writerow(row).encode()


@login_required
@require_GET
def stats_csv(request, site_slug: str):
    site = _managed_site(request, site_slug)
    try:
        period = parse_period(request.GET.get("from"), request.GET.get("to"), timezone.localdate())
    except PeriodError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    kind = request.GET.get("kind", "tickets")
    if kind == "tickets":
        rows = ticket_csv_rows(site, period)
    elif kind == "summary":
        rows = summary_csv_rows(site, period)
    else:
        return HttpResponse("Export inconnu : kind=tickets ou kind=summary.", status=400,
                            content_type="text/plain; charset=utf-8")
    response = StreamingHttpResponse(csv_stream(rows), content_type="text/csv; charset=utf-8")
    filename = f"carrefour-{site.slug}-{kind}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
