"""ticket_position counts (one query) instead of ordering the whole line: it must give the
same place as call_order, the priority rule run over the service's waiting tickets."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def static_root(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()


def _reference_position(ticket) -> int | None:
    """The definition: the ticket's index in call_order over its service's waiting line."""
    from kiosk.server.queueing.models import Ticket
    from kiosk.server.queueing.ordering import call_order, recent_priority_calls

    ticket = Ticket.objects.get(pk=ticket.pk)
    if ticket.status != "waiting":
        return None
    line = list(Ticket.objects.filter(site_id=ticket.site_id, day=ticket.day,
                                      service_id=ticket.service_id, status="waiting")
                .order_by("queued_at", "pk"))
    recent = recent_priority_calls(ticket.site_id, ticket.day, [ticket.service_id])
    for index, other in enumerate(call_order(line, recent), start=1):
        if other.pk == ticket.pk:
            return index
    return None


@pytest.mark.parametrize("seed", range(6))
def test_position_matches_call_order(demo, seed):
    from kiosk.server.queueing.issuing import do_issue_ticket
    from kiosk.server.queueing.models import Ticket
    from kiosk.server.queueing.ordering import ticket_position

    rng = random.Random(seed)
    service = demo.services.filter(ticketing=True).order_by("slug").first()
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    tickets = []
    for _ in range(rng.randint(5, 25)):
        ticket, _created = do_issue_ticket(service, priority=rng.choice(["", "", "", "elderly"]))
        # Shuffled places, some equal (ties: the older pk first).
        at = midnight + dt.timedelta(minutes=8 * 60 + rng.randint(0, 12))
        Ticket.objects.filter(pk=ticket.pk).update(queued_at=at)
        tickets.append(ticket)
    # Some draws already made today: the history of priority calls matters.
    for ticket in rng.sample(tickets, k=min(4, len(tickets) // 3)):
        Ticket.objects.filter(pk=ticket.pk).update(
            status="done", drawn_at=timezone.now() - dt.timedelta(minutes=rng.randint(1, 50)))
    for ticket in tickets:
        ticket.refresh_from_db()
        assert ticket_position(ticket) == _reference_position(ticket), ticket.display
