"""What an agent does at a counter: call next, call out of turn, recall, absent, done,
transfer, park and resume (docs/queues.md, counter actions)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from kiosk.domain.tickets import (
    TicketStatus,
)
from kiosk.server.accounts.models import Role, sites_where
from kiosk.server.appointments.lane import next_for_counter
from kiosk.server.content.models import Service
from kiosk.server.queueing.estimates import queue_changed
from kiosk.server.queueing.lifecycle import QueueError, cancel_unsent_sms, save_ticket, transition
from kiosk.server.queueing.models import Counter, CounterEvent, Ticket
from kiosk.server.queueing.notices import refresh_notifications
from kiosk.server.queueing.ordering import as_waiting, recent_priority_calls, waiting_tickets

# -- counter actions -----------------------------------------------------------------------


def check_counter_agent(user, counter: Counter) -> None:
    if not sites_where(user, Role.COUNTER).filter(pk=counter.site_id).exists():  # type: ignore[arg-type]  # a TextChoices member: Django's types are not installed
        raise PermissionDenied("this agent has no counter role on this site")


def _serving(counter: Counter) -> None:
    """A call means the agent is at the counter: a pause ends, a closed counter is open
    again (the estimator sees it serving: docs/queues.md, counter timetables)."""
    now = timezone.now()
    away = Q(is_open=False) | Q(paused_until__gt=now) | Q(closed_on__isnull=False)
    if Counter.objects.filter(away, pk=counter.pk).update(
            is_open=True, paused_until=None, closed_on=None, opened_at=now):
        counter.is_open, counter.paused_until, counter.closed_on = True, None, None
        counter.opened_at = now
        CounterEvent.objects.create(counter=counter, kind=CounterEvent.Kind.OPEN, at=now)


def do_close_counters_overnight() -> int:
    """The nightly job: counters left open (or paused) by their agents are closed, so that a
    new day starts with the counters the agents open, not yesterday's. Returns how many."""
    with transaction.atomic():
        left = list(Counter.objects.select_for_update().filter(
            Q(is_open=True) | Q(paused_until__isnull=False)).values_list("pk", "site_id"))
        Counter.objects.filter(pk__in=[pk for pk, _ in left]).update(is_open=False,
                                                                     paused_until=None)
        CounterEvent.objects.bulk_create([CounterEvent(counter_id=pk, kind=CounterEvent.Kind.CLOSE)
                                          for pk, _ in left])
        for site_id in sorted({site_id for _, site_id in left}):
            queue_changed(site_id)
    return len(left)


def _call(counter: Counter, ticket: Ticket, drawn: bool = True) -> Ticket:
    """Call `ticket` to `counter`; `drawn` is False for a resume (not a new draw)."""
    from kiosk.server.notifications.services import enqueue_sms

    transition(ticket, TicketStatus.CALLED)
    _serving(counter)
    ticket.counter = counter
    ticket.called_at = timezone.now()
    if drawn:
        ticket.drawn_at = ticket.called_at
    ticket.parked_at = None
    save_ticket(ticket, "counter", "called_at", "drawn_at", "parked_at")
    if ticket.phone:
        enqueue_sms(ticket, "called", counter=counter_label(counter))
    refresh_notifications(counter.site)
    return ticket


def counter_label(counter: Counter) -> str:
    """'Guichet 3' -> '3' (the SMS and the board say "guichet 3")."""
    name = counter.name.strip()
    return name.split(" ", 1)[1] if name.lower().startswith("guichet ") else name


@dataclass(frozen=True)
class NextCall:
    """do_call_next's answer: the ticket called, or None and why: `held_until` is the
    appointment slot (minutes since midnight, site time) the counter is kept free for."""
    ticket: Ticket | None
    held_until: float | None = None


def do_call_next(counter: Counter) -> Ticket | None:
    """Finish the counter's current ticket and call the next one under the priority rule."""
    return call_next(counter).ticket


def call_next(counter: Counter) -> NextCall:
    """do_call_next, saying why nobody was called (the console tells the agent)."""
    with transaction.atomic():
        do_finish_current(counter)
        day = timezone.localdate()
        service_ids = list(counter.services.values_list("pk", flat=True))
        candidates = waiting_tickets(counter.site_id, day, service_ids)
        if transaction.get_connection().features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        tickets = {str(t.pk): t for t in candidates}
        recent = recent_priority_calls(counter.site_id, day, service_ids) if tickets else []
        # The fair priority rule, with the appointment lane (kiosk.domain.appointments).
        chosen, held_until = next_for_counter(counter, day, service_ids, tickets,
                                              [as_waiting(t) for t in tickets.values()], recent)
        if chosen is None:
            refresh_notifications(counter.site)
            return NextCall(None, held_until)
        return NextCall(_call(counter, chosen))


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
        transition(ticket, status)
        save_ticket(ticket)
        cancel_unsent_sms(ticket)
        return ticket


def do_recall(counter: Counter) -> Ticket:
    """Call the current ticket again: the board shows and speaks it again (the "called" SMS
    goes once per ticket, at the first call)."""
    with transaction.atomic():
        ticket = _current_for_update(counter)
        transition(ticket, TicketStatus.CALLED)
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
        transition(ticket, TicketStatus.NO_SHOW)
        save_ticket(ticket)
        cancel_unsent_sms(ticket)
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
        transition(ticket, TicketStatus.WAITING)
        ticket.transferred_from_id = ticket.service_id
        ticket.service = target
        ticket.counter = None
        save_ticket(ticket, "service", "transferred_from", "counter")
        refresh_notifications(counter.site)
        return ticket


def do_park(counter: Counter) -> Ticket:
    """Set the current visitor aside (a missing paper); resume calls them back here."""
    with transaction.atomic():
        ticket = _current_for_update(counter)
        transition(ticket, TicketStatus.PARKED)
        ticket.parked_at = timezone.now()
        save_ticket(ticket, "parked_at")
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


# -- timetable actions (docs/queues.md, counter timetables) --------------------------------
# The timetable never opens a counter: the agent does, from the console. Each action is one
# transaction that bumps the site's queue version (the consoles, the board and the
# estimates see it) and re-checks the "turn is near" SMS rule.


def _counter_for_update(counter: Counter) -> Counter:
    return Counter.objects.select_for_update().select_related("site").get(pk=counter.pk)


def _changed(counter: Counter, *fields: str, event: str = "",
             until: dt.datetime | None = None) -> Counter:
    counter.save(update_fields=list(fields))
    if event:
        CounterEvent.objects.create(counter=counter, kind=event, until=until, at=timezone.now())
    queue_changed(counter.site_id)
    refresh_notifications(counter.site)
    return counter


def do_open_counter(counter: Counter) -> Counter:
    """The agent opens the counter (also after closing it for the day by mistake)."""
    with transaction.atomic():
        locked = _counter_for_update(counter)
        locked.is_open = True
        locked.paused_until = None
        locked.closed_on = None
        locked.opened_at = timezone.now()
        return _changed(locked, "is_open", "paused_until", "closed_on", "opened_at",
                        event=CounterEvent.Kind.OPEN)  # type: ignore[arg-type]  # a TextChoices member: Django's types are not installed


def do_pause_counter(counter: Counter, until: dt.datetime) -> Counter:
    """A break until `until` (later today): no call meanwhile, back by itself at that time."""
    now = timezone.now()
    if until <= now:
        raise QueueError("the end of the pause must be later than now", status=400)
    if timezone.localdate(until) != timezone.localdate(now):
        raise QueueError("a pause ends today: close the counter for today instead", status=400)
    with transaction.atomic():
        locked = _counter_for_update(counter)
        if locked.closed_on == timezone.localdate(now) or not locked.is_open:
            raise QueueError("the counter is closed: open it first", status=409)
        locked.paused_until = until
        return _changed(locked, "paused_until", event=CounterEvent.Kind.PAUSE, until=until)  # type: ignore[arg-type]  # a TextChoices member: Django's types are not installed


def do_back_at_counter(counter: Counter) -> Counter:
    """End a pause now (the agent is back early, or back on time)."""
    with transaction.atomic():
        locked = _counter_for_update(counter)
        if locked.closed_on == timezone.localdate() or not locked.is_open:
            raise QueueError("the counter is closed: open it instead", status=409)
        locked.paused_until = None
        locked.opened_at = timezone.now()
        return _changed(locked, "paused_until", "opened_at", event=CounterEvent.Kind.BACK)  # type: ignore[arg-type]  # a TextChoices member: Django's types are not installed


def do_close_counter_for_today(counter: Counter) -> Counter:
    """Close early: no more calls today, whatever the timetable says; the ticket in service
    may still be finished. Tomorrow the agent opens it again."""
    with transaction.atomic():
        locked = _counter_for_update(counter)
        locked.is_open = False
        locked.paused_until = None
        locked.closed_on = timezone.localdate()
        return _changed(locked, "is_open", "paused_until", "closed_on",
                        event=CounterEvent.Kind.CLOSE)  # type: ignore[arg-type]  # a TextChoices member: Django's types are not installed


def do_close_counter(counter: Counter) -> Counter:
    """Close the counter for now (lunch, a meeting): the timetable's later sessions today
    still count; the agent opens it again. The ticket in service may still be finished."""
    with transaction.atomic():
        locked = _counter_for_update(counter)
        locked.is_open = False
        locked.paused_until = None
        return _changed(locked, "is_open", "paused_until", event=CounterEvent.Kind.CLOSE)  # type: ignore[arg-type]  # a TextChoices member: Django's types are not installed
