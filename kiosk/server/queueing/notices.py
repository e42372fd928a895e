"""The "turn is near" SMS rule, evaluated after queue changes and every minute.

By time, across shared counters (docs/queues.md, "Turn is near"): the SMS goes out when the
predicted call time, at a conservative (low) quantile, is within the site's lead (15 min by
default), whatever the ticket's position in its service; the quantile is read from the
forward simulation's runs (``kiosk.domain.notify.call_cdf``). A visitor whose turn is already that
close at issue is told on the kiosk to stay in the hall, gets no "near" SMS, and gets the
"it's your turn" SMS when called.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from kiosk.domain.estimation import CallEstimate
from kiosk.domain.notify import near_at_issue, near_by_time
from kiosk.domain.tickets import TicketStatus
from kiosk.domain.wait import SOON, UNKNOWN, ShownWait, shown_wait
from kiosk.server.content.models import Site
from kiosk.server.queueing.estimates import TOLD, calls_for, whole_minutes
from kiosk.server.queueing.models import Ticket


def lead_minutes(site: Site) -> float:
    """How long before the call the "near" SMS should reach the phone (Site setting)."""
    return float(site.sms_threshold_minutes)


def wait_at_issue(estimate: CallEstimate | None, site: Site) -> ShownWait:
    """What a ticket is told at issue: a number or range, "stay in the hall" (its turn is
    already within the SMS lead), "we may not reach you today", or unknown."""
    if estimate is None:
        return shown_wait(None, None, None, True)
    soon = (estimate.reachable and estimate.mean is not None
            and near_at_issue(estimate, lead_minutes(site)))
    return shown_wait(estimate.mean, estimate.low, estimate.high, estimate.reachable, soon=soon)


def shown_for(ticket: Ticket, just_issued: bool = False) -> ShownWait:
    """What a ticket's pages say of its wait: as told at issue when just issued (printed),
    else from the current estimates ("soon" once its turn is within the SMS lead), or as told
    at issue while only a new computation of the queue could place it (calls_for, `told`)."""
    told = ShownWait(ticket.wait_status_at_issue, ticket.estimate_at_issue,
                     ticket.wait_low_at_issue, ticket.wait_high_at_issue)
    if just_issued and ticket.wait_status_at_issue:
        return told
    if ticket.status != TicketStatus.WAITING:
        return ShownWait(UNKNOWN)
    call = calls_for(ticket.site, [ticket], told=True)[ticket.pk]
    return told if call is TOLD else wait_at_issue(call, ticket.site)


def _owed_near(ticket: Ticket, estimate: CallEstimate | None, site: Site) -> bool:
    if estimate is None or not estimate.reachable or estimate.mean is None:
        return False  # nobody can tell when it will be called: an SMS would mislead
    return near_by_time(estimate, lead_minutes(site))


def notify_new_ticket(ticket: Ticket, estimate: CallEstimate | None) -> None:
    """The "near" rule for a ticket just issued, in its transaction: its turn may already be
    near (it is not told "stay in the hall" only when the low quantile alone is close)."""
    from kiosk.server.notifications.services import enqueue_sms

    if ticket.wait_status_at_issue == SOON:
        return
    if _owed_near(ticket, estimate, ticket.site):
        enqueue_sms(ticket, "near", minutes=whole_minutes(estimate))


def _owed_tickets(site_id: int | None = None):
    """Waiting tickets with a phone that may still be owed their "near" SMS."""
    tickets = (Ticket.objects.filter(day=timezone.localdate(), status=TicketStatus.WAITING)
               .exclude(phone="").exclude(sms__kind="near")
               .exclude(wait_status_at_issue=SOON))
    return tickets if site_id is None else tickets.filter(site_id=site_id)


def do_check_near_turns() -> int:
    """The "turn is near" rule again for every site with a waiting ticket owed its SMS; the
    SMS worker runs it every minute. Estimates shrink with time alone (a visitor at a counter
    for 20 minutes is nearly done) while no queue change happens to re-check the rule; and
    a new ticket only checks itself. Returns the number of sites checked."""
    site_ids = set(_owed_tickets().values_list("site_id", flat=True))
    for site in Site.objects.filter(pk__in=site_ids):
        with transaction.atomic():
            refresh_notifications(site)
    return len(site_ids)


def refresh_notifications(site: Site) -> dict[int, CallEstimate | None]:
    """Insert the "turn is near" SMS rows that became true; return the estimates used
    ({} when no waiting ticket is owed an SMS).

    Called inside the transaction of every queue change (DESIGN.md: the state change that
    makes the rule true inserts the row). The unique (ticket, kind) makes it once per ticket.
    """
    from kiosk.server.notifications.services import enqueue_sms

    # Most changes concern no ticket with a phone still owed its SMS: then nothing to do
    # here, and the estimate is not computed inside the write transaction.
    owed = list(_owed_tickets(site.pk).order_by("queued_at", "pk"))
    if not owed:
        return {}
    calls = calls_for(site, owed, fresh=True)
    for ticket in owed:
        ticket.site = site
        estimate = calls.get(ticket.pk)
        if _owed_near(ticket, estimate, site):
            enqueue_sms(ticket, "near", minutes=whole_minutes(estimate))
    return calls
