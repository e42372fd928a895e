"""Queue service functions: check_* validates and authorizes, do_* changes state.

The rules (docs/queues.md):
- order: the fair priority rule of kiosk.domain.priority over each counter's services, the
  place of a ticket being its `queued_at` (its issue time, kept across transfer and park);
- estimates: kiosk.domain.estimation, fed with the queue as it is and the service times
  learned from the last weeks;
- SMS: after every change, the "turn is near" rule (kiosk.domain.notify) is evaluated for
  the tickets with a phone number and the SMS row is inserted in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
import uuid

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from kiosk.domain.estimation import (
    CounterState,
    InService,
    QueueSnapshot,
    ServiceTimeModel,
    estimate_waits,
    minutes_since_midnight,
)
from kiosk.domain.notify import near_turn
from kiosk.domain.phones import PhoneError, normalize_phone
from kiosk.domain.priority import WaitingTicket, choose_next
from kiosk.domain.tickets import (
    MAX_NUMBER,
    InvalidTransition,
    TicketStatus,
    check_transition,
    format_ticket_number,
)
from kiosk.server.accounts.models import Role, sites_where
from kiosk.server.content.models import Service, Site
from kiosk.server.queueing.models import (
    Counter,
    IdempotencyRecord,
    NumberLease,
    Priority,
    QueueVersion,
    Ticket,
    TicketSequence,
)

HISTORY_DAYS = 28
MODEL_TTL_SECONDS = 60.0


class QueueError(Exception):
    """A request the queue cannot honour; the message is safe to show."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


# -- issuing -------------------------------------------------------------------------------


def check_service_for_ticket(site: Site, service_slug: str) -> Service:
    # A draft service (or one of a draft pole) is not on the kiosks: no ticket for it either.
    service = Service.objects.filter(site=site, slug=service_slug, published=True,
                                     pole__published=True).first()
    if service is None:
        raise QueueError(f"unknown service {service_slug!r}", status=404)
    service.site = site  # the caller's instance: no second query for it
    if not service.ticketing:
        raise QueueError("this service works on appointment only: no ticket", status=409)
    return service


def check_service_for_offline_ticket(site: Site, service_slug: str) -> Service:
    """Like check_service_for_ticket, but a service turned appointment-only since the lease
    still takes the tickets already issued from it: nothing a kiosk issued is refused."""
    service = Service.objects.filter(site=site, slug=service_slug).first()
    if service is None:
        raise QueueError(f"unknown service {service_slug!r}", status=404)
    return service


def check_phone(raw: str | None, consent: bool) -> str:
    """The E.164 number to keep on the ticket ('' for none); consent is required."""
    if not raw:
        return ""
    try:
        phone = normalize_phone(raw)
    except PhoneError as exc:
        raise QueueError(f"phone number refused: {exc}", status=422) from exc
    if not consent:
        raise QueueError("the visitor's consent is required to keep a phone number", status=422)
    return phone


def check_priority(value: str | None) -> str:
    value = value or ""
    if value not in Priority.values:
        raise QueueError(f"unknown priority category {value!r}", status=422)
    return value


def do_issue_ticket(
    service: Service,
    language: str = "fr",
    kiosk=None,
    idempotency_key: uuid.UUID | None = None,
    *,
    priority: str = "",
    phone: str = "",
    consent: bool = False,
    issued_by=None,
) -> tuple[Ticket, bool]:
    """Issue the next ticket of the day for `service`; return (ticket, created).

    With an idempotency key, a replay (even a concurrent one) returns the first ticket.
    `phone` must already be checked (check_phone); it is kept only while the ticket is open.
    """
    if idempotency_key is not None and kiosk is not None:
        record = IdempotencyRecord.objects.filter(kiosk=kiosk, key=idempotency_key).first()
        if record is not None:
            return record.ticket, False
    # The site's shared estimates (at most ESTIMATES_TTL_SECONDS old; computed, if need be,
    # outside the write transaction, which holds SQLite's lock): they hold the wait of a
    # ticket taken now in each service, the estimate shown at issue (docs/queues.md).
    estimates = queue_estimates(service.site)
    newer = newer_tickets(estimates, service.site_id, timezone.localdate())
    if newer and estimate_for_new(estimates, newer, service.pk, bool(priority)) is NEEDS_FRESH:
        # Tickets issued since that the shared result cannot account for: the queue as it
        # is (computed once for the concurrent requests of the process, and shared).
        estimates = queue_estimates(service.site, fresh=True)
    try:
        with transaction.atomic():
            day = timezone.localdate()
            sequence, _ = TicketSequence.objects.get_or_create(service=service, day=day)
            # The UPDATE takes the row lock: concurrent issuers queue here until we commit.
            TicketSequence.objects.filter(pk=sequence.pk).update(last_number=F("last_number") + 1)
            number = TicketSequence.objects.values_list("last_number", flat=True).get(pk=sequence.pk)
            if number > MAX_NUMBER:
                # Rolls the bump back: the visitor is sent to the reception desk, not a 500.
                raise QueueError(
                    f"no more tickets today for this service ({MAX_NUMBER} issued)", status=409
                )
            now = timezone.now()
            # Under the sequence's lock: every earlier ticket of the service is committed.
            minutes = estimate_for_new(estimates, newer_tickets(estimates, service.site_id, day),
                                       service.pk, bool(priority),
                                       compute=False)  # no simulation under the lock
            raced = minutes is NEEDS_FRESH  # others were issued since the check above
            if raced:
                minutes = None
            ticket = Ticket.objects.create(
                site=service.site, service=service, day=day, number=number,
                prefix=service.prefix, language=language, kiosk=kiosk, priority=priority,
                issued_service=service,
                queued_at=now, phone=phone, sms_consent_at=now if phone else None,
                issued_by=issued_by, estimate_at_issue=minutes,
            )
            if idempotency_key is not None and kiosk is not None:
                IdempotencyRecord.objects.create(kiosk=kiosk, key=idempotency_key, ticket=ticket)
            # A ticket at the back of its line changes no other ticket's estimate (a priority
            # one moves the normal ones back: drop the shared estimates), nor makes another
            # ticket's turn near: only its own "near" SMS can be due.
            queue_changed(service.site_id, estimates=bool(priority) or raced)
            if raced:
                refresh_notifications(service.site)  # as for any change: fresh, in here
            elif phone and minutes is not None:
                _notify_new_ticket(ticket, minutes)
    except IntegrityError:
        # Lost a race with the same key: the other request's ticket is the answer.
        if idempotency_key is None or kiosk is None:
            raise
        record = IdempotencyRecord.objects.filter(kiosk=kiosk, key=idempotency_key).first()
        if record is None:
            raise
        return record.ticket, False
    if raced:  # the estimate with the queue as it is, outside the write transaction
        minutes = queue_estimates(service.site, fresh=True).get(ticket.pk)
        Ticket.objects.filter(pk=ticket.pk).update(estimate_at_issue=minutes)
        ticket.estimate_at_issue = minutes
    elif not priority and _estimates_cache.get(service.site_id, (0, None))[1] is estimates:
        # The shared result stays valid (see above): it now holds this ticket too, with
        # the estimate it was given, until the next computation.
        estimates[ticket.pk] = ticket.estimate_at_issue
    return ticket, True


def _notify_new_ticket(ticket: Ticket, minutes: int) -> None:
    """The "near" rule (refresh_notifications) for a ticket just issued, in its transaction."""
    from kiosk.server.notifications.services import enqueue_sms

    position = ticket_position(ticket)
    if position and near_turn(minutes, position - 1, ticket.site.sms_threshold_minutes,
                              ticket.site.sms_max_position):
        enqueue_sms(ticket, "near", minutes=minutes)


# -- offline tickets: leased number blocks ----------------------------------------------

MAX_LEASE_SIZE = 50


def do_lease_numbers(service: Service, kiosk, size: int = 10,
                     idempotency_key: uuid.UUID | None = None) -> tuple[NumberLease, bool]:
    """Reserve the next `size` numbers of today's sequence of `service` for `kiosk`; return
    (lease, created). One UPDATE bumps the sequence by `size` (the row lock serialises it
    with do_issue_ticket), so online tickets skip the leased numbers. A replay of the same
    key returns the first lease."""
    if not 1 <= size <= MAX_LEASE_SIZE:
        raise QueueError(f"a lease holds 1 to {MAX_LEASE_SIZE} numbers", status=422)
    if idempotency_key is not None:
        lease = NumberLease.objects.filter(kiosk=kiosk, idempotency_key=idempotency_key).first()
        if lease is not None:
            return lease, False
    try:
        with transaction.atomic():
            day = timezone.localdate()
            sequence, _ = TicketSequence.objects.get_or_create(service=service, day=day)
            TicketSequence.objects.filter(pk=sequence.pk).update(
                last_number=F("last_number") + size)
            last = TicketSequence.objects.values_list("last_number", flat=True).get(pk=sequence.pk)
            if last > MAX_NUMBER:
                raise QueueError(f"no more numbers today for this service ({MAX_NUMBER})",
                                 status=409)
            lease = NumberLease.objects.create(
                kiosk=kiosk, service=service, day=day, first=last - size + 1, last=last,
                prefix=service.prefix, idempotency_key=idempotency_key,
            )
    except IntegrityError:
        if idempotency_key is None:
            raise
        lease = NumberLease.objects.filter(kiosk=kiosk, idempotency_key=idempotency_key).first()
        if lease is None:
            raise
        return lease, False
    return lease, True


def do_issue_offline_ticket(
    service: Service,
    kiosk,
    idempotency_key: uuid.UUID,
    *,
    lease_day: dt.date,
    number: int,
    issued_at: dt.datetime,
    language: str = "fr",
    priority: str = "",
) -> tuple[Ticket, bool]:
    """Store a ticket the kiosk issued offline from one of its leases; return (ticket, created).

    The number must lie in a lease of this kiosk for this service and day (else 409). The
    ticket keeps that number and takes its place by the kiosk's issue time, clamped to
    [lease.created_at, now]. A replay of the key returns the same ticket; the same number
    under another key is a 409 (the unique constraint on the issued number decides). A
    ticket of a past day is still stored, as cancelled: nothing the kiosk issued is lost.
    """
    record = IdempotencyRecord.objects.filter(kiosk=kiosk, key=idempotency_key).first()
    if record is not None:
        return record.ticket, False
    lease = (NumberLease.objects.filter(kiosk=kiosk, service=service, day=lease_day,
                                        first__lte=number, last__gte=number)
             .order_by("created_at").first())
    if lease is None:
        raise QueueError(
            f"number {number} of {lease_day} is not in a lease of this kiosk for {service.slug!r}",
            status=409,
        )
    now = timezone.now()
    if issued_at.tzinfo is None:
        issued_at = timezone.make_aware(issued_at)
    issued = min(max(issued_at, lease.created_at), now)
    past_day = lease_day < timezone.localdate()
    try:
        with transaction.atomic():
            ticket = Ticket.objects.create(
                site_id=service.site_id, service=service, issued_service=service, day=lease_day,
                number=number, prefix=lease.prefix, language=language, kiosk=kiosk,
                priority=priority, queued_at=issued, offline=True,
                status=TicketStatus.CANCELLED if past_day else TicketStatus.WAITING,
                finished_at=now if past_day else None,
            )
            # created_at is auto_now_add: the issue time is the kiosk's, set after insert.
            Ticket.objects.filter(pk=ticket.pk).update(created_at=issued)
            ticket.created_at = issued
            IdempotencyRecord.objects.create(kiosk=kiosk, key=idempotency_key, ticket=ticket)
            if not past_day:
                queue_changed(service.site_id)
                refresh_notifications(service.site)
    except IntegrityError:
        record = IdempotencyRecord.objects.filter(kiosk=kiosk, key=idempotency_key).first()
        if record is not None:
            return record.ticket, False
        raise QueueError(
            f"ticket {format_ticket_number(lease.prefix, number)} of {lease_day} was already "
            "uploaded", status=409) from None
    return ticket, True


# -- order, positions and estimates -------------------------------------------------------


def _waiting(site_id: int, day: dt.date, service_ids=None):
    qs = Ticket.objects.filter(site_id=site_id, day=day, status=TicketStatus.WAITING)
    if service_ids is not None:
        qs = qs.filter(service_id__in=service_ids)
    return qs.order_by("queued_at", "pk")


def _minutes(moment: dt.datetime) -> float:
    return minutes_since_midnight(timezone.localtime(moment))


def _as_waiting(ticket: Ticket) -> WaitingTicket:
    return WaitingTicket(
        ticket_id=str(ticket.pk), service=str(ticket.service_id),
        issued_at=_minutes(ticket.queued_at), priority=bool(ticket.priority),
    )


def recent_priority_calls(site_id: int, day: dt.date, service_ids) -> list[bool]:
    """Priority flags of the latest draws from these services, oldest first."""
    flags = list(
        Ticket.objects.filter(site_id=site_id, day=day, service_id__in=service_ids,
                              drawn_at__isnull=False)
        .order_by("-drawn_at").values_list("priority", flat=True)[:4]
    )
    return [bool(p) for p in reversed(flags)]


_HEADS = (WaitingTicket("priority", "", 0.0, priority=True),
          WaitingTicket("normal", "", 0.0, priority=False))


def _interleave(priority: list, normal: list, recent: list[bool]) -> list:
    """The two lines of a service (each oldest first) merged in the order one stream of calls
    takes them: choose_next only looks at whether each line has a head, and at the recent
    calls, so the heads stand for their line."""
    history = list(recent)
    ordered, i, j = [], 0, 0
    while i < len(priority) or j < len(normal):
        heads = [h for h in _HEADS if (i < len(priority) if h.priority else j < len(normal))]
        take_priority = choose_next(heads, history).priority
        if take_priority:
            ordered.append(priority[i])
            i += 1
        else:
            ordered.append(normal[j])
            j += 1
        history.append(take_priority)
    return ordered


def call_order(tickets: list[Ticket], recent: list[bool]) -> list[Ticket]:
    """The order in which one stream of calls would take these tickets (priority rule):
    linear, not quadratic, in the queue's length."""
    waiting = sorted(tickets, key=lambda t: (_as_waiting(t).issued_at, t.pk))
    return _interleave([t for t in waiting if t.priority], [t for t in waiting if not t.priority],
                       recent)


def ticket_position(ticket: Ticket, loaded: bool = False) -> int | None:
    """1 = next to be called in its service; None once the ticket has left the queue.
    `loaded`: the instance was just read (or written) by this request: its place is the
    stored one, no need to read it again."""
    if ticket.status != TicketStatus.WAITING:
        return None
    # The same answer as call_order over the service's waiting tickets, from counts: the rule
    # only looks at the heads of the priority and the normal lines, so the place of a ticket
    # depends only on how many of its class are ahead and how many of the other class wait.
    # Its place as stored (not as this instance remembers it), then one COUNT query.
    line = _waiting(ticket.site_id, ticket.day, [ticket.service_id]).order_by()
    if loaded:
        queued_at, priority = ticket.queued_at, ticket.priority
    else:
        me = line.filter(pk=ticket.pk).values_list("queued_at", "priority").first()
        if me is None:
            return None
        queued_at, priority = me
    same = ~Q(priority="") if priority else Q(priority="")
    ahead = Q(queued_at__lt=queued_at) | Q(queued_at=queued_at, pk__lt=ticket.pk)
    counts = line.aggregate(same_ahead=Count("pk", filter=same & ahead),
                            others=Count("pk", filter=~same))
    # The history of calls only matters when both lines wait.
    recent = (recent_priority_calls(ticket.site_id, ticket.day, [ticket.service_id])
              if counts["others"] else [])
    return _place_in_call_order(bool(priority), counts["same_ahead"], counts["others"], recent)


def site_positions(site_id: int, day: dt.date) -> dict[int, int]:
    """The place (1 = next) of every waiting ticket of the site in its service's call order:
    what ticket_position says of each, for the whole site at once (the phone pages of a
    site share it per queue version: polling.shared)."""
    lines: dict[int, list[tuple]] = {}
    for pk, service_id, queued_at, priority in _waiting(site_id, day).values_list(
            "pk", "service_id", "queued_at", "priority"):
        lines.setdefault(service_id, []).append((queued_at, pk, bool(priority)))
    places: dict[int, int] = {}
    for service_id, line in lines.items():
        line.sort()
        prio = [pk for _, pk, p in line if p]
        normal = [pk for _, pk, p in line if not p]
        # The history of calls only matters when both lines wait (as in ticket_position).
        history = recent_priority_calls(site_id, day, [service_id]) if prio and normal else []
        for place, pk in enumerate(_interleave(prio, normal, history), start=1):
            places[pk] = place
    return places


def _place_in_call_order(is_priority: bool, same_ahead: int, others: int,
                         recent: list[bool]) -> int:
    """1-based place of a ticket with `same_ahead` tickets of its class ahead of it and
    `others` tickets of the other class waiting, under choose_next (as call_order)."""
    history = list(recent)
    place = 1
    while True:
        chosen = choose_next([h for h in _HEADS if h.priority == is_priority or others], history)
        if chosen.priority == is_priority:
            if not same_ahead:
                return place
            same_ahead -= 1
        else:
            others -= 1
        history.append(chosen.priority)
        place += 1


class _ModelCache:
    """Service-time models per site, refitted from history at most once a minute."""

    def __init__(self):
        self._lock = threading.Lock()
        self._models: dict[int, tuple[float, ServiceTimeModel]] = {}

    def get(self, site: Site) -> ServiceTimeModel:
        with self._lock:
            hit = self._models.get(site.pk)
            if hit and time.monotonic() - hit[0] < MODEL_TTL_SECONDS:
                return hit[1]
        model = _FittedModel(fit_service_time_model(site))
        with self._lock:
            self._models[site.pk] = (time.monotonic(), model)
        return model

    def clear(self) -> None:
        with self._lock:
            self._models.clear()
        _estimates_cache.clear()


class _FittedModel:
    """A fitted ServiceTimeModel, never changed after the fit, with `occupancy` memoized.

    The forward simulation asks for it at every simulated call (x 16 draws). It depends on
    `at` only through the hour of the day (ServiceTimeModel._hour_effect: int(at // 60)),
    so the memo returns exactly what the model computes. Everything else is the model's.
    """

    def __init__(self, model: ServiceTimeModel):
        self._model = model
        self._occupancy: dict[tuple, float] = {}

    def __getattr__(self, name):
        return getattr(self._model, name)

    def occupancy(self, service: str, counter: str | None, at: float, no_show_rate: float) -> float:
        key = (service, counter, int(at // 60), no_show_rate)
        value = self._occupancy.get(key)
        if value is None:
            value = self._occupancy[key] = self._model.occupancy(service, counter, at,
                                                                 no_show_rate)
        return value


MODELS = _ModelCache()


def fit_service_time_model(site: Site, until: dt.date | None = None) -> ServiceTimeModel:
    """Learn service times per service, counter and hour from the last weeks' tickets."""
    priors = {str(pk): float(m) for pk, m in
              Service.objects.filter(site=site).values_list("pk", "mean_service_minutes")}
    grace = site.no_show_grace_seconds / 60
    model = ServiceTimeModel(priors, grace_minutes=grace)
    until = until or timezone.localdate()
    rows = (
        Ticket.objects.filter(site=site, day__gte=until - dt.timedelta(days=HISTORY_DAYS),
                              day__lte=until, called_at__isnull=False,
                              status__in=[TicketStatus.DONE, TicketStatus.NO_SHOW])
        .order_by("called_at")
        .values_list("service_id", "counter_id", "status", "called_at", "finished_at")
    )
    for service_id, counter_id, status, called_at, finished_at in rows:
        model.observe_call(no_show=status == TicketStatus.NO_SHOW)
        if status == TicketStatus.DONE and finished_at is not None:
            minutes = (finished_at - called_at).total_seconds() / 60
            if 0.2 <= minutes <= 240:
                model.observe(str(service_id), minutes,
                              counter=str(counter_id) if counter_id else None,
                              at=_minutes(called_at))
    return model


def snapshot(site: Site, now: dt.datetime | None = None) -> QueueSnapshot:
    now = now or timezone.now()
    day = timezone.localdate(now)
    waiting: dict[str, list[WaitingTicket]] = {}
    # Plain rows, not model instances: this runs at every queue change and poll.
    rows = _waiting(site.pk, day).values_list("pk", "service_id", "queued_at", "priority")
    tz = timezone.get_current_timezone()  # what _minutes (localtime) looks up for every row
    for pk, service_id, queued_at, priority in rows:
        waiting.setdefault(str(service_id), []).append(WaitingTicket(
            ticket_id=str(pk), service=str(service_id),
            issued_at=minutes_since_midnight(queued_at.astimezone(tz)), priority=bool(priority)))
    counters = [
        CounterState(counter_id=str(c.pk), services=frozenset(str(s) for s in c.service_ids))
        for c in _open_counters(site)
    ]
    in_service = [
        InService(ticket_id=str(pk), service=str(service_id), counter_id=str(counter_id),
                  elapsed_minutes=max((now - called_at).total_seconds() / 60, 0.0))
        for pk, service_id, counter_id, called_at in
        Ticket.objects.filter(site=site, day=day, status=TicketStatus.CALLED,
                              counter__isnull=False, called_at__isnull=False)
        .values_list("pk", "service_id", "counter_id", "called_at")
    ]
    service_ids = [s for c in counters for s in c.services]
    recent = recent_priority_calls(site.pk, day, [int(s) for s in set(service_ids)])
    return QueueSnapshot(now=_minutes(now), waiting=waiting, counters=counters,
                         in_service=in_service, recent_calls=recent)


def _open_counters(site: Site) -> list[Counter]:
    counters = list(Counter.objects.filter(site=site, is_open=True))
    # The (counter, service) pairs alone: prefetching the services would load (and decode)
    # every service's texts for every counter.
    served: dict[int, list[int]] = {}
    for counter_id, service_id in Counter.services.through.objects.filter(
            counter_id__in=[c.pk for c in counters]).values_list("counter_id", "service_id"):
        served.setdefault(counter_id, []).append(service_id)
    for counter in counters:
        counter.service_ids = served.get(counter.pk, [])
    return counters


ESTIMATES_TTL_SECONDS = 1.0


NEEDS_FRESH = object()  # Estimates.for_new: only the queue as it is will do


class Estimates(dict):
    """Ticket pk -> whole minutes until its call (None: unknown), as computed at one moment,
    plus what a ticket issued after that moment gets (`for_new`). `max_pk`: the newest
    ticket the computation saw waiting: a waiting ticket with a greater pk is newer."""

    CHAIN_MIN = 8

    def __init__(self, values=(), new=None, max_pk: int = 0, snapshot=None, model=None,
                 related=None):
        super().__init__(values)
        # (service pk, priority) -> a ticket taken at that moment (estimate_waits' probes).
        self.new: dict[tuple[int, bool], float | None] = new or {}
        self.max_pk = max_pk
        # service pk -> the services sharing an open counter with it (itself included).
        self.related: dict[int, set[int]] = related or {}
        self._snapshot, self._model = snapshot, model
        self._chains: dict[int, list[float | None]] = {}

    def for_new(self, service_id: int, priority: bool, normal_since: int,
                priority_since: int, compute: bool = True):
        """Whole minutes for a ticket of the service issued after the computation, with
        `normal_since` / `priority_since` tickets of its service issued after it too, and
        before this one (still waiting). The first one is a ticket taken then (a probe);
        the n-th normal one in a row, the n-th of a chain of normal tickets added to the
        queue the computation saw (computed once per service, when first needed; not
        with `compute` False). NEEDS_FRESH otherwise (priority tickets among them)."""
        if priority_since or (priority and normal_since):
            return NEEDS_FRESH
        if not normal_since:
            value = self.new.get((service_id, priority))
        else:
            chain = self._chains.get(service_id)
            if chain is None or len(chain) <= normal_since:
                if not compute or self._snapshot is None:
                    return NEEDS_FRESH
                chain = self._chain(service_id, max(self.CHAIN_MIN, 2 * normal_since + 1))
            value = chain[normal_since]
        return None if value is None else max(0, math.ceil(value))

    def _chain(self, service_id: int, length: int) -> list[float | None]:
        snap, key = self._snapshot, str(service_id)
        line = list(snap.waiting.get(key, ()))
        at = max([t.issued_at for t in line] + [snap.now]) + 1e-3
        chain = [WaitingTicket(f"chain:{j}", key, at + j * 1e-3) for j in range(length)]
        raw = estimate_waits(QueueSnapshot(
            now=snap.now, waiting={**snap.waiting, key: [*line, *chain]},
            counters=snap.counters, in_service=snap.in_service,
            no_show_rate=snap.no_show_rate, recent_calls=snap.recent_calls), self._model)
        values = [raw.get(t.ticket_id) for t in chain]
        self._chains[service_id] = values
        return values


_estimates_cache: dict[int, tuple[float, Estimates]] = {}


def newer_tickets(estimates: Estimates, site_id: int, day: dt.date) -> list[tuple[int, int, bool]]:
    """(pk, service pk, priority) of the site's waiting tickets newer than `estimates`
    (issued since; usually none or a few), oldest first. One query."""
    rows = Ticket.objects.filter(site_id=site_id, day=day, status=TicketStatus.WAITING,
                                 pk__gt=estimates.max_pk)
    return [(pk, service_id, bool(priority)) for pk, service_id, priority in
            rows.order_by("pk").values_list("pk", "service_id", "priority")]


def estimate_for_new(estimates: Estimates, newer: list[tuple[int, int, bool]],
                     service_id: int, priority: bool, compute: bool = True):
    """The estimate of a ticket of `service_id` issued after `estimates` were computed and
    after the `newer` tickets (newer_tickets): Estimates.for_new when the only ones among
    them that can be called before it are of its own service; NEEDS_FRESH when some are of
    another service sharing a counter with it (the caller computes the queue as it is)."""
    related = estimates.related.get(service_id, ())
    normal = prio = 0
    for _, other, other_priority in newer:
        if other == service_id:
            prio += other_priority
            normal += not other_priority
        elif other in related:
            return NEEDS_FRESH
    return estimates.for_new(service_id, priority, normal, prio, compute)


def estimates_for(site: Site, tickets: list) -> dict[int, int | None]:
    """Estimates of these waiting tickets, from the site's shared estimates; those issued
    since the shared result get theirs as at issue (estimate_for_new), else the queue as it
    is is computed (once for the process, and shared)."""
    estimates = queue_estimates(site) if tickets else Estimates()
    out = {t.pk: estimates.get(t.pk) for t in tickets}
    missing = sorted((t for t in tickets if t.pk not in estimates), key=lambda t: t.pk)
    if not missing:
        return out
    today = timezone.localdate()
    # All issued today since the shared result (not, say, transferred in).
    if missing[0].pk > estimates.max_pk and all(t.day == today for t in missing):
        newer = newer_tickets(estimates, site.pk, today)
        for t in missing:
            minutes = estimate_for_new(estimates, [r for r in newer if r[0] < t.pk],
                                       t.service_id, bool(t.priority))
            if minutes is NEEDS_FRESH:
                break
            out[t.pk] = minutes
        else:
            return out
    estimates = queue_estimates(site, fresh=True)
    return {t.pk: estimates.get(t.pk) for t in tickets}


def queue_changed(site_id: int, estimates: bool = True) -> None:
    """Every queue change, in its transaction: bump the site's QueueVersion (the polled pages
    answer 200 again, in every process) and drop this process's shared estimates."""
    if not QueueVersion.objects.filter(site_id=site_id).update(version=F("version") + 1):
        _, created = QueueVersion.objects.get_or_create(site_id=site_id,
                                                        defaults={"version": 1})
        if not created:  # created concurrently since the UPDATE: bump it now
            QueueVersion.objects.filter(site_id=site_id).update(version=F("version") + 1)
    if estimates:
        invalidate_estimates(site_id)


def queue_version(site_id: int) -> int:
    return QueueVersion.objects.filter(site_id=site_id).values_list(
        "version", flat=True).first() or 0


def queue_estimates(site: Site, now: dt.datetime | None = None,
                    fresh: bool = False) -> Estimates:
    """Whole minutes until each waiting ticket of the site is called (None: unknown).

    Pages poll this (consoles every second, phones every 5 s): within a process the answer
    is shared for ESTIMATES_TTL_SECONDS; queue changes compute it fresh (and refresh it).
    """
    if now is not None:
        return _compute_estimates(site, now)
    asked = time.monotonic()
    if not fresh:
        hit = _estimates_cache.get(site.pk)
        if hit and asked - hit[0] < ESTIMATES_TTL_SECONDS:
            return hit[1]
    if fresh and transaction.get_connection().in_atomic_block:
        # Inside a queue change: its own uncommitted rows count, nobody else's result will do.
        return _store_estimates(site.pk, time.monotonic(), _compute_estimates(site, None))
    # One computation at a time per site and process: the threads that missed the shared
    # result (or want one computed after they asked: `fresh`) wait for it instead of all
    # computing the same thing at once, and take it when it started after they asked.
    with _estimates_locks.setdefault(site.pk, threading.Lock()):
        hit = _estimates_cache.get(site.pk)
        if hit and (hit[0] >= asked if fresh
                    else time.monotonic() - hit[0] < ESTIMATES_TTL_SECONDS):
            return hit[1]
        started = time.monotonic()
        return _store_estimates(site.pk, started, _compute_estimates(site, None))


_estimates_locks: dict[int, threading.Lock] = {}
_estimates_dropped: dict[int, float] = {}


def _store_estimates(site_id: int, started: float, result: dict) -> dict:
    """Share a result, stamped with the time its computation started, unless a queue change
    dropped the estimates since (it may not have seen that change)."""
    if started >= _estimates_dropped.get(site_id, -math.inf):
        _estimates_cache[site_id] = (started, result)
    return result


def invalidate_estimates(site_id: int) -> None:
    """Every queue change drops the site's shared estimates: the next reader recomputes."""
    _estimates_dropped[site_id] = time.monotonic()
    _estimates_cache.pop(site_id, None)


def _compute_estimates(site: Site, now: dt.datetime | None) -> Estimates:
    model = MODELS.get(site)
    snap = snapshot(site, now)
    snap = QueueSnapshot(now=snap.now, waiting=snap.waiting, counters=snap.counters,
                         in_service=snap.in_service, recent_calls=snap.recent_calls,
                         no_show_rate=model.no_show_rate)
    # Open counters per service, and a probe per service and class: "a ticket taken now".
    served = {service for counter in snap.counters for service in counter.services}
    related: dict[int, set[int]] = {}
    for counter in snap.counters:
        for service in counter.services:
            related.setdefault(int(service), set()).update(int(s) for s in counter.services)
    probes = []
    for service in served:
        last = max((t.issued_at for t in snap.waiting.get(service, ())), default=snap.now)
        at = max(last, snap.now) + 1e-3
        probes += [WaitingTicket(f"new:{service}:{p:d}", service, at, priority=p)
                   for p in (False, True)]
    raw = estimate_waits(snap, model, probes=probes)
    values = {int(k): (None if v is None else max(0, math.ceil(v)))
              for k, v in raw.items() if not k.startswith("new:")}
    return Estimates(
        values,
        new={(int(t.service), t.priority): raw.get(t.ticket_id) for t in probes},
        max_pk=max(values, default=0), snapshot=snap, model=model, related=related,
    )


def estimated_wait(ticket: Ticket, position: int | None = None) -> int | None:
    if ticket.status != TicketStatus.WAITING:
        return None
    return estimates_for(ticket.site, [ticket])[ticket.pk]


def do_check_near_turns() -> int:
    """The "turn is near" rule again for every site with a waiting ticket owed its SMS; the
    SMS worker runs it every minute. Estimates shrink with time alone (a visitor at a counter
    for 20 minutes is nearly done) while no queue change happens to re-check the rule; and
    a new ticket only checks itself. Returns the number of sites checked."""
    day = timezone.localdate()
    site_ids = set(
        Ticket.objects.filter(day=day, status=TicketStatus.WAITING)
        .exclude(phone="").exclude(sms__kind="near").values_list("site_id", flat=True))
    for site in Site.objects.filter(pk__in=site_ids):
        with transaction.atomic():
            refresh_notifications(site)
    return len(site_ids)


def refresh_notifications(site: Site) -> dict[int, int | None]:
    """Insert the "turn is near" SMS rows that became true; return the estimates used
    ({} when no waiting ticket is owed an SMS).

    Called inside the transaction of every queue change (DESIGN.md: the state change that
    makes the rule true inserts the row). The unique (ticket, kind) makes it once per ticket.
    A ticket already near its turn when issued gets its SMS at once: it confirms the number
    and tells the visitor not to go far.
    """
    from kiosk.server.notifications.services import enqueue_sms, has_sms

    day = timezone.localdate()
    # Most changes concern no ticket with a phone still owed its SMS: then nothing to do
    # here, and the estimate is not computed inside the write transaction.
    with_phone = list(_waiting(site.pk, day).exclude(phone="").exclude(sms__kind="near"))
    if not with_phone:
        return {}
    estimates = queue_estimates(site, fresh=True)
    by_service: dict[int, list[Ticket]] = {}
    for ticket in _waiting(site.pk, day):
        by_service.setdefault(ticket.service_id, []).append(ticket)
    ahead: dict[int, int] = {}
    for service_id, tickets in by_service.items():
        recent = recent_priority_calls(site.pk, day, [service_id])
        for index, ticket in enumerate(call_order(tickets, recent)):
            ahead[ticket.pk] = index
    for ticket in with_phone:
        minutes = estimates.get(ticket.pk)
        if minutes is None or has_sms(ticket, "near"):
            # No estimate (no counter open): nobody is being called, an SMS would mislead.
            continue
        if near_turn(minutes, ahead.get(ticket.pk, 0), site.sms_threshold_minutes,
                     site.sms_max_position):
            enqueue_sms(ticket, "near", minutes=minutes)
    return estimates


# -- counter actions -----------------------------------------------------------------------


def check_counter_agent(user, counter: Counter) -> None:
    if not sites_where(user, Role.COUNTER).filter(pk=counter.site_id).exists():
        raise PermissionDenied("this agent has no counter role on this site")


def _transition(ticket: Ticket, status: TicketStatus) -> None:
    try:
        check_transition(ticket.status, status)
    except InvalidTransition as exc:
        raise QueueError(str(exc), status=409) from exc
    ticket.status = status
    if not status.is_open:
        # Privacy: the number lives only as long as the open ticket.
        ticket.phone = ""
        ticket.finished_at = timezone.now()


def _save(ticket: Ticket, *fields: str) -> None:
    ticket.save(update_fields=["status", "phone", "finished_at", *fields])
    queue_changed(ticket.site_id)


def _call(counter: Counter, ticket: Ticket, drawn: bool = True) -> Ticket:
    """Call `ticket` to `counter`; `drawn` is False for a resume (not a new draw)."""
    from kiosk.server.notifications.services import enqueue_sms

    _transition(ticket, TicketStatus.CALLED)
    ticket.counter = counter
    ticket.called_at = timezone.now()
    if drawn:
        ticket.drawn_at = ticket.called_at
    ticket.parked_at = None
    _save(ticket, "counter", "called_at", "drawn_at", "parked_at")
    if ticket.phone:
        enqueue_sms(ticket, "called", counter=counter_label(counter))
    refresh_notifications(counter.site)
    return ticket


def counter_label(counter: Counter) -> str:
    """'Guichet 3' -> '3' (the SMS and the board say "guichet 3")."""
    name = counter.name.strip()
    return name.split(" ", 1)[1] if name.lower().startswith("guichet ") else name


def do_call_next(counter: Counter) -> Ticket | None:
    """Finish the counter's current ticket and call the next one under the priority rule."""
    with transaction.atomic():
        do_finish_current(counter)
        day = timezone.localdate()
        service_ids = list(counter.services.values_list("pk", flat=True))
        candidates = _waiting(counter.site_id, day, service_ids)
        if transaction.get_connection().features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        tickets = {str(t.pk): t for t in candidates}
        if not tickets:
            refresh_notifications(counter.site)
            return None
        recent = recent_priority_calls(counter.site_id, day, service_ids)
        chosen = choose_next([_as_waiting(t) for t in tickets.values()], recent)
        return _call(counter, tickets[chosen.ticket_id])


def _site_ticket(counter: Counter, ticket_id: int) -> Ticket:
    ticket = Ticket.objects.select_for_update().filter(pk=ticket_id, site_id=counter.site_id).first()
    if ticket is None:
        raise QueueError("no such ticket on this site", status=404)
    return ticket


def do_call_ticket(counter: Counter, ticket_id: int) -> Ticket:
    """Call a given ticket out of turn (a waiting or parked one of a service it serves)."""
    with transaction.atomic():
        ticket = _site_ticket(counter, ticket_id)
        if not counter.services.filter(pk=ticket.service_id).exists():
            raise QueueError("this counter does not serve that ticket's service", status=409)
        if ticket.status not in (TicketStatus.WAITING, TicketStatus.PARKED):
            raise QueueError(f"ticket {ticket.display} is {ticket.status}, not waiting", status=409)
        do_finish_current(counter)
        return _call(counter, ticket)


def current_ticket(counter: Counter, with_service: bool = True) -> Ticket | None:
    """The ticket the counter called last and still serves; `with_service`: its service
    loaded with it (the console sets the few fields it shows itself)."""
    tickets = Ticket.objects.filter(counter=counter, status=TicketStatus.CALLED)
    if with_service:
        tickets = tickets.select_related("service")
    return tickets.order_by("-called_at").first()


def _current_for_update(counter: Counter) -> Ticket:
    ticket = (
        Ticket.objects.select_for_update()
        .filter(counter=counter, status=TicketStatus.CALLED)
        .order_by("-called_at")
        .first()
    )
    if ticket is None:
        raise QueueError("no ticket at this counter", status=409)
    return ticket


def do_finish_current(counter: Counter, status: TicketStatus = TicketStatus.DONE) -> Ticket | None:
    with transaction.atomic():
        try:
            ticket = _current_for_update(counter)
        except QueueError:
            return None
        _transition(ticket, status)
        _save(ticket)
        _cancel_unsent_sms(ticket)
        return ticket


def do_recall(counter: Counter) -> Ticket:
    """Call the current ticket again: the board shows and speaks it again (the "called" SMS
    goes once per ticket, at the first call)."""
    with transaction.atomic():
        ticket = _current_for_update(counter)
        _transition(ticket, TicketStatus.CALLED)
        ticket.called_at = timezone.now()
        ticket.recalls = F("recalls") + 1
        ticket.save(update_fields=["status", "called_at", "recalls"])
        queue_changed(ticket.site_id)
        ticket.refresh_from_db()
        return ticket


def no_show_allowed_at(ticket: Ticket) -> dt.datetime:
    return ticket.called_at + dt.timedelta(seconds=ticket.site.no_show_grace_seconds)


def do_no_show(counter: Counter) -> Ticket:
    """Mark the called visitor absent, only once the grace period has passed."""
    with transaction.atomic():
        ticket = _current_for_update(counter)
        allowed = no_show_allowed_at(ticket)
        if timezone.now() < allowed:
            seconds = math.ceil((allowed - timezone.now()).total_seconds())
            raise QueueError(f"wait {seconds} s more before marking {ticket.display} absent",
                             status=409)
        _transition(ticket, TicketStatus.NO_SHOW)
        _save(ticket)
        _cancel_unsent_sms(ticket)
        refresh_notifications(counter.site)
        return ticket


def do_transfer(counter: Counter, service_slug: str) -> Ticket:
    """Send the current visitor to another service's queue.

    Rule (docs/queues.md): the ticket keeps its number and its place, its original issue
    time: it is not sent to the back of the other queue, and no new ticket is issued.
    """
    with transaction.atomic():
        ticket = _current_for_update(counter)
        target = Service.objects.filter(site_id=counter.site_id, slug=service_slug).first()
        if target is None:
            raise QueueError(f"unknown service {service_slug!r}", status=404)
        if target.pk == ticket.service_id:
            raise QueueError("the ticket is already in that service", status=409)
        if not target.ticketing:
            raise QueueError("that service works on appointment only: no queue", status=409)
        _transition(ticket, TicketStatus.WAITING)
        ticket.transferred_from_id = ticket.service_id
        ticket.service = target
        ticket.counter = None
        _save(ticket, "service", "transferred_from", "counter")
        refresh_notifications(counter.site)
        return ticket


def do_park(counter: Counter) -> Ticket:
    """Set the current visitor aside (a missing paper); resume calls them back here."""
    with transaction.atomic():
        ticket = _current_for_update(counter)
        _transition(ticket, TicketStatus.PARKED)
        ticket.parked_at = timezone.now()
        _save(ticket, "parked_at")
        refresh_notifications(counter.site)
        return ticket


def do_resume(counter: Counter, ticket_id: int) -> Ticket:
    """Call a parked ticket back to this counter (finishing the current one)."""
    with transaction.atomic():
        ticket = _site_ticket(counter, ticket_id)
        if ticket.status != TicketStatus.PARKED:
            raise QueueError(f"ticket {ticket.display} is not parked", status=409)
        do_finish_current(counter)
        return _call(counter, ticket, drawn=False)


def parked_tickets(counter: Counter):
    return Ticket.objects.filter(counter=counter, status=TicketStatus.PARKED).select_related(
        "service").order_by("parked_at")


# -- the visitor's own actions (phone page) -----------------------------------------------


def do_cancel_by_visitor(ticket: Ticket) -> Ticket:
    """"I'm leaving": the ticket leaves the queue and the number is erased."""
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        _transition(ticket, TicketStatus.CANCELLED)
        _save(ticket)
        _cancel_unsent_sms(ticket)
        refresh_notifications(ticket.site)
        return ticket


def do_postpone(ticket: Ticket) -> Ticket:
    """"I need more time": once per ticket, move back `site.postpone_places` places."""
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().select_related("site").get(pk=ticket.pk)
        if ticket.status != TicketStatus.WAITING:
            raise QueueError("only a waiting ticket can ask for more time", status=409)
        if ticket.postponed:
            raise QueueError("more time was already given once", status=409)
        same_class = _waiting(ticket.site_id, ticket.day, [ticket.service_id])
        # Places are counted among tickets of the same class (priority or not): the others
        # are ordered by the priority rule, not by their place.
        same_class = (same_class.exclude(priority="") if ticket.priority
                      else same_class.filter(priority=""))
        behind = list(
            same_class.filter(queued_at__gt=ticket.queued_at)
            .values_list("queued_at", flat=True)[: ticket.site.postpone_places + 1]
        )
        places = ticket.site.postpone_places
        if len(behind) > places:
            # Between the n-th and the (n+1)-th ticket behind it.
            ticket.queued_at = behind[places - 1] + (behind[places] - behind[places - 1]) / 2
        elif behind:
            ticket.queued_at = behind[-1] + dt.timedelta(microseconds=1000)
        ticket.postponed = True
        ticket.save(update_fields=["queued_at", "postponed"])
        queue_changed(ticket.site_id)
        refresh_notifications(ticket.site)
        return ticket


# -- personal data ---------------------------------------------------------------------------


def _cancel_unsent_sms(ticket: Ticket) -> None:
    from kiosk.server.notifications.services import cancel_unsent

    cancel_unsent(ticket)


def do_purge_personal_data(today: dt.date | None = None) -> dict[str, int]:
    """End-of-day backstop: close yesterday's open tickets, erase every closed ticket's number."""
    from kiosk.server.notifications.models import SmsMessage

    today = today or timezone.localdate()
    with transaction.atomic():
        stale = Ticket.objects.filter(day__lt=today, status__in=[
            TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.PARKED])
        SmsMessage.objects.filter(ticket__in=stale, status=SmsMessage.Status.PENDING).update(
            status=SmsMessage.Status.CANCELLED, detail="ticket expired")
        expired = stale.update(status=TicketStatus.CANCELLED, phone="",
                               finished_at=timezone.now())
        closed = Ticket.objects.exclude(phone="").exclude(status__in=[
            TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.PARKED])
        SmsMessage.objects.filter(ticket__in=closed, status=SmsMessage.Status.PENDING).update(
            status=SmsMessage.Status.CANCELLED, detail="number erased")
        erased = closed.update(phone="")
        if expired or erased:
            # What the pages of these tickets show changed (every site: a rare, nightly job).
            QueueVersion.objects.update(version=F("version") + 1)
    return {"expired": expired, "erased": erased}
