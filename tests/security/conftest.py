"""Fixtures of the security tests: the demo site, an open counter, tickets, agents."""

from __future__ import annotations

import pytest

from tests.conftest import demo_data


@pytest.fixture(autouse=True)
def static_root(settings, tmp_path):
    """whitenoise warns (an error here) when STATIC_ROOT does not exist: fresh checkouts."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()


def agent_of(role: str) -> dict:
    return next(a for a in demo_data()["agents"] if a.get("role", "counter") == role)


@pytest.fixture
def counter(demo):
    """An open counter of the demo and one ticketing service it serves (`.service`)."""
    from kiosk.server.queueing.models import Counter

    for c in Counter.objects.filter(site=demo, is_open=True).order_by("name"):
        services = c.services.filter(ticketing=True).order_by("slug")
        if services:
            c.service = services[0]
            return c
    pytest.fail("the demo has no open counter serving a ticketing service")


def issue(service, n: int = 1) -> list:
    from kiosk.server.queueing.issuing import do_issue_ticket

    return [do_issue_ticket(service)[0] for _ in range(n)]


def refreshed(obj):
    obj.refresh_from_db()
    return obj
