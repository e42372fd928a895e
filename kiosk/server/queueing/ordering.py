"""The order of a queue: waiting tickets, the fair priority rule over them (call order),
and each ticket's place in its service (docs/queues.md)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, F, OuterRef, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from kiosk.domain.estimation import (
    minutes_since_midnight,
)
from kiosk.domain.priority import WaitingTicket, choose_next
from kiosk.domain.tickets import (
    TicketStatus,
)
from kiosk.server.appointments.models import Appointment
from kiosk.server.queueing.models import (
    Ticket,
)


def waiting_tickets(site_id: int, day: dt.date, service_ids=None):
    # The appointment lane's tickets are called at their slot, not in the walk-ins' lines
    # (kiosk.server.appointments.services.next_for_counter).
    # (A NOT EXISTS, not a join: do_call_next locks these rows FOR UPDATE, which PostgreSQL
    # refuses on the nullable side of an outer join.)
    in_lane = Appointment.objects.filter(ticket=OuterRef("pk"), in_lane=True)
    qs = Ticket.objects.filter(site_id=site_id, day=day, status=TicketStatus.WAITING).filter(
        ~Exists(in_lane))
    if service_ids is not None:
        qs = qs.filter(service_id__in=service_ids)
    return qs.order_by("queued_at", "pk")


def local_minutes(moment: dt.datetime) -> float:
    return minutes_since_midnight(timezone.localtime(moment))


def as_waiting(ticket: Ticket) -> WaitingTicket:
    return WaitingTicket(
        ticket_id=str(ticket.pk), service=str(ticket.service_id),
        issued_at=local_minutes(ticket.queued_at), priority=bool(ticket.priority),
        seq=ticket.pk,
    )


RECENT_CALLS = 4  # how many of the latest draws the priority rule looks at


def recent_priority_calls(site_id: int, day: dt.date, service_ids) -> list[bool]:
    """Priority flags of the latest draws from these services, oldest first."""
    flags = list(
        Ticket.objects.filter(site_id=site_id, day=day, service_id__in=service_ids,
                              drawn_at__isnull=False)
        .order_by("-drawn_at", "-pk").values_list("priority", flat=True)[:RECENT_CALLS]
    )
    return [bool(p) for p in reversed(flags)]


def recent_priority_calls_each(site_id: int, day: dt.date, service_ids) -> dict[int, list[bool]]:
    """recent_priority_calls of each service on its own, in one query (a window per
    service) instead of one a service."""
    rows = (
        Ticket.objects.filter(site_id=site_id, day=day, service_id__in=service_ids,
                              drawn_at__isnull=False)
        .annotate(rank=Window(RowNumber(), partition_by=[F("service_id")],
                              order_by=[F("drawn_at").desc(), F("pk").desc()]))
        .filter(rank__lte=RECENT_CALLS)
        .values_list("service_id", "rank", "priority")
    )
    latest: dict[int, list[tuple[int, bool]]] = {}
    for service_id, rank, priority in rows:
        latest.setdefault(service_id, []).append((rank, bool(priority)))
    return {service_id: [p for _, p in sorted(flags, reverse=True)]
            for service_id, flags in latest.items()}


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
        take_priority = choose_next(heads, history).priority  # type: ignore[union-attr]  # heads: never empty here
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
    waiting = sorted(tickets, key=lambda t: (as_waiting(t).issued_at, t.pk))
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
    line = waiting_tickets(ticket.site_id, ticket.day, [ticket.service_id]).order_by()
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
    for pk, service_id, queued_at, priority in waiting_tickets(site_id, day).values_list(
            "pk", "service_id", "queued_at", "priority"):
        lines.setdefault(service_id, []).append((queued_at, pk, bool(priority)))
    places: dict[int, int] = {}
    # The history of calls only matters when both lines wait (as in ticket_position): one
    # query for the services where they do.
    both = [service_id for service_id, line in lines.items()
            if any(p for *_, p in line) and not all(p for *_, p in line)]
    histories = recent_priority_calls_each(site_id, day, both) if both else {}
    for service_id, line in lines.items():
        line.sort()
        prio = [pk for _, pk, p in line if p]
        normal = [pk for _, pk, p in line if not p]
        history = histories.get(service_id, []) if prio and normal else []
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
        if chosen.priority == is_priority:  # type: ignore[union-attr]  # a head is always given
            if not same_ahead:
                return place
            same_ahead -= 1
        else:
            others -= 1
        history.append(chosen.priority)  # type: ignore[union-attr]  # a head is always given
        place += 1
