"""What the queue sees of the appointments: the lane's slots (do_call_next and the
estimator's snapshot) and the choice of a free counter (docs/queues.md, the lane).
Imports no queueing action: the queue's own modules import it."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from kiosk.domain.appointments import Decision, Slot, decide
from kiosk.domain.estimation import minutes_since_midnight
from kiosk.domain.priority import WaitingTicket, choose_next
from kiosk.domain.tickets import TicketStatus
from kiosk.server.appointments.models import Appointment
from kiosk.server.content.models import Service
from kiosk.server.queueing.models import Counter, Ticket

Status = Appointment.Status


def minutes_of(start: dt.time) -> float:
    return start.hour * 60 + start.minute + start.second / 60


def day_slots(site_id: int, day: dt.date, now: dt.datetime,
              service_ids=None) -> list[Slot]:
    """The appointments still to call: checked-in lane tickets waiting, and booked slots
    that have not started yet (a booked slot past its start holds no counter)."""
    rows = Appointment.objects.filter(site_id=site_id, day=day).filter(
        Q(status=Status.BOOKED) | Q(in_lane=True, ticket__status=TicketStatus.WAITING))
    if service_ids is not None:
        rows = rows.filter(service_id__in=service_ids)
    now_min = minutes_since_midnight(timezone.localtime(now))
    out = []
    for pk, service_id, start, duration, status, ticket_id in rows.values_list(
            "pk", "service_id", "start", "duration_minutes", "status", "ticket_id"):
        begins = minutes_of(start)
        if status == Status.BOOKED and begins <= now_min:
            continue
        out.append(Slot(str(pk), str(service_id), begins, float(duration),
                        None if status == Status.BOOKED else str(ticket_id)))
    return out


def lane_slots(site_id: int, day: dt.date, ticket_ids=None) -> dict[int, str]:
    """Ticket pk -> its slot "HH:MM", for the lane's tickets of the day (console, board)."""
    rows = Appointment.objects.filter(site_id=site_id, day=day, in_lane=True,
                                      ticket__isnull=False)
    if ticket_ids is not None:
        rows = rows.filter(ticket_id__in=ticket_ids)
    return {pk: f"{start:%H:%M}" for pk, start in rows.values_list("ticket_id", "start")}


def checked_in_slots(site_id: int, day: dt.date, now: dt.datetime) -> list[Slot]:
    """What the estimator's snapshot carries: the slots whose visitor is in the hall (lane
    tickets waiting). Booked slots not checked in yet are left out: a quarter of them do
    not come by their start (late, or never), and counting them made the walk-ins' waits
    9 min too long on the simulated day (MSE 216 against 45: docs/queues.md)."""
    return [s for s in day_slots(site_id, day, now) if s.ticket_id is not None]


def idle_counters(site_id: int, now: dt.datetime, exclude: int) -> dict[str, int]:
    """Per service, the open counters (other than `exclude`) with nobody at them now."""
    busy = Ticket.objects.filter(status=TicketStatus.CALLED, counter__isnull=False,
                                 site_id=site_id).values("counter_id")
    idle = (Counter.objects.filter(site_id=site_id, is_open=True)
            .filter(Q(paused_until__isnull=True) | Q(paused_until__lte=now))
            .exclude(closed_on=timezone.localdate(now)).exclude(pk=exclude)
            .exclude(pk__in=busy))
    out: dict[str, int] = {}
    for service_id in Counter.services.through.objects.filter(
            counter__in=idle).values_list("service_id", flat=True):
        out[str(service_id)] = out.get(str(service_id), 0) + 1
    return out


def next_for_counter(counter: Counter, day: dt.date, service_ids: list[int],
                     walk_ins: dict[str, Ticket], waiting: list[WaitingTicket],
                     recent: list[bool]) -> tuple[Ticket | None, float | None]:
    """do_call_next's choice under the appointment rule (kiosk.domain.appointments.decide):
    a due lane ticket, nobody (the counter is kept free for a slot), or the walk-in the
    priority rule gives. `walk_ins`: the waiting tickets by id (lane excluded). Returns
    (the ticket or None, the slot the counter is kept free for in minutes since midnight,
    or None)."""
    now = timezone.now()
    slots = day_slots(counter.site_id, day, now, service_ids)
    if not slots:
        decision = Decision(ticket=choose_next(waiting, recent))
    else:
        horizon = {str(pk): float(m) for pk, m in Service.objects.filter(
            pk__in=service_ids).values_list("pk", "mean_service_minutes")}
        decision = decide(waiting, recent, slots, {str(s) for s in service_ids},
                          minutes_since_midnight(timezone.localtime(now)), horizon,
                          idle_counters(counter.site_id, now, counter.pk) if waiting else {})
    if decision.ticket is None:
        return None, decision.held_until
    if decision.appointment is not None:
        return Ticket.objects.select_for_update().get(pk=int(decision.ticket.ticket_id)), None
    return walk_ins[decision.ticket.ticket_id], None
