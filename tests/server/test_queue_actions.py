"""Counter actions at the server: the fair priority rule, out-of-turn calls, recall, no-show,
transfer, park/resume, "I need more time", cancel, positions and estimates.

Expectations come from the rules (docs/queues.md, DESIGN.md "Queues"), not from the output.
The tests run on the demo site but build their own counters, so that they do not depend on
the demo's layout: the demo's counters are closed; "Guichet 91" serves services A and B,
"Guichet 92" serves A and C (three ticketing services of the demo).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def static_root(settings, tmp_path):
    """whitenoise warns (an error here) when STATIC_ROOT does not exist: fresh checkouts."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()


@pytest.fixture(autouse=True)
def fresh_models():
    """Service-time models are cached per site pk: never reuse one fitted in another test."""
    from kiosk.server.queueing.estimates import reset_caches

    reset_caches()
    yield
    reset_caches()


# -- helpers ------------------------------------------------------------------------------


@pytest.fixture
def q(demo):
    """The site, three ticketing services a, b, c and two counters g1 {a, b}, g2 {a, c}."""
    from types import SimpleNamespace

    from kiosk.server.queueing.models import Counter

    Counter.objects.filter(site=demo).update(is_open=False)
    a, b, c = demo.services.filter(ticketing=True).order_by("slug")[:3]
    g1 = Counter.objects.create(site=demo, name="Guichet 91")
    g1.services.set([a, b])
    g2 = Counter.objects.create(site=demo, name="Guichet 92")
    g2.services.set([a, c])
    return SimpleNamespace(site=demo, a=a, b=b, c=c, g1=g1, g2=g2)


def clock(minutes: float) -> dt.datetime:
    """Today at `minutes` after local midnight (a queue place, i.e. an issue time)."""
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + dt.timedelta(minutes=minutes)


def issue(service, *, priority="", at=None, phone=""):
    """Issue a ticket the way the API does; optionally place it at issue time `at`."""
    from kiosk.server.queueing.issuing import do_issue_ticket
    from kiosk.server.queueing.models import Ticket

    ticket, created = do_issue_ticket(service, priority=priority, phone=phone,
                                      consent=bool(phone))
    assert created
    if at is not None:
        from kiosk.server.queueing.estimates import invalidate_estimates

        Ticket.objects.filter(pk=ticket.pk).update(queued_at=at)
        invalidate_estimates(ticket.site_id)  # a change made behind the services' back
    ticket.refresh_from_db()
    return ticket


def fresh(ticket):
    ticket.refresh_from_db()
    return ticket


def call_next(c):
    from kiosk.server.queueing.counter_actions import do_call_next

    ticket = do_call_next(c)
    return None if ticket is None else fresh(ticket)


def call_all(c) -> list:
    called = []
    while (ticket := call_next(c)) is not None:
        called.append(ticket)
        assert len(called) < 100
    return called


def waiting_ids(site) -> set[int]:
    from kiosk.server.queueing.models import Ticket

    return set(Ticket.objects.filter(site=site, status="waiting").values_list("pk", flat=True))


def positions(tickets) -> dict[int, int | None]:
    from kiosk.server.queueing.ordering import ticket_position

    return {t.pk: ticket_position(fresh(t)) for t in tickets}


# -- the fair priority rule at the counter ---------------------------------------------------


def test_the_worked_example_of_the_docs(q):
    """docs/queues.md: C042, C043, C040, C044, C041, C045 after a normal call."""
    g1 = q.g1
    last = issue(q.a)
    assert call_next(g1).pk == last.pk  # "the last call was a normal ticket"
    rows = [("C040", 40, ""), ("C041", 42, ""), ("C042", 50, "pregnancy"),
            ("C043", 51, "elderly"), ("C044", 55, "disability"), ("C045", 58, "")]
    by_pk = {issue(q.a, priority=p, at=clock(9 * 60 + m)).pk: name for name, m, p in rows}
    order = [by_pk[t.pk] for t in call_all(g1)]
    assert order == ["C042", "C043", "C040", "C044", "C041", "C045"]


def test_priority_first_even_across_the_services_of_a_counter(q):
    g1 = q.g1
    normal = issue(q.a, at=clock(60))
    prio = issue(q.b, priority="appointment", at=clock(90))
    assert [t.pk for t in call_all(g1)] == [prio.pk, normal.pk]


def test_never_three_priority_calls_in_a_row_while_a_normal_waits(q):
    """Priority tickets keep arriving; normals are still called within 3(m+1) calls."""
    g1 = q.g1
    normals = [issue(q.a, at=clock(10 + i)) for i in range(3)]
    for i in range(3):
        issue(q.a, priority="elderly", at=clock(20 + i))
    flags, normal_waiting, called_pks = [], [], []
    for step in range(14):
        # A new priority visitor after every call: strict priority would starve the normals.
        issue(q.a, priority="pregnancy", at=clock(100 + step))
        had_normal = any(fresh(n).status == "waiting" for n in normals)
        ticket = call_next(g1)
        assert ticket is not None
        flags.append(bool(ticket.priority))
        normal_waiting.append(had_normal)
        called_pks.append(ticket.pk)
    for i in range(2, len(flags)):
        if normal_waiting[i]:
            assert not (flags[i - 2] and flags[i - 1] and flags[i]), (i, flags)
    for m, normal in enumerate(normals):
        assert normal.pk in called_pks[: 3 * (m + 1)], (m, flags)


def test_a_passed_over_priority_ticket_is_never_sent_to_the_back(q):
    """After an anti-starvation call, the oldest priority ticket goes next, before younger
    priority tickets and before older normal ones."""
    g1 = q.g1
    n1, n2 = issue(q.a, at=clock(10)), issue(q.a, at=clock(11))
    p1, p2, p3 = (issue(q.a, priority="disability", at=clock(20 + i)) for i in range(3))
    p4 = issue(q.a, priority="disability", at=clock(40))
    order = [t.pk for t in call_all(g1)]
    assert order == [p1.pk, p2.pk, n1.pk, p3.pk, p4.pk, n2.pk]


def test_the_priority_history_counts_calls_not_recalls(q):
    """A recall is not a call drawn from the queue: it must not reset the priority streak.

    G2 calls a normal ticket, G1 then calls two priority tickets in a row; G2 recalls its
    visitor. The next call drawn from the queue must be the waiting normal ticket: a third
    priority call in a row while a normal waits breaks the rule.
    """
    from kiosk.server.queueing.counter_actions import do_recall

    g1, g2 = q.g1, q.g2
    n0 = issue(q.a, at=clock(10))
    assert call_next(g2).pk == n0.pk
    n1 = issue(q.a, at=clock(11))
    p1, p2, _p3 = (issue(q.a, priority="elderly", at=clock(20 + i)) for i in range(3))
    assert call_next(g1).pk == p1.pk
    assert call_next(g1).pk == p2.pk
    do_recall(g2)
    assert call_next(g1).pk == n1.pk  # not p3


# -- which tickets a counter may call --------------------------------------------------------


def test_a_counter_calls_only_its_services(q):
    from kiosk.server.queueing.counter_actions import do_call_ticket
    from kiosk.server.queueing.lifecycle import QueueError

    g1 = q.g1  # does not serve c
    other = issue(q.c, priority="pregnancy", at=clock(5))
    civil = issue(q.a, at=clock(50))
    assert call_next(g1).pk == civil.pk
    assert call_next(g1) is None
    assert fresh(other).status == "waiting"
    with pytest.raises(QueueError) as info:
        do_call_ticket(g1, other.pk)
    assert info.value.status == 409
    assert fresh(other).status == "waiting"
    assert call_next(q.g2).pk == other.pk


def test_call_out_of_turn(q):
    from kiosk.server.queueing.counter_actions import current_ticket, do_call_ticket

    g1 = q.g1
    a, b, c = (issue(q.a, at=clock(10 + i)) for i in range(3))
    called = fresh(do_call_ticket(g1, c.pk))
    assert called.pk == c.pk and called.status == "called" and called.counter_id == g1.pk
    assert current_ticket(g1).pk == c.pk
    assert (fresh(a).status, fresh(b).status) == ("waiting", "waiting")
    # The queue order is untouched: the next call takes the oldest, and c is finished.
    assert call_next(g1).pk == a.pk
    assert fresh(c).status == "done"


def test_call_out_of_turn_refuses_a_closed_ticket_and_another_sites_ticket(q):
    from kiosk.server.content.models import Pole, Service, Site
    from kiosk.server.queueing.counter_actions import do_call_ticket
    from kiosk.server.queueing.issuing import do_issue_ticket
    from kiosk.server.queueing.lifecycle import QueueError
    from kiosk.server.queueing.visitor_actions import do_cancel_by_visitor

    g1 = q.g1
    gone = issue(q.a)
    do_cancel_by_visitor(gone)
    with pytest.raises(QueueError) as info:
        do_call_ticket(g1, gone.pk)
    assert info.value.status == 409
    other = Site.objects.create(slug="paris-20", name="Mairie du 20e")
    pole = Pole.objects.create(site=other, slug="citoyennete", color="#123456",
                               pictogram="livret", name={"fr": "Citoyenneté"})
    svc = Service.objects.create(site=other, pole=pole, slug="etat-civil", prefix="C",
                                 pictogram="livret", name={"fr": "État civil"})
    foreign, _ = do_issue_ticket(svc)
    with pytest.raises(QueueError) as info:
        do_call_ticket(g1, foreign.pk)
    assert info.value.status == 404
    assert fresh(foreign).status == "waiting"


# -- recall, no-show ------------------------------------------------------------------------


def test_recall_increments_and_restamps_called_at(q):
    from kiosk.server.queueing.counter_actions import do_recall
    from kiosk.server.queueing.models import Ticket

    g1 = q.g1
    issue(q.a)
    ticket = call_next(g1)
    assert ticket.recalls == 0
    earlier = timezone.now() - dt.timedelta(minutes=10)
    Ticket.objects.filter(pk=ticket.pk).update(called_at=earlier)
    before = timezone.now()
    do_recall(g1)
    ticket = fresh(ticket)
    assert ticket.recalls == 1 and ticket.status == "called" and ticket.counter_id == g1.pk
    assert before <= ticket.called_at <= timezone.now()
    do_recall(g1)
    assert fresh(ticket).recalls == 2


def test_recall_without_a_current_ticket_is_refused(q):
    from kiosk.server.queueing.counter_actions import do_recall
    from kiosk.server.queueing.lifecycle import QueueError

    with pytest.raises(QueueError) as info:
        do_recall(q.g1)
    assert info.value.status == 409


def _move_called_at(ticket, seconds_ago: float) -> None:
    from kiosk.server.queueing.models import Ticket

    Ticket.objects.filter(pk=ticket.pk).update(
        called_at=timezone.now() - dt.timedelta(seconds=seconds_ago))


def test_no_show_is_refused_before_the_grace_period_and_allowed_after(q):
    from kiosk.server.queueing.counter_actions import do_no_show
    from kiosk.server.queueing.lifecycle import QueueError

    q.site.no_show_grace_seconds = 600  # the site's setting, not a constant
    q.site.save()
    g1 = q.g1
    issue(q.a, phone="+33612345678")
    ticket = call_next(g1)
    with pytest.raises(QueueError) as info:
        do_no_show(g1)
    assert info.value.status == 409
    _move_called_at(ticket, 300)  # past the default 180 s, not past the site's 600 s
    with pytest.raises(QueueError):
        do_no_show(g1)
    assert fresh(ticket).status == "called"
    _move_called_at(ticket, 601)
    do_no_show(g1)
    ticket = fresh(ticket)
    assert ticket.status == "no_show" and ticket.finished_at is not None
    assert ticket.phone == ""


def test_a_recall_restarts_the_grace_period(q):
    from kiosk.server.queueing.counter_actions import do_no_show, do_recall
    from kiosk.server.queueing.lifecycle import QueueError

    g1 = q.g1
    issue(q.a)
    ticket = call_next(g1)
    _move_called_at(ticket, q.site.no_show_grace_seconds + 5)
    do_recall(g1)
    with pytest.raises(QueueError):
        do_no_show(g1)
    assert fresh(ticket).status == "called"


def test_a_no_show_frees_the_counter_for_the_next_call(q):
    from kiosk.server.queueing.counter_actions import current_ticket, do_no_show

    g1 = q.g1
    a, b = issue(q.a, at=clock(10)), issue(q.a, at=clock(11))
    assert call_next(g1).pk == a.pk
    _move_called_at(a, q.site.no_show_grace_seconds + 1)
    do_no_show(g1)
    assert current_ticket(g1) is None
    assert call_next(g1).pk == b.pk
    assert fresh(a).status == "no_show"  # not turned into "done" by the next call


# -- transfer -------------------------------------------------------------------------------


def test_a_transfer_keeps_the_number_and_the_place(q):
    from kiosk.server.queueing.counter_actions import current_ticket, do_transfer
    from kiosk.server.queueing.models import Ticket, TicketSequence
    from kiosk.server.queueing.ordering import ticket_position

    g1, g2 = q.g1, q.g2  # g2 serves c, g1 does not
    for i in range(4):  # the visitor's number (a005) is not yet used in c (c001-c003)
        issue(q.a, at=clock(1 + i))
    for _ in range(4):
        call_next(g2)
    visitor = issue(q.a, at=clock(30), phone="+33612345678")
    before = issue(q.c, at=clock(20))
    after = issue(q.c, at=clock(40))
    later = issue(q.c, at=clock(50))
    assert call_next(g1).pk == visitor.pk
    count = Ticket.objects.count()
    number, display = visitor.number, visitor.display
    c_sequence = TicketSequence.objects.get(service=q.c).last_number

    do_transfer(g1, q.c.slug)
    visitor = fresh(visitor)
    assert visitor.status == "waiting" and visitor.service_id == q.c.pk
    assert (visitor.number, visitor.display) == (number, display)
    assert visitor.transferred_from_id == q.a.pk
    assert visitor.queued_at == clock(30)
    assert visitor.phone == "+33612345678"  # still open: the SMS still has a purpose
    assert current_ticket(g1) is None
    assert Ticket.objects.count() == count  # no new ticket issued
    assert TicketSequence.objects.get(service=q.c).last_number == c_sequence
    assert ticket_position(visitor) == 2
    assert [t.pk for t in call_all(g2)] == [before.pk, visitor.pk, after.pk, later.pk]


def test_a_transfer_into_a_service_that_used_the_same_number(q):
    from kiosk.server.queueing.counter_actions import do_transfer

    visitor = issue(q.a, at=clock(30))  # a001
    issue(q.c, at=clock(20))  # c001: same number, another letter
    assert call_next(q.g1).pk == visitor.pk
    do_transfer(q.g1, q.c.slug)
    visitor = fresh(visitor)
    assert (visitor.status, visitor.service_id, visitor.number) == ("waiting", q.c.pk, 1)


def test_a_transfer_to_an_unknown_or_the_same_service_is_refused(q):
    from kiosk.server.queueing.counter_actions import do_transfer
    from kiosk.server.queueing.lifecycle import QueueError

    g1 = q.g1
    issue(q.a)
    ticket = call_next(g1)
    for slug, status in (("nope", 404), (q.a.slug, 409)):
        with pytest.raises(QueueError) as info:
            do_transfer(g1, slug)
        assert info.value.status == status
        assert fresh(ticket).status == "called" and fresh(ticket).service_id == q.a.pk


# -- park and resume ------------------------------------------------------------------------


def test_park_then_resume(q):
    from kiosk.server.queueing.counter_actions import (
        current_ticket,
        do_park,
        do_resume,
        parked_tickets,
    )

    g1, g2 = q.g1, q.g2
    x, y = issue(q.a, at=clock(10)), issue(q.a, at=clock(11))
    assert call_next(g1).pk == x.pk
    do_park(g1)
    x = fresh(x)
    assert x.status == "parked" and x.parked_at is not None and x.counter_id == g1.pk
    assert current_ticket(g1) is None
    assert [t.pk for t in parked_tickets(g1)] == [x.pk]
    assert x.pk not in waiting_ids(q.site)
    # A parked visitor is not drawn from the queue again, by any counter.
    assert call_next(g2).pk == y.pk
    assert call_next(g1) is None
    z = issue(q.a, at=clock(12))
    assert call_next(g1).pk == z.pk
    do_resume(g1, x.pk)
    x = fresh(x)
    assert x.status == "called" and x.counter_id == g1.pk and x.parked_at is None
    assert current_ticket(g1).pk == x.pk
    assert fresh(z).status == "done"
    assert list(parked_tickets(g1)) == []


def test_resume_refuses_a_ticket_that_is_not_parked(q):
    from kiosk.server.queueing.counter_actions import do_resume
    from kiosk.server.queueing.lifecycle import QueueError

    g1 = q.g1
    t = issue(q.a)
    with pytest.raises(QueueError) as info:
        do_resume(g1, t.pk)
    assert info.value.status == 409
    assert fresh(t).status == "waiting"


def test_the_phone_page_of_a_parked_ticket(q, client):
    from kiosk.server.queueing.counter_actions import do_park

    g1 = q.g1
    t = issue(q.a)
    call_next(g1)
    do_park(g1)
    client.raise_request_exception = False
    assert client.get(f"/t/{t.public_token}").status_code == 200


# -- "I need more time" ---------------------------------------------------------------------


def test_postpone_moves_back_the_site_number_of_places_once(q):
    from kiosk.server.queueing.lifecycle import QueueError
    from kiosk.server.queueing.ordering import ticket_position
    from kiosk.server.queueing.visitor_actions import do_postpone

    q.site.postpone_places = 3
    q.site.save()
    tickets = [issue(q.a, at=clock(10 + i)) for i in range(6)]
    me = tickets[0]
    assert ticket_position(me) == 1
    do_postpone(me)
    me = fresh(me)
    assert me.postponed
    assert ticket_position(me) == 4
    assert [ticket_position(fresh(t)) for t in tickets[1:4]] == [1, 2, 3]
    assert ticket_position(fresh(tickets[4])) == 5
    with pytest.raises(QueueError) as info:
        do_postpone(me)
    assert info.value.status == 409
    assert ticket_position(fresh(me)) == 4
    order = [t.pk for t in call_all(q.g1)]
    assert order == [t.pk for t in (tickets[1], tickets[2], tickets[3], me, tickets[4],
                                    tickets[5])]


def test_postpone_near_the_end_goes_last(q):
    from kiosk.server.queueing.ordering import ticket_position
    from kiosk.server.queueing.visitor_actions import do_postpone

    q.site.postpone_places = 3
    q.site.save()
    a, b = issue(q.a, at=clock(10)), issue(q.a, at=clock(11))
    do_postpone(a)
    assert (ticket_position(fresh(a)), ticket_position(fresh(b))) == (2, 1)


def test_postpone_counts_places_in_the_call_order(q):
    """A visitor at position 2 (behind a priority ticket) asks for more time: position 5."""
    from kiosk.server.queueing.ordering import ticket_position
    from kiosk.server.queueing.visitor_actions import do_postpone

    q.site.postpone_places = 3
    q.site.save()
    me = issue(q.a, at=clock(10))
    issue(q.a, priority="elderly", at=clock(11))
    for i in range(4):
        issue(q.a, at=clock(12 + i))
    assert ticket_position(fresh(me)) == 2
    do_postpone(me)
    assert ticket_position(fresh(me)) == 5


def test_only_a_waiting_ticket_may_be_postponed(q):
    from kiosk.server.queueing.lifecycle import QueueError
    from kiosk.server.queueing.visitor_actions import do_postpone

    issue(q.a)
    t = call_next(q.g1)
    with pytest.raises(QueueError):
        do_postpone(t)
    assert not fresh(t).postponed


# -- cancel by the visitor ------------------------------------------------------------------


def test_cancel_by_visitor(q):
    from kiosk.server.queueing.lifecycle import QueueError
    from kiosk.server.queueing.ordering import ticket_position
    from kiosk.server.queueing.visitor_actions import do_cancel_by_visitor

    a, b, c = (issue(q.a, at=clock(10 + i), phone="+33612345678") for i in range(3))
    do_cancel_by_visitor(b)
    b = fresh(b)
    assert b.status == "cancelled" and b.finished_at is not None and b.phone == ""
    assert ticket_position(b) is None
    assert (ticket_position(fresh(a)), ticket_position(fresh(c))) == (1, 2)
    with pytest.raises(QueueError) as info:
        do_cancel_by_visitor(b)
    assert info.value.status == 409
    assert [t.pk for t in call_all(q.g1)] == [a.pk, c.pk]


def test_a_called_visitor_cannot_cancel(q):
    from kiosk.server.queueing.lifecycle import QueueError
    from kiosk.server.queueing.visitor_actions import do_cancel_by_visitor

    issue(q.a)
    t = call_next(q.g1)
    with pytest.raises(QueueError):
        do_cancel_by_visitor(t)
    assert fresh(t).status == "called"


# -- positions and estimates ----------------------------------------------------------------

MIXED = ["", "", "pregnancy", "", "elderly", "appointment", "", "disability", "", ""]


def test_positions_match_the_call_order(q):
    """Before every call, the ticket at position 1 is the one the counter calls."""
    g1 = q.g1
    issue(q.a)
    call_next(g1)  # some history: one normal call
    tickets = [issue(q.a, priority=p, at=clock(10 + i)) for i, p in enumerate(MIXED)]
    while waiting_ids(q.site):
        pos = positions([t for t in tickets if t.pk in waiting_ids(q.site)])
        assert sorted(pos.values()) == list(range(1, len(pos) + 1))
        predicted = sorted(pos, key=pos.get)
        assert call_next(g1).pk == predicted[0]


def test_estimates_do_not_decrease_along_the_call_order(q):
    from kiosk.server.queueing.estimates import queue_estimates

    g1, g2 = q.g1, q.g2
    tickets = [issue(q.a, priority=p, at=clock(10 + i)) for i, p in enumerate(MIXED)]
    for step in range(3):
        open_tickets = [t for t in tickets if t.pk in waiting_ids(q.site)]
        pos = positions(open_tickets)
        estimates = queue_estimates(q.site)
        along = [estimates[pk] for pk in sorted(pos, key=pos.get)]
        assert all(e is not None for e in along)
        assert along == sorted(along), (step, along)
        assert along[-1] > along[0]  # ten tickets, two counters: not all at once
        call_next(g1 if step % 2 == 0 else g2)


# -- authorization --------------------------------------------------------------------------


def test_the_agent_of_another_site_is_denied(q):
    from django.contrib.auth import get_user_model

    from kiosk.server.accounts.models import SiteMembership
    from kiosk.server.content.models import Site
    from kiosk.server.queueing.counter_actions import check_counter_agent
    from kiosk.server.queueing.models import Counter
    from tests.conftest import demo_data

    other = Site.objects.create(slug="paris-20", name="Mairie du 20e")
    theirs = Counter.objects.create(site=other, name="Guichet 1")
    stranger = get_user_model().objects.create_user("agent20", password="pw-agent-20e")
    SiteMembership.objects.create(user=stranger, site=other, role="counter")
    ours = q.g1
    with pytest.raises(PermissionDenied):
        check_counter_agent(stranger, ours)
    check_counter_agent(stranger, theirs)
    agent = get_user_model().objects.get(
        username=next(a for a in demo_data()["agents"] if a.get("role") == "counter")["username"])
    check_counter_agent(agent, ours)
    with pytest.raises(PermissionDenied):
        check_counter_agent(agent, theirs)
