"""Web pages: the counter console (agents) and the phone page of a ticket (visitors)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from kiosk.domain.tickets import TicketStatus
from kiosk.server.accounts.models import Role, sites_where
from kiosk.server.queueing.models import Counter, Ticket, is_public_token
from kiosk.server.queueing.services import (
    QueueError,
    check_counter_agent,
    current_ticket,
    do_call_next,
    do_finish_current,
    estimated_wait,
    ticket_position,
)


def _agent_counter(request, counter_id: int) -> Counter:
    counter = get_object_or_404(Counter.objects.select_related("site"), pk=counter_id)
    check_counter_agent(request.user, counter)
    return counter


@login_required
def console(request):
    """The agent picks the counter they sit at."""
    counters = Counter.objects.filter(site__in=sites_where(request.user, Role.COUNTER))
    if not counters:
        raise PermissionDenied("Aucun guichet : demandez un rôle d'agent pour votre site.")
    if len(counters) == 1:
        return redirect("counter", counters[0].pk)
    return render(request, "web/console_pick.html", {"counters": counters})


@login_required
def counter_view(request, counter_id: int):
    counter = _agent_counter(request, counter_id)
    today = timezone.localdate()
    waiting = (
        counter.services.annotate(
            waiting=Count("tickets", filter=Q(tickets__day=today,
                                              tickets__status=TicketStatus.WAITING))
        ).order_by("pole__order", "order")
    )
    return render(request, "web/counter.html", {
        "counter": counter, "current": current_ticket(counter), "services": waiting,
        "total_waiting": sum(s.waiting for s in waiting),
    })


@login_required
@require_POST
def counter_action(request, counter_id: int, action: str):
    counter = _agent_counter(request, counter_id)
    try:
        if action == "next":
            ticket = do_call_next(counter)
            if ticket is None:
                messages.info(request, "Personne n'attend pour ce guichet.")
            else:
                messages.success(request, f"Appel du {ticket.display}")
        elif action == "done":
            if do_finish_current(counter) is None:
                messages.info(request, "Aucun ticket en cours.")
        else:
            raise Http404(action)
    except QueueError as exc:
        messages.error(request, str(exc))
    return redirect("counter", counter.pk)


STATUS_TEXT = {
    TicketStatus.WAITING: ("En attente", "Waiting"),
    TicketStatus.CALLED: ("Appelé — présentez-vous au guichet", "Called — please go to the counter"),
    TicketStatus.DONE: ("Terminé", "Done"),
    TicketStatus.CANCELLED: ("Annulé", "Cancelled"),
    TicketStatus.NO_SHOW: ("Absent à l'appel", "Missed"),
    TicketStatus.PARKED: ("En pause au guichet", "Set aside at the counter"),
}


def phone_ticket(request, token: str):
    """The page a phone opens from the QR code: number, position, status. No login, no personal data."""
    ticket = None
    if is_public_token(token):
        ticket = Ticket.objects.select_related("service", "counter", "site").filter(
            public_token=token
        ).first()
    if ticket is None:
        raise Http404("ticket inconnu")
    position = ticket_position(ticket)
    fr, en = STATUS_TEXT[TicketStatus(ticket.status)]
    response = render(request, "web/phone_ticket.html", {
        "ticket": ticket, "position": position, "wait": estimated_wait(ticket, position),
        "status_fr": fr, "status_en": en, "is_open": TicketStatus(ticket.status).is_open,
        "service_name": ticket.service.text("name", ticket.language),
    })
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
