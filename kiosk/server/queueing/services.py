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
from django.db.models import F
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
from kiosk.domain.tickets import MAX_NUMBER, InvalidTransition, TicketStatus, check_transition
from kiosk.server.accounts.models import Role, sites_where
from kiosk.server.content.models import Service, Site
from kiosk.server.queueing.models import (
    Counter,
    IdempotencyRecord,
    Priority,
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
    service = Service.objects.filter(site=site, slug=service_slug).first()
    if service is None:
        raise QueueError(f"unknown service {service_slug!r}", status=404)
    if not service.ticketing:
        raise QueueError("this service works on appointment only: no ticket", status=409)
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
            ticket = Ticket.objects.create(
                site_id=service.site_id, service=service, day=day, number=number,
                prefix=service.prefix, language=language, kiosk=kiosk, priority=priority,
                issued_service=service,
                queued_at=now, phone=phone, sms_consent_at=now if phone else None,
                issued_by=issued_by,
            )
            if idempotency_key is not None and kiosk is not None:
                IdempotencyRecord.objects.create(kiosk=kiosk, key=idempotency_key, ticket=ticket)
            invalidate_estimates(service.site_id)
            refresh_notifications(service.site)
    except IntegrityError:
        # Lost a race with the same key: the other request's ticket is the answer.
        if idempotency_key is None or kiosk is None:
            raise
        record = IdempotencyRecord.objects.filter(kiosk=kiosk, key=idempotency_key).first()
        if record is None:
            raise
        return record.ticket, False
    # Outside the write transaction (it holds SQLite's lock): the estimate shown at issue,
    # kept for the statistics (estimate error).
    minutes = estimated_wait(ticket)
    if minutes is not None:
        Ticket.objects.filter(pk=ticket.pk).update(estimate_at_issue=minutes)
        ticket.estimate_at_issue = minutes
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


def call_order(tickets: list[Ticket], recent: list[bool]) -> list[Ticket]:
    """The order in which one stream of calls would take these tickets (priority rule).

    The rule only looks at the oldest priority and the oldest normal ticket, so two sorted
    lines and their heads are enough: linear, not quadratic, in the queue's length.
    """
    by_id = {str(t.pk): t for t in tickets}
    waiting = sorted((_as_waiting(t) for t in tickets), key=lambda w: (w.issued_at, int(w.ticket_id)))
    priority = [w for w in waiting if w.priority][::-1]  # oldest last: pop() is the head
    normal = [w for w in waiting if not w.priority][::-1]
    history = list(recent)
    ordered = []
    while priority or normal:
        heads = [line[-1] for line in (priority, normal) if line]
        chosen = choose_next(heads, history)
        (priority if chosen.priority else normal).pop()
        history.append(chosen.priority)
        ordered.append(by_id[chosen.ticket_id])
    return ordered


def ticket_position(ticket: Ticket) -> int | None:
    """1 = next to be called in its service; None once the ticket has left the queue."""
    if ticket.status != TicketStatus.WAITING:
        return None
    tickets = list(_waiting(ticket.site_id, ticket.day, [ticket.service_id]))
    recent = recent_priority_calls(ticket.site_id, ticket.day, [ticket.service_id])
    for index, other in enumerate(call_order(tickets, recent), start=1):
        if other.pk == ticket.pk:
            return index
    return None


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
        model = fit_service_time_model(site)
        with self._lock:
            self._models[site.pk] = (time.monotonic(), model)
        return model

    def clear(self) -> None:
        with self._lock:
            self._models.clear()
        _estimates_cache.clear()


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
    for ticket in _waiting(site.pk, day):
        waiting.setdefault(str(ticket.service_id), []).append(_as_waiting(ticket))
    counters = [
        CounterState(counter_id=str(c.pk), services=frozenset(str(s) for s in c.service_ids))
        for c in _open_counters(site)
    ]
    in_service = [
        InService(ticket_id=str(t.pk), service=str(t.service_id), counter_id=str(t.counter_id),
                  elapsed_minutes=max((now - t.called_at).total_seconds() / 60, 0.0))
        for t in Ticket.objects.filter(site=site, day=day, status=TicketStatus.CALLED,
                                       counter__isnull=False, called_at__isnull=False)
    ]
    service_ids = [s for c in counters for s in c.services]
    recent = recent_priority_calls(site.pk, day, [int(s) for s in set(service_ids)])
    return QueueSnapshot(now=_minutes(now), waiting=waiting, counters=counters,
                         in_service=in_service, recent_calls=recent)


def _open_counters(site: Site) -> list[Counter]:
    counters = list(Counter.objects.filter(site=site, is_open=True).prefetch_related("services"))
    for counter in counters:
        counter.service_ids = [s.pk for s in counter.services.all()]
    return counters


ESTIMATES_TTL_SECONDS = 1.0
_estimates_cache: dict[int, tuple[float, dict[int, int | None]]] = {}


def queue_estimates(site: Site, now: dt.datetime | None = None,
                    fresh: bool = False) -> dict[int, int | None]:
    """Whole minutes until each waiting ticket of the site is called (None: unknown).

    Pages poll this (consoles every second, phones every 5 s): within a process the answer
    is shared for ESTIMATES_TTL_SECONDS; queue changes compute it fresh (and refresh it).
    """
    if now is None and not fresh:
        hit = _estimates_cache.get(site.pk)
        if hit and time.monotonic() - hit[0] < ESTIMATES_TTL_SECONDS:
            return hit[1]
    result = _compute_estimates(site, now)
    if now is None:
        _estimates_cache[site.pk] = (time.monotonic(), result)
    return result


def invalidate_estimates(site_id: int) -> None:
    """Every queue change drops the site's shared estimates: the next reader recomputes."""
    _estimates_cache.pop(site_id, None)


def _compute_estimates(site: Site, now: dt.datetime | None) -> dict[int, int | None]:
    model = MODELS.get(site)
    snap = snapshot(site, now)
    snap = QueueSnapshot(now=snap.now, waiting=snap.waiting, counters=snap.counters,
                         in_service=snap.in_service, recent_calls=snap.recent_calls,
                         no_show_rate=model.no_show_rate)
    raw = estimate_waits(snap, model)
    return {int(k): (None if v is None else max(0, math.ceil(v))) for k, v in raw.items()}


def estimated_wait(ticket: Ticket, position: int | None = None) -> int | None:
    if ticket.status != TicketStatus.WAITING:
        return None
    estimates = queue_estimates(ticket.site)
    if ticket.pk not in estimates:  # newer than the shared result
        estimates = queue_estimates(ticket.site, fresh=True)
    return estimates.get(ticket.pk)


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
    invalidate_estimates(ticket.site_id)


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


def current_ticket(counter: Counter) -> Ticket | None:
    return (
        Ticket.objects.filter(counter=counter, status=TicketStatus.CALLED)
        .select_related("service")
        .order_by("-called_at")
        .first()
    )


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
        invalidate_estimates(ticket.site_id)
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
        invalidate_estimates(ticket.site_id)
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
    return {"expired": expired, "erased": erased}
