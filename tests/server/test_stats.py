"""Managers' statistics: figures checked by hand, SVG charts, CSV export, permissions."""

from __future__ import annotations

import csv
import datetime as dt
import io
import xml.etree.ElementTree as ET
from zoneinfo import ZoneInfo

import pytest

from kiosk.server.stats.charts import bar_chart, fr_number, hbar_chart, line_chart, nice_ticks
from kiosk.server.stats.queries import Period, PeriodError, median, parse_period, percentile

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
D0, D1, D2 = dt.date(2024, 6, 2), dt.date(2024, 6, 3), dt.date(2024, 6, 4)
RANGE = "?from=2024-06-03&to=2024-06-04"
SVG = "{http://www.w3.org/2000/svg}"
PHONE = "+33612345678"


@pytest.fixture(autouse=True)
def static_root(settings, tmp_path):
    """whitenoise warns (an error here) when STATIC_ROOT does not exist: fresh checkouts."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()


# -- fixtures: a site with tickets at known times ------------------------------------------


def make_site(slug: str):
    from kiosk.server.content.models import Pole, Service, Site
    from kiosk.server.queueing.models import Counter

    site = Site.objects.create(slug=slug, name=f"Mairie {slug}")
    pole = Pole.objects.create(site=site, slug="accueil", color="#1f4e8c", pictogram="info",
                               name={"fr": "Accueil"})
    civil = Service.objects.create(site=site, pole=pole, slug="etat-civil", order=1, prefix="C",
                                   pictogram="doc", name={"fr": "État civil", "en": "Registry"})
    passports = Service.objects.create(site=site, pole=pole, slug="passeports", order=2,
                                       prefix="P", pictogram="doc", name={"fr": "Passeports"})
    counter = Counter.objects.create(site=site, name="Guichet 1")
    return site, civil, passports, counter


def at(day: dt.date, hhmm: str) -> dt.datetime:
    hour, minute = map(int, hhmm.split(":"))
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)


def ticket(service, day, number, created, *, wait=None, duration=None, status="done",
           estimate=None, priority="", phone="", counter=None, cancelled_after=None,
           language="fr"):
    """A ticket with exact timestamps (created_at is auto_now_add: set by update())."""
    from kiosk.server.queueing.models import Ticket

    t = Ticket.objects.create(site=service.site, service=service, day=day, number=number,
                              prefix=service.prefix, status=status, priority=priority,
                              phone=phone, estimate_at_issue=estimate, language=language,
                              counter=counter if wait is not None else None)
    created_at = at(day, created)
    called_at = created_at + dt.timedelta(minutes=wait) if wait is not None else None
    finished_at = None
    if duration is not None:
        finished_at = called_at + dt.timedelta(minutes=duration)
    elif cancelled_after is not None:
        finished_at = created_at + dt.timedelta(minutes=cancelled_after)
    Ticket.objects.filter(pk=t.pk).update(created_at=created_at, queued_at=created_at,
                                          called_at=called_at, finished_at=finished_at)
    return t


@pytest.fixture
def site():
    """Hand-checked figures (minutes):

    État civil waits 5, 10, 20, 30, 40 -> median 20, p90 36 (30 + 0.6 x 10);
    durations (done) 10, 6, 8, 12 -> median 9; no-show 1/5; cancelled 1/6;
    estimate - wait: -1, 2, -5, 0 -> MAE 2, bias -1.
    Passeports waits 2 -> median 2, p90 2; duration 20; estimate 5 - 2 = 3.
    All: waits 2, 5, 10, 20, 30, 40 -> median 15, p90 35; durations median 10;
    no-show 1/6; cancelled 1/8; errors -1, 2, -5, 0, 3 -> MAE 2.2, bias -0.2.
    By hour of issue: 9 h -> 4, 10 h -> 2, 14 h -> 2. By day: 3 June -> 5, 4 June -> 3.
    """
    site, civil, passports, counter = make_site("paris-19")
    ticket(civil, D1, 1, "09:00", wait=5, duration=10, estimate=4, counter=counter)
    ticket(civil, D1, 2, "09:10", wait=10, duration=6, estimate=12, counter=counter)
    ticket(civil, D1, 3, "09:40", wait=20, status="no_show", estimate=15, counter=counter,
           phone=PHONE)
    ticket(civil, D1, 4, "10:05", wait=30, duration=8, estimate=30, counter=counter,
           language="ar")
    ticket(civil, D2, 1, "14:30", wait=40, duration=12, phone=PHONE, counter=counter,
           language="ar")
    ticket(civil, D2, 2, "14:50", status="cancelled", cancelled_after=15, phone=PHONE)
    ticket(passports, D1, 1, "09:30", wait=2, duration=20, estimate=5, priority="elderly",
           counter=counter)
    ticket(passports, D2, 2, "10:20", status="waiting", phone=PHONE, language="zh")
    # Outside the period, and another site in the period: never counted.
    ticket(civil, D0, 1, "11:00", wait=100, duration=5)
    other, other_civil, _, _ = make_site("paris-20")
    ticket(other_civil, D1, 1, "11:00", wait=100, duration=5)
    return site


def user(username: str, *, site=None, role=None, superuser=False):
    from django.contrib.auth import get_user_model

    from kiosk.server.accounts.models import SiteMembership

    u = get_user_model().objects.create_user(username, password="pw-" + username,
                                             is_superuser=superuser, is_staff=superuser)
    if site is not None:
        SiteMembership.objects.create(user=u, site=site, role=role)
    return u


@pytest.fixture
def manager(client, site):
    client.force_login(user("chef", site=site, role="admin"))
    return client


# -- pure helpers ----------------------------------------------------------------------


def test_percentiles_interpolate_like_excel():
    assert percentile([], 0.9) is None
    assert percentile([7], 0.9) == 7
    assert median([1, 2, 3, 4]) == 2.5
    assert percentile(range(1, 11), 0.9) == pytest.approx(9.1)
    assert percentile([40, 5, 30, 10, 20], 0.9) == pytest.approx(36)
    with pytest.raises(ValueError):
        percentile([1], 1.5)


def test_periods():
    today = dt.date(2024, 6, 10)
    assert parse_period(None, None, today) == Period(dt.date(2024, 6, 4), today)
    assert parse_period("2024-06-01", "2024-06-01", today).days == [dt.date(2024, 6, 1)]
    assert parse_period("2024-06-01", "", today) == Period(dt.date(2024, 6, 1), dt.date(2024, 6, 7))
    assert parse_period("", "2024-05-31", today) == Period(dt.date(2024, 5, 25),
                                                           dt.date(2024, 5, 31))
    for bad in [("2024-13-01", ""), ("hier", ""), ("2024-06-05", "2024-06-01"),
                ("2020-01-01", "2024-01-01")]:
        with pytest.raises(PeriodError):
            parse_period(*bad, today)


def test_french_numbers_and_ticks():
    assert fr_number(12.5) == "12,5" and fr_number(3.0) == "3" and fr_number(None) == "—"
    assert fr_number(-0.2) == "−0,2" and fr_number(-0.01) == "0"
    assert nice_ticks(4, integer=True) == [0, 1, 2, 3, 4]
    assert nice_ticks(36) == [0, 10, 20, 30, 40]
    assert nice_ticks(0) == [0, 0.2, 0.4, 0.6, 0.8, 1]


def test_charts_are_well_formed_accessible_svg():
    bar = bar_chart(chart_id="c1", title="Tickets <par> heure", desc="d & d",
                    labels=["8 h", "9 h", "10 h"], values=[0, 4, 2], x_label="Heure",
                    y_label="Tickets")
    root = ET.fromstring(bar.svg)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Tickets <par> heure"
    assert root.find(f"{SVG}desc").text == "d & d"
    assert root.get("aria-labelledby") == "c1-title c1-desc"
    assert len([r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]) == 2
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Heure" in texts and "Tickets" in texts  # axis labels
    assert "<caption>Tickets &lt;par&gt; heure</caption>" in bar.table
    line = line_chart(chart_id="c2", title="t", desc="d", labels=["a", "b", "c"],
                      series=[("Médiane", [1, None, 3]), ("p90", [2, 4, 5])], x_label="x",
                      y_label="y")
    root = ET.fromstring(line.svg)
    assert len(list(root.iter(f"{SVG}polyline"))) == 1  # the median's line is broken by None
    assert len(list(root.iter(f"{SVG}circle"))) == 5
    hbar = hbar_chart(chart_id="c3", title="t", desc="d", labels=["A", "B"],
                      series=[("n", [3, 0])], value_label="Tickets")
    assert len(list(ET.fromstring(hbar.svg).iter(f"{SVG}rect"))) == 1


# -- the figures -----------------------------------------------------------------------


def test_site_figures_match_the_hand_computation(site):
    from kiosk.server.stats.queries import site_stats

    stats = site_stats(site, Period(D1, D2))
    total = stats.total
    assert (total.issued, total.called, total.served, total.no_show, total.cancelled,
            total.open) == (8, 6, 5, 1, 1, 1)
    assert total.median_wait == pytest.approx(15)
    assert total.p90_wait == pytest.approx(35)
    assert total.median_service == pytest.approx(10)
    assert total.no_show_rate == pytest.approx(1 / 6)
    assert total.cancel_rate == pytest.approx(1 / 8)
    assert total.estimate_mae == pytest.approx(2.2)
    assert total.estimate_bias == pytest.approx(-0.2)

    civil, passports = stats.services
    assert (civil.label, passports.label) == ("État civil", "Passeports")
    assert civil.issued == 6 and passports.issued == 2
    assert civil.median_wait == pytest.approx(20) and civil.p90_wait == pytest.approx(36)
    assert civil.median_service == pytest.approx(9)
    assert civil.no_show_rate == pytest.approx(0.2)
    assert civil.cancel_rate == pytest.approx(1 / 6)
    assert civil.estimate_mae == pytest.approx(2) and civil.estimate_bias == pytest.approx(-1)
    assert passports.median_wait == pytest.approx(2) and passports.p90_wait == pytest.approx(2)
    assert passports.median_service == pytest.approx(20) and passports.no_show_rate == 0
    assert passports.estimate_mae == pytest.approx(3) and passports.estimate_bias == 3

    assert stats.per_hour == {9: 4, 10: 2, 14: 2}
    assert [(day, s.issued) for day, s in stats.per_day] == [(D1, 5), (D2, 3)]
    assert stats.per_day[0][1].median_wait == pytest.approx(10)  # 2, 5, 10, 20, 30


def test_an_empty_period_has_no_figures(site):
    from kiosk.server.stats.queries import site_stats

    stats = site_stats(site, Period(dt.date(2023, 1, 1), dt.date(2023, 1, 7)))
    assert stats.empty and stats.total.median_wait is None and stats.total.no_show_rate is None
    assert len(stats.per_day) == 7 and stats.per_hour == {} and stats.services == []


# -- the page --------------------------------------------------------------------------


def svgs(html: str) -> list[ET.Element]:
    out, start = [], 0
    while (start := html.find("<svg", start)) != -1:
        end = html.index("</svg>", start) + len("</svg>")
        out.append(ET.fromstring(html[start:end]))
        start = end
    return out


def test_the_page_shows_figures_and_charts(manager):
    response = manager.get("/stats/paris-19/" + RANGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "du 03/06/2024 au 04/06/2024" in html
    assert "15 min" in html and "35 min" in html and "16,7 %" in html  # median, p90, no-shows
    assert PHONE not in html
    charts = {root.get("aria-labelledby").split("-title")[0]: root for root in svgs(html)}
    assert set(charts) == {"chart-days", "chart-waits", "chart-hours", "chart-services",
                           "chart-service-waits", "chart-languages"}
    languages = charts["chart-languages"]
    bars = [r for r in languages.iter(f"{SVG}rect") if r.get("class") == "bar"]
    # Most used first, every kiosk language listed (0 included): 5 fr, 2 ar, 1 zh.
    assert [b.find(f"{SVG}title").text for b in bars][:3] == [
        "Français (fr) — Tickets : 5", "العربية (ar) — Tickets : 2", "中文 (zh) — Tickets : 1"]
    hours = charts["chart-hours"]
    bars = [r for r in hours.iter(f"{SVG}rect") if r.get("class") == "bar"]
    assert len(bars) == 3  # 9 h, 10 h, 14 h: one bar per hour with tickets
    assert [b.find(f"{SVG}title").text for b in bars] == [
        "9 h : 4 tickets", "10 h : 2 tickets", "14 h : 2 tickets"]
    assert hours.find(f"{SVG}title").text == "Tickets émis par heure"
    assert html.count('<table class="chart-data">') == 6  # a data table for every chart
    assert "<figcaption>Tickets émis par heure</figcaption>" in html  # a visible title too
    assert "/stats/paris-19/export.csv?from=2024-06-03&amp;to=2024-06-04&amp;kind=summary" in html


def test_the_default_period_is_the_last_seven_days(manager):
    from django.utils import timezone

    today = timezone.localdate()
    response = manager.get("/stats/paris-19/")
    assert response.status_code == 200
    assert response.context["period"] == Period(today - dt.timedelta(days=6), today)


def test_an_empty_period_says_so(manager):
    response = manager.get("/stats/paris-19/?from=2023-01-01&to=2023-01-31")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="no-data"' in html and "Aucun ticket" in html
    assert "<svg" not in html


@pytest.mark.parametrize("query, message", [
    ("?from=2024-02-30&to=2024-03-01", "Date de début invalide"),
    ("?from=demain", "Format attendu : AAAA-MM-JJ"),
    ("?from=2024-06-05&to=2024-06-01", "après la date de fin"),
    ("?from=2020-01-01&to=2024-06-01", "limitée à 366 jours"),
])
def test_bad_dates_are_a_clear_400(manager, query, message):
    response = manager.get("/stats/paris-19/" + query)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'role="alert"' in response.content.decode()
    csv_response = manager.get("/stats/paris-19/export.csv" + query)
    assert csv_response.status_code == 400 and message in csv_response.content.decode()


# -- CSV -------------------------------------------------------------------------------


def read_csv(response) -> list[dict]:
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def test_the_ticket_csv(manager):
    response = manager.get("/stats/paris-19/export.csv" + RANGE)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="carrefour-paris-19-tickets-2024-06-03-2024-06-04.csv"')
    rows = read_csv(response)
    assert list(rows[0]) == ["day", "number", "service", "priority", "status", "created_at",
                             "called_at", "finished_at", "wait_minutes", "counter", "language"]
    assert len(rows) == 8
    assert [r["number"] for r in rows] == ["C001", "C002", "P001", "C003", "C004", "P002",
                                           "C001", "C002"]
    first = rows[0]
    assert first == {"day": "2024-06-03", "number": "C001", "service": "État civil",
                     "priority": "", "status": "terminé", "created_at": "2024-06-03 09:00:00",
                     "called_at": "2024-06-03 09:05:00", "finished_at": "2024-06-03 09:15:00",
                     "wait_minutes": "5,0", "counter": "Guichet 1", "language": "fr"}
    assert [r["language"] for r in rows].count("ar") == 2
    assert rows[2]["priority"] == "75 ans et plus"
    assert rows[3]["status"] == "absent"
    cancelled = rows[7]
    assert (cancelled["status"], cancelled["called_at"], cancelled["wait_minutes"],
            cancelled["counter"]) == ("annulé", "", "", "")


def test_the_csv_has_no_personal_data(manager):
    from kiosk.server.queueing.models import Ticket

    # Stored sealed (phone_vault.py): compared once read back in clear.
    assert [t.phone for t in Ticket.objects.all()].count(PHONE) == 4
    for kind in ("tickets", "summary"):
        response = manager.get(f"/stats/paris-19/export.csv{RANGE}&kind={kind}")
        raw = b"".join(response.streaming_content).decode("utf-8-sig")
        assert PHONE not in raw and "phone" not in raw.lower() and "3361" not in raw


def test_the_summary_csv(manager):
    response = manager.get(f"/stats/paris-19/export.csv{RANGE}&kind=summary")
    assert response["Content-Disposition"].endswith('summary-2024-06-03-2024-06-04.csv"')
    rows = {r["service"]: r for r in read_csv(response)}
    assert list(rows) == ["État civil", "Passeports", "Tous services"]
    civil, total = rows["État civil"], rows["Tous services"]
    assert (civil["issued"], civil["wait_median_minutes"], civil["wait_p90_minutes"],
            civil["no_show_rate_percent"], civil["estimate_bias_minutes"]) == (
        "6", "20,0", "36,0", "20,0", "-1,0")
    assert (total["issued"], total["wait_median_minutes"], total["wait_p90_minutes"],
            total["no_show_rate_percent"], total["cancel_rate_percent"],
            total["service_median_minutes"]) == ("8", "15,0", "35,0", "16,7", "12,5", "10,0")


def test_an_unknown_export_is_a_400(manager):
    assert manager.get("/stats/paris-19/export.csv?kind=phones").status_code == 400


def test_text_cells_cannot_be_formulas(manager, site):
    from kiosk.server.queueing.models import Counter, Ticket

    Counter.objects.filter(site=site).update(name="=HYPERLINK(\"x\")")
    assert Ticket.objects.filter(counter__name__startswith="=").exists()
    rows = read_csv(manager.get("/stats/paris-19/export.csv" + RANGE))
    assert rows[0]["counter"] == "'=HYPERLINK(\"x\")"


# -- permissions -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/stats/paris-19/", "/stats/paris-19/export.csv"])
def test_login_is_required(client, site, path):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/connexion/")


@pytest.mark.parametrize("role", ["counter", "editor", "moderator"])
@pytest.mark.parametrize("path", ["/stats/paris-19/", "/stats/paris-19/export.csv"])
def test_only_site_admins_see_the_statistics(client, site, role, path):
    client.force_login(user("agent", site=site, role=role))
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", ["/stats/paris-19/", "/stats/paris-19/export.csv"])
def test_an_admin_of_another_site_is_refused(client, site, path):
    from kiosk.server.content.models import Site

    client.force_login(user("chef20", site=Site.objects.get(slug="paris-20"), role="admin"))
    assert client.get(path).status_code == 403
    assert client.get(path.replace("paris-19", "paris-20")).status_code == 200


def test_a_superuser_sees_every_site(client, site):
    client.force_login(user("root", superuser=True))
    assert client.get("/stats/paris-19/" + RANGE).status_code == 200
    assert client.get("/stats/paris-20/" + RANGE).status_code == 200


def test_an_unknown_site_is_a_404(manager):
    assert manager.get("/stats/nowhere/").status_code == 404


def test_the_urls_have_names():
    from django.urls import reverse

    assert reverse("stats", args=["paris-19"]) == "/stats/paris-19/"
    assert reverse("stats-csv", args=["paris-19"]) == "/stats/paris-19/export.csv"
