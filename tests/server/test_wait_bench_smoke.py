"""The wait bench's server driver (tests/bench/wait_server.py) on one short simulated day:
every world event goes through the real actions, the server's calls follow the world, and
the day yields scored tickets and SMS decisions. Accuracy figures are the bench's business,
never asserted here."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.bench.wait_score import scored

pytestmark = pytest.mark.django_db


def test_one_simulated_day_through_the_server(settings, tmp_path):
    from kiosk.server.queueing.models import CounterEvent, Ticket
    from tests.bench.wait_server import BASE_DATE, run_scenario

    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()
    real_now = timezone.now
    outcomes, stats = run_scenario("single", days=1)

    assert timezone.now is real_now  # the simulated clock is gone
    # Rows stamped by a field's default=timezone.now (the console's counter events) are on
    # the simulated day too: else the fit never sees an opening and learns lunch as a gap.
    events = CounterEvent.objects.filter(counter__site__slug__startswith="bench-single")
    assert events.exists()
    assert {timezone.localdate(at) for at in events.values_list("at", flat=True)} == {BASE_DATE}
    assert CounterEvent._meta.get_field("at").default is real_now  # restored
    assert stats["mismatches"] == 0  # do_call_next chose the world's ticket every time
    tickets = Ticket.objects.filter(day=BASE_DATE)
    assert stats["tickets"] == tickets.count() == len(outcomes) > 10
    assert not tickets.filter(status__in=["waiting", "called"]).exists()  # the day is over
    assert tickets.filter(status="no_show").exists() or tickets.filter(
        status="cancelled").exists()
    assert len(scored(outcomes)) > 10
    assert all(o.wait >= 0 for o in outcomes if o.wait is not None)
    assert stats["sms_called"] > 0
    assert any(o.sms_decided_at is not None or o.near_at_issue for o in outcomes if o.phone)
    # The decision precedes the call it announces.
    assert all(o.sms_decided_at <= o.called_at for o in outcomes
               if o.sms_decided_at is not None and o.called_at is not None)
