"""The wait bench's server driver: simulated days replayed through the real queueing code.

Each world event (``kiosk.domain.simulation``) goes through the action production runs for
it: ``do_issue_ticket`` (with a phone number for a share of visitors), the counter timetable
actions, ``do_call_next``, ``do_finish_current``, ``do_no_show`` (after the site's grace),
``do_cancel_by_visitor``; the SMS worker's minute check (``do_check_near_turns``) runs at
every simulated minute. The clock is the simulated one: ``django.utils.timezone.now`` and
the ``time.monotonic`` of the queueing caches (the model is refitted once a simulated
minute, the shared estimates live a simulated second).

What is scored is what production stored: the ticket's ``estimate_at_issue`` (what it
prints), its ``wait_status_at_issue`` ("soon": no "near" SMS owed), the "near" SMS rows and
their ``created_at`` (the decision; the phone gets it 5-30 s later). Baselines at issue,
from the server's data at that moment: the naive formula with the server's learned mean
(tickets ahead in call order x mean / counters open now serving the service, or planned
today when none is open) and LES (the wait of the service's last ticket drawn).

Standalone (a throw-away SQLite database, migrated): ``python -m tests.bench.wait_server
single:3 lunch:5 --warmup 2`` prints the outcomes as JSON (bench_wait runs it in a child process, so Django's set-up and
the clock patches never leak into other benches). In a Django test, ``run_scenario``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from kiosk.domain.sim_replay import Outcome, naive_minutes
from kiosk.domain.sim_scenarios import hours_json, scenario
from kiosk.domain.simulation import Event, Scenario, World

BASE_DATE = dt.date(2030, 1, 7)  # a Monday; no daylight-saving change for months
GRACE_SECONDS = 180


def business_day(index: int) -> dt.date:
    return BASE_DATE + dt.timedelta(days=7 * (index // 5) + index % 5)


class SimClock:
    """The simulated time: a date, minutes since midnight, and a day serial that keeps the
    monotonic clock increasing across days and scenarios."""

    def __init__(self, tz: str):
        self.tz = ZoneInfo(tz)
        self.day, self.minutes, self.serial = BASE_DATE, 0.0, 0

    def now(self) -> dt.datetime:
        midnight = dt.datetime.combine(self.day, dt.time(), tzinfo=self.tz)
        return midnight + dt.timedelta(minutes=self.minutes)

    def monotonic(self) -> float:
        return self.serial * 86400.0 + self.minutes * 60.0


class _TimeShim:
    """Stands for the ``time`` module in the queueing modules: only ``monotonic`` is ours."""

    def __init__(self, clock: SimClock):
        self.monotonic = clock.monotonic

    def __getattr__(self, name):
        return getattr(time, name)


@contextlib.contextmanager
def simulated_clock(clock: SimClock):
    """Patch timezone.now and the caches' monotonic clocks of kiosk.server (restored after)."""
    from django.utils import timezone

    import kiosk.server.queueing.counter_actions  # noqa: F401  (loaded: patched below)
    import kiosk.server.queueing.estimates  # noqa: F401
    import kiosk.server.queueing.issuing  # noqa: F401
    import kiosk.server.queueing.notices  # noqa: F401

    patched = [(timezone, "now", timezone.now)]
    patched += _simulated_field_defaults(timezone.now, clock.now)
    timezone.now = clock.now
    shim = _TimeShim(clock)
    for name, module in list(sys.modules.items()):
        if name.startswith("kiosk.server.") and getattr(module, "time", None) is time:
            patched.append((module, "time", time))
            module.time = shim
    _reset_caches()
    try:
        yield clock
    finally:
        for target, attr, value in patched:
            setattr(target, attr, value)
            if hasattr(target, "_get_default"):  # a field: Django caches its default callable
                target.__dict__.pop("_get_default", None)
        _reset_caches()


def _simulated_field_defaults(real_now, simulated_now) -> list[tuple]:
    """Model fields with ``default=timezone.now`` hold the real function, bound at import:
    patching ``timezone.now`` does not reach them. Without this, every CounterEvent of the
    console's actions was stamped with the wall clock (not the simulated day), so the fit
    never saw an agent's opening or return and learnt lunch breaks and pauses as gaps
    before a call (a +3 to +5 min bias on the server path). Returns what to restore."""
    from django.apps import apps

    patched = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if getattr(field, "default", None) is real_now:
                patched.append((field, "default", real_now))
                field.default = simulated_now
                field.__dict__.pop("_get_default", None)  # cached_property of the default
    return patched


def _reset_caches() -> None:
    from kiosk.server.queueing import estimates

    reset = getattr(estimates, "reset_caches", None)
    if reset is not None:
        reset()


# -- counters: the timetable actions -------------------------------------------------------


def counter_action(counter, kind: str, until: dt.datetime | None = None,
                   for_today: bool = False) -> None:
    """One agent action on a counter, through the console's actions (a plain close is a
    lunch break: the afternoon session is still planned)."""
    from kiosk.server.queueing import counter_actions as ca

    if kind == "open":
        ca.do_open_counter(counter)
    elif kind == "pause":
        ca.do_pause_counter(counter, until)
    elif kind == "back":
        ca.do_back_at_counter(counter)
    elif kind == "close" and for_today:
        ca.do_close_counter_for_today(counter)
    elif kind == "close":
        ca.do_close_counter(counter)
    else:
        raise ValueError(kind)


# -- the site --------------------------------------------------------------------------------


def create_site(sc: Scenario, slug: str):
    """Site, services (prefix = code, configured mean) and counters with their timetable."""
    from kiosk.server.content.models import Pole, Service, Site
    from kiosk.server.queueing.models import Counter

    site = Site.objects.create(slug=slug, name=f"Mairie ({sc.name})",
                               no_show_grace_seconds=GRACE_SECONDS)
    pole = Pole.objects.create(site=site, slug="accueil", color="#1E56A0", pictogram="mairie",
                               name={"fr": "Accueil"})
    services = {}
    for s in sc.services:
        services[s.code] = Service.objects.create(
            site=site, pole=pole, slug=s.code.lower(), prefix=s.code, pictogram="mairie",
            name={"fr": s.name}, mean_service_minutes=s.configured_mean)
    counters = {}
    for c in sc.counters:
        counter = Counter.objects.create(site=site, name=f"Guichet {c.counter_id}",
                                         is_open=False, hours=hours_json(c))
        counter.services.set([services[code] for code in c.services])
        counters[c.counter_id] = counter
    return site, services, counters


# -- one day -------------------------------------------------------------------------------


class ServerDay:
    """A ``Handler`` for ``World.run``: applies each event through the server's actions."""

    def __init__(self, sc: Scenario, site, services, counters, clock: SimClock, day: int):
        self.sc, self.site, self.services, self.counters = sc, site, services, counters
        self.clock, self.day = clock, day
        self.pk: dict[str, int] = {}  # world ticket id -> Ticket pk
        self.world_id: dict[int, str] = {}
        self.outcomes: dict[str, Outcome] = {}
        self.checked_minute = -1
        self.phones = 0

    def __call__(self, ev: Event) -> str | None:
        self._minute_checks(ev.at)
        self.clock.minutes = ev.at
        from kiosk.server.queueing import counter_actions as ca
        from kiosk.server.queueing.models import Ticket
        from kiosk.server.queueing.visitor_actions import do_cancel_by_visitor

        counter = self.counters.get(ev.counter) if ev.counter else None
        if counter is not None:
            counter.refresh_from_db()
        if ev.kind == "arrive":
            self._issue(ev)
        elif ev.kind in ("open", "pause", "back", "close"):
            until = None if ev.until is None else self._at(ev.until)
            counter_action(counter, ev.kind, until, ev.for_today)
        elif ev.kind == "call":
            ticket = ca.do_call_next(counter)
            return None if ticket is None else self.world_id[ticket.pk]
        elif ev.kind == "finish":
            ca.do_finish_current(counter)
        elif ev.kind == "no_show":
            ca.do_no_show(counter)
        elif ev.kind == "leave":
            do_cancel_by_visitor(Ticket.objects.get(pk=self.pk[ev.visitor.ticket_id]))
        return None

    def _at(self, minutes: float) -> dt.datetime:
        saved, self.clock.minutes = self.clock.minutes, minutes
        try:
            return self.clock.now()
        finally:
            self.clock.minutes = saved

    def _minute_checks(self, until: float) -> None:
        """The SMS worker's "near" check, once a simulated minute (sms_worker --near-every 60)."""
        from kiosk.server.queueing.notices import do_check_near_turns

        minute = int(until)
        if self.checked_minute < 0:
            self.checked_minute = minute
            return
        while self.checked_minute < minute:
            self.checked_minute += 1
            self.clock.minutes = float(self.checked_minute)
            do_check_near_turns()

    def _issue(self, ev: Event) -> None:
        from kiosk.server.queueing.issuing import check_phone, do_issue_ticket
        from kiosk.server.queueing.models import Priority
        from kiosk.server.queueing.ordering import ticket_position

        v = ev.visitor
        phone = ""
        if v.phone:
            self.phones += 1
            phone = check_phone(f"+3361{self.day % 100:02d}{self.phones:05d}", consent=True)
        ticket, _ = do_issue_ticket(self.services[v.service], priority=(
            Priority.ELDERLY if v.priority else ""), phone=phone, consent=bool(phone))
        self.pk[v.ticket_id], self.world_id[ticket.pk] = ticket.pk, v.ticket_id
        ahead = (ticket_position(ticket) or 1) - 1  # in call order, as the pages show
        naive = self._naive(v.service, ahead)
        o = Outcome(self.sc.name, self.day, v.ticket_id, v.service, v.priority, v.phone,
                    ev.at, estimate=None if ticket.estimate_at_issue is None
                    else float(ticket.estimate_at_issue), naive=naive)
        o.les = self._les(v.service, ticket.pk, naive)
        o.near_at_issue = getattr(ticket, "wait_status_at_issue", "") == "soon"
        self.outcomes[v.ticket_id] = o

    def _naive(self, code: str, ahead: int) -> float | None:
        """Tickets ahead x the server's learned mean / counters open now serving the service
        (staffed, not paused); when none is, the counters planned today serving it."""
        from django.db.models import Q

        from kiosk.server.queueing.snapshot import MODELS

        service = self.services[code]
        counters = service.counters.exclude(closed_on=self.clock.day)
        open_now = counters.filter(is_open=True).filter(
            Q(paused_until__isnull=True) | Q(paused_until__lte=self.clock.now())).count()
        return naive_minutes(ahead, MODELS.get(self.site).mean(str(service.pk)), open_now,
                             counters.count())

    def _les(self, code: str, pk: int, fallback: float | None) -> float | None:
        from kiosk.server.queueing.models import Ticket

        last = (Ticket.objects.filter(site=self.site, day=self.clock.day,
                                      service=self.services[code], drawn_at__isnull=False)
                .exclude(pk=pk).order_by("-drawn_at").values_list("drawn_at", "created_at")
                .first())
        if last is None:
            return fallback
        return (last[0] - last[1]).total_seconds() / 60

    def finish(self) -> list[Outcome]:
        """Calls and SMS decisions as stored by the server."""
        from kiosk.server.notifications.models import SmsMessage
        from kiosk.server.queueing.models import Ticket

        midnight = dt.datetime.combine(self.clock.day, dt.time(), tzinfo=self.clock.tz)

        def minutes(moment):
            return (moment - midnight).total_seconds() / 60

        rows = Ticket.objects.filter(pk__in=self.pk.values()).values_list(
            "pk", "drawn_at", "status")
        for pk, drawn_at, status in rows:
            o = self.outcomes[self.world_id[pk]]
            o.called_at = None if drawn_at is None else minutes(drawn_at)
            o.no_show, o.left = status == "no_show", status == "cancelled"
        for pk, created in SmsMessage.objects.filter(
                ticket_id__in=self.pk.values(), kind="near").values_list("ticket_id", "created_at"):
            self.outcomes[self.world_id[pk]].sms_decided_at = minutes(created)
        return list(self.outcomes.values())


# -- runs ------------------------------------------------------------------------------------


def run_scenario(name: str, days: int, *, site_seed: int = 0, serial: int = 0,
                 clock: SimClock | None = None) -> tuple[list[Outcome], dict]:
    """``days`` simulated days of a scenario on a new site (needs a migrated database).
    Returns the outcomes and counts (tickets, SMS rows, world/server call mismatches)."""
    from django.conf import settings

    from kiosk.server.notifications.models import SmsMessage

    sc = scenario(name, site_seed)
    clock = clock or SimClock(settings.TIME_ZONE)
    outcomes: list[Outcome] = []
    stats = {"mismatches": 0, "sms_near": 0, "sms_called": 0, "tickets": 0}
    with simulated_clock(clock):
        clock.day, clock.minutes, clock.serial = business_day(0), 0.0, serial
        site, services, counters = create_site(sc, f"bench-{name}-{serial}")
        for day in range(days):
            clock.day, clock.minutes, clock.serial = business_day(day), 0.0, serial + day
            handler = ServerDay(sc, site, services, counters, clock, day)
            world = World(sc, seed=1000 + day)
            world.run(handler)
            outcomes += handler.finish()
            stats["mismatches"] += world.mismatches
            stats["tickets"] += len(handler.pk)
            for kind in ("near", "called"):
                stats[f"sms_{kind}"] += SmsMessage.objects.filter(
                    ticket_id__in=handler.pk.values(), kind=kind).count()
    return outcomes, stats


def configure_django(data_dir: Path) -> None:
    """A throw-away, migrated SQLite database under data_dir (standalone runs only)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    os.environ["CARREFOUR_DATA_DIR"] = str(data_dir)
    os.environ["DATABASE_URL"] = f"sqlite:///{data_dir / 'bench.sqlite3'}"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def main(argv: list[str]) -> int:
    """``NAME:DAYS ... [--warmup N]``: scenarios in sequence in one database; prints one JSON
    object (counts per scenario, and the outcomes of the days after the warm-up)."""
    warmup = int(argv[argv.index("--warmup") + 1]) if "--warmup" in argv else 0
    wanted = [a for i, a in enumerate(argv[1:], 1) if ":" in a and argv[i - 1] != "--warmup"]
    out = {"stats": {}, "outcomes": []}
    with tempfile.TemporaryDirectory() as tmp:
        configure_django(Path(tmp))
        for n, item in enumerate(wanted):
            name, days = item.split(":")
            started = time.perf_counter()
            outcomes, stats = run_scenario(name, int(days), serial=1000 * n)
            stats["seconds"] = round(time.perf_counter() - started, 1)
            out["stats"][name] = stats
            out["outcomes"] += [dataclasses.asdict(o) for o in outcomes if o.day >= warmup]
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
