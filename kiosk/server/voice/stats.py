"""Satisfaction in the managers' statistics (/stats/<site>/satisfaction/ and its CSV): per
service and ISO week, how many visitors answered, their mean face (1 to 5) and how many gave
each face. Same access, period form, charts and CSV conventions as kiosk/server/stats.

A kiosk answer names at most a pole (the visitor may pick one): it is counted under
"<pole> (borne)"; an answer without either under "Sans service précisé".
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from kiosk.domain.voice import FACES, Satisfaction, week_of
from kiosk.server.content.models import Site
from kiosk.server.stats.charts import bar_chart, fr_number, hbar_chart, line_chart
from kiosk.server.stats.queries import Period, PeriodError, parse_period
from kiosk.server.stats.views import _managed_site, csv_decimal, csv_stream, csv_text, day_fr
from kiosk.server.voice.models import Feedback

DEFAULT_WEEKS = 8
NO_SERVICE = "Sans service précisé"
FACE_FR = {1: "Très mécontent", 2: "Mécontent", 3: "Moyen", 4: "Content", 5: "Très content"}
CSV_COLUMNS = ("week", "service", "answers", "mean_face",
               *(f"face_{f}" for f in FACES), "comments")


@dataclass
class SatisfactionStats:
    period: Period
    weeks: list[dt.date]
    by_service: dict[str, Satisfaction]
    by_week: dict[dt.date, Satisfaction]
    cells: dict[tuple[dt.date, str], Satisfaction]  # (week, service) -> answers
    comments: dict[tuple[dt.date, str], int]
    total: Satisfaction


def _label(feedback: Feedback) -> str:
    if feedback.service is not None:
        return feedback.service.text("name")
    if feedback.pole is not None:
        return f"{feedback.pole.text('name')} (borne)"
    return NO_SERVICE


def satisfaction_stats(site: Site, period: Period) -> SatisfactionStats:
    """Every answer given on the site within the period (local days, bounds included)."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(period.start, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    rows = (Feedback.objects.filter(site=site, created_at__gte=start, created_at__lt=end)
            .select_related("service", "pole", "remark").order_by("created_at"))
    by_service: dict[str, Satisfaction] = defaultdict(Satisfaction)
    by_week: dict[dt.date, Satisfaction] = defaultdict(Satisfaction)
    cells: dict[tuple[dt.date, str], Satisfaction] = defaultdict(Satisfaction)
    comments: dict[tuple[dt.date, str], int] = defaultdict(int)
    total = Satisfaction()
    for feedback in rows:
        week = week_of(timezone.localtime(feedback.created_at).date())
        label = _label(feedback)
        for group in (by_service[label], by_week[week], cells[(week, label)], total):
            group.add(feedback.face)
        if getattr(feedback, "remark", None) is not None:
            comments[(week, label)] += 1
    weeks, week = [], week_of(period.start)
    while week <= period.end:
        weeks.append(week)
        week += dt.timedelta(days=7)
    return SatisfactionStats(period, weeks, dict(sorted(by_service.items())), dict(by_week),
                             dict(cells), dict(comments), total)


def week_label(week: dt.date) -> str:
    return f"sem. {week:%d/%m}"


def build_charts(stats: SatisfactionStats) -> list:
    services = list(stats.by_service)
    charts = [
        hbar_chart(
            chart_id="chart-satisfaction-services", title="Satisfaction moyenne par service",
            desc="Visage moyen donné par les visiteurs (1 très mécontent, 5 très content) "
                 "pour chaque service sur la période.",
            labels=services, series=[("Visage moyen", [s.mean for s in stats.by_service.values()])],
            value_label="Visage moyen (1 à 5)", digits=1),
        line_chart(
            chart_id="chart-satisfaction-weeks", title="Satisfaction moyenne par semaine",
            desc="Visage moyen de chaque semaine (du lundi), tous services ; pas de point "
                 "les semaines sans avis.",
            labels=[week_label(w) for w in stats.weeks],
            series=[("Visage moyen", [stats.by_week[w].mean if w in stats.by_week else None
                                      for w in stats.weeks])],
            x_label="Semaine", y_label="Visage moyen (1 à 5)"),
        bar_chart(
            chart_id="chart-satisfaction-faces", title="Répartition des avis",
            desc="Nombre d'avis donnés pour chaque visage sur la période, tous services.",
            labels=[FACE_FR[f] for f in FACES], values=[stats.total.counts[f] for f in FACES],
            x_label="Visage", y_label="Avis", unit="avis"),
    ]
    return charts


def _rows(stats: SatisfactionStats) -> list[dict]:
    rows = []
    for week in stats.weeks:
        for service in stats.by_service:
            cell = stats.cells.get((week, service))
            if cell is None:
                continue
            rows.append({"week": week, "week_label": week_label(week), "service": service,
                         "count": cell.count, "mean": fr_number(cell.mean),
                         "faces": [cell.counts[f] for f in FACES],
                         "comments": stats.comments.get((week, service), 0)})
    return rows


def _period(request) -> Period:
    today = timezone.localdate()
    raw_from = request.GET.get("from") or (
        None if request.GET.get("to") else
        (week_of(today) - dt.timedelta(weeks=DEFAULT_WEEKS - 1)).isoformat())
    return parse_period(raw_from, request.GET.get("to"), today)


@login_required
@require_GET
def satisfaction_page(request, site_slug: str):
    site = _managed_site(request, site_slug)
    context = {"site": site, "faces": [FACE_FR[f] for f in FACES],
               "raw_from": request.GET.get("from", ""), "raw_to": request.GET.get("to", "")}
    try:
        period = _period(request)
    except PeriodError as exc:
        context["error"] = str(exc)
        return render(request, "voice/satisfaction.html", context, status=400)
    stats = satisfaction_stats(site, period)
    query = f"?from={period.start.isoformat()}&to={period.end.isoformat()}"
    context.update({
        "period_text": f"du {day_fr(period.start)} au {day_fr(period.end)}",
        "raw_from": period.start.isoformat(), "raw_to": period.end.isoformat(),
        "total": stats.total, "mean": fr_number(stats.total.mean),
        # Chart escapes every text itself (stats/charts.py): its markup is safe HTML.
        "charts": [mark_safe(c.__html__()) for c in build_charts(stats)]
        if stats.total.count else [],
        "rows": _rows(stats),
        "csv_url": reverse("voice-stats-csv", args=[site.slug]) + query,
        "stats_url": reverse("stats", args=[site.slug]) + query,
    })
    return render(request, "voice/satisfaction.html", context)


def csv_rows(stats: SatisfactionStats):
    yield list(CSV_COLUMNS)
    for row in _rows(stats):
        cell = stats.cells[(row["week"], row["service"])]
        yield [row["week"].isoformat(), csv_text(row["service"]), str(cell.count),
               csv_decimal(cell.mean, 2), *(str(n) for n in row["faces"]),
               str(row["comments"])]


@login_required
@require_GET
def satisfaction_csv(request, site_slug: str):
    site = _managed_site(request, site_slug)
    try:
        period = _period(request)
    except PeriodError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    response = StreamingHttpResponse(csv_stream(csv_rows(satisfaction_stats(site, period))),
                                     content_type="text/csv; charset=utf-8")
    name = f"carrefour-{site.slug}-satisfaction-{period.start}-{period.end}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response
