"""The `demo` fixture's rows written back (tests/support/demo_rows.py) are the rows a real
load of the demo writes, and it loads for real whenever they could differ."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import models, transaction
from django.utils import timezone

from tests.conftest import OTHER_SITE, load_demo_sites
from tests.support import demo_rows


def _dump() -> dict[str, list[tuple]]:
    """Every table's rows, without their times (a load stamps the time it runs at) and the
    passwords' hashes (salted: two loads differ; checked apart)."""
    out = {}
    for model in demo_rows._tables():
        names = [f.attname for f in model._meta.concrete_fields
                 if not isinstance(f, models.DateTimeField) and f.attname != "password"]
        out[model._meta.db_table] = sorted(
            model._base_manager.values_list(*names), key=repr)
    return out


def _in_rollback(step):
    with transaction.atomic():
        result = step()
        transaction.set_rollback(True)
    return result


def test_written_back_rows_are_those_of_a_real_load(db):
    def load_and_dump():
        demo_rows.load_demo(load_demo_sites)
        return _dump()

    _in_rollback(load_and_dump)  # captures, unless an earlier test of this process did
    before = demo_rows.written_back
    written = _in_rollback(load_and_dump)
    assert demo_rows.written_back == before + 1, "the second load was not written back"
    real = _in_rollback(lambda: (load_demo_sites(), _dump())[1])
    assert written == real
    assert any(written.values())


def test_the_agents_log_in_with_written_back_rows(db, client):
    from tests.conftest import demo_data

    _in_rollback(lambda: demo_rows.load_demo(load_demo_sites))  # captured, at the latest now
    before = demo_rows.written_back
    demo_rows.load_demo(load_demo_sites)
    assert demo_rows.written_back == before + 1
    for agent in demo_data()["agents"]:
        assert client.login(username=agent["username"], password=agent["password"])


def test_a_real_load_over_written_back_rows_finds_every_row(db):
    """The real code run over the written-back rows finds each of them (nothing doubled,
    nothing changed), and a new row still gets a key of its own."""
    from kiosk.server.content.models import Site

    _in_rollback(lambda: demo_rows.load_demo(load_demo_sites))  # captured, at the latest now
    before = demo_rows.written_back
    demo_rows.load_demo(load_demo_sites)
    assert demo_rows.written_back == before + 1
    written = _dump()
    load_demo_sites()
    assert _dump() == written
    Site.objects.create(slug="paris-20", name="Mairie du 20e arrondissement")
    assert Site.objects.filter(slug__in=["paris-19", OTHER_SITE, "paris-20"]).count() == 3


def test_a_moved_clock_gets_a_real_load(db, monkeypatch):
    from kiosk.server.content.models import ContentChange

    _in_rollback(lambda: demo_rows.load_demo(load_demo_sites))  # captured, at the latest now
    later = timezone.now() + dt.timedelta(days=3)
    monkeypatch.setattr(timezone, "now", lambda: later)
    before = demo_rows.written_back
    demo_rows.load_demo(load_demo_sites)
    assert demo_rows.written_back == before
    assert ContentChange.objects.exists()
    assert not ContentChange.objects.exclude(at=later).exists()


def test_a_table_that_differs_gets_a_real_load(db):
    from kiosk.server.content.models import Site

    _in_rollback(lambda: demo_rows.load_demo(load_demo_sites))  # captured, at the latest now
    Site.objects.create(slug="paris-19", name="Une autre mairie")  # the demo's own slug
    before = demo_rows.written_back
    demo_rows.load_demo(load_demo_sites)
    assert demo_rows.written_back == before
    assert Site.objects.get(slug="paris-19").name == "Mairie du 19e arrondissement"


@pytest.mark.parametrize("run", range(2))
def test_the_demo_fixture_gives_the_demo(demo, run):
    from kiosk.server.queueing.models import Counter

    assert demo.slug == "paris-19"
    assert Counter.objects.filter(site=demo, services__isnull=False).exists()


def test_the_real_clock_is_the_one_read_before_any_test():
    assert demo_rows.REAL_NOW is timezone.now
    assert demo_rows.REAL_NOW.__module__ == "django.utils.timezone"
