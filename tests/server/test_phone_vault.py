"""Phone numbers at rest (kiosk/server/queueing/phone_vault.py): encrypted under a key per
day kept outside the database; the nightly purge destroys past days' keys, after which no
copy of a row (table files, WAL, backups) says the number. And only the countries of
SMS_COUNTRIES get SMS."""

from __future__ import annotations

import datetime as dt
import stat
from types import SimpleNamespace

import pytest
from django.db import connection
from django.utils import timezone

from kiosk.server.notifications.gateways import LogGateway

pytestmark = pytest.mark.django_db

PHONE = "+33612345678"
DIGITS = ("33612345678", "612345678", "0612345678")


@pytest.fixture(autouse=True)
def keys(settings, tmp_path):
    from kiosk.server.queueing.phone_vault import forget_cached_keys

    settings.PHONE_KEYS_DIR = tmp_path / "phone-keys"
    forget_cached_keys()
    yield settings.PHONE_KEYS_DIR
    forget_cached_keys()


@pytest.fixture
def q(demo):
    from kiosk.server.queueing.estimates import reset_caches
    from kiosk.server.queueing.models import Counter

    reset_caches()
    Counter.objects.filter(site=demo).update(is_open=False)
    a = demo.services.filter(ticketing=True).order_by("slug").first()
    g = Counter.objects.create(site=demo, name="Guichet 7")
    g.services.set([a])
    yield SimpleNamespace(site=demo, a=a, g=g)
    reset_caches()


def issue(q, phone=PHONE):
    from kiosk.server.queueing.issuing import do_issue_ticket

    return do_issue_ticket(q.a, phone=phone, consent=True)[0]


def stored(ticket) -> str:
    """What the database itself holds in the phone column (no field conversion)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM queueing_ticket WHERE id = %s", [ticket.pk])
        return cursor.fetchone()[0]


def test_the_database_holds_only_a_sealed_number_and_the_ticket_reads_it_in_clear(q):
    from kiosk.server.queueing.models import Ticket

    ticket = issue(q)
    raw = stored(ticket)
    assert raw.startswith(f"v1:{timezone.localdate().isoformat()}:")
    assert not any(d in raw for d in DIGITS)
    assert Ticket.objects.get(pk=ticket.pk).phone == PHONE
    assert list(Ticket.objects.filter(pk=ticket.pk).values_list("phone", flat=True)) == [PHONE]
    # "Has a number" queries still work on the sealed column.
    assert Ticket.objects.filter(pk=ticket.pk).exclude(phone="").exists()
    assert stored(issue(q, phone="")) == ""


def test_two_seals_of_one_number_differ(q):
    # A fresh nonce each time: equal numbers cannot be matched across rows.
    assert stored(issue(q)) != stored(issue(q))


def test_the_purge_destroys_the_key_and_the_number_with_it(q, keys):
    from kiosk.server.queueing.phone_vault import unseal
    from kiosk.server.queueing.privacy import do_purge_personal_data

    ticket = issue(q)
    sealed = stored(ticket)
    key_file = keys / f"{timezone.localdate().isoformat()}.key"
    assert key_file.exists()
    assert unseal(sealed) == PHONE
    counts = do_purge_personal_data(today=timezone.localdate() + dt.timedelta(days=1))
    assert counts["keys_shredded"] == 1
    assert not key_file.exists()
    # A copy of the row kept anywhere (WAL, backup) no longer says the number.
    assert unseal(sealed) == ""
    assert stored(ticket) == ""


def test_a_past_days_key_is_read_from_its_file_so_another_process_can_shred_it(q, keys):
    from kiosk.server.queueing.phone_vault import seal, unseal

    yesterday = timezone.localdate() - dt.timedelta(days=1)
    sealed = seal(PHONE, day=yesterday)
    assert unseal(sealed) == PHONE
    (keys / f"{yesterday.isoformat()}.key").unlink()  # what the purge does, elsewhere
    assert unseal(sealed) == ""


def test_keys_are_private_files_and_a_racing_creation_keeps_the_first(keys):
    from kiosk.server.queueing.phone_vault import _create_key, seal, unseal

    day = timezone.localdate()
    sealed = seal(PHONE, day=day)
    path = keys / f"{day.isoformat()}.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    before = path.read_bytes()
    _create_key(day)  # a second process losing the race
    assert path.read_bytes() == before
    assert unseal(sealed) == PHONE
    assert [p.name for p in keys.iterdir()] == [path.name]  # no temporary file left


def test_a_changed_row_does_not_decrypt(keys):
    from kiosk.server.queueing.phone_vault import seal, unseal

    sealed = seal(PHONE)
    tampered = sealed[:-8] + ("A" if sealed[-8] != "A" else "B") + sealed[-7:]
    assert unseal(tampered) == ""
    assert unseal(PHONE) == ""  # a clear number is never taken as one


def test_the_migration_seals_open_tickets_and_erases_closed_ones(q):
    from importlib import import_module

    from django.apps import apps

    from kiosk.server.queueing.models import Ticket

    migration = import_module("kiosk.server.queueing.migrations.0009_ticket_phone_encrypted")
    waiting, done = issue(q, phone=""), issue(q, phone="")
    Ticket.objects.filter(pk=done.pk).update(status="done")
    with connection.cursor() as cursor:  # rows as an older release stored them
        cursor.execute("UPDATE queueing_ticket SET phone = %s WHERE id IN (%s, %s)",
                       [PHONE, waiting.pk, done.pk])
    migration.seal_existing(apps, SimpleNamespace(connection=connection))
    assert stored(waiting).startswith("v1:") and stored(done) == ""
    assert Ticket.objects.get(pk=waiting.pk).phone == PHONE


# -- SMS countries ---------------------------------------------------------------------------


def test_a_number_of_another_country_is_refused_with_a_clear_422(q):
    from kiosk.server.queueing.issuing import check_phone
    from kiosk.server.queueing.lifecycle import QueueError

    for typed in ("+44 7400 123456", "+881 6 3123 4567"):
        with pytest.raises(QueueError) as caught:
            check_phone(typed, consent=True)
        assert caught.value.status == 422
    assert "cannot receive SMS here" in str(caught.value) or "satellite" in str(caught.value)
    assert check_phone("0692 12 34 56", consent=True) == "+262692123456"


def test_sms_countries_is_a_setting(q, settings):
    from kiosk.server.queueing.issuing import check_phone
    from kiosk.server.queueing.lifecycle import QueueError

    settings.SMS_COUNTRIES = ["FR", "GB"]
    assert check_phone("+44 7400 123456", consent=True) == "+447400123456"
    settings.SMS_COUNTRIES = ["FR"]
    with pytest.raises(QueueError) as caught:
        check_phone("0692 12 34 56", consent=True)
    assert "numbers of this country cannot receive SMS here" in str(caught.value)


def test_the_worker_checks_the_country_again_before_sending(q, settings):
    from kiosk.server.notifications.models import SmsMessage
    from kiosk.server.notifications.services import enqueue_sms, run_once

    ticket = issue(q)
    sms = enqueue_sms(ticket, "near", minutes=5)
    settings.SMS_COUNTRIES = ["GB"]  # changed since the number was kept
    gateway = LogGateway()
    assert run_once(gateway) == {"cancelled": 1}
    assert gateway.messages == []
    sms.refresh_from_db()
    assert (sms.status, sms.detail) == (SmsMessage.Status.CANCELLED, "country not in SMS_COUNTRIES")


# -- PostgreSQL: nothing readable in the table files and the WAL ---------------------------


def _superuser_connection():
    import psycopg

    db = connection.settings_dict
    try:
        return psycopg.connect(host=db["HOST"], port=db["PORT"] or 5432, user="postgres",
                               dbname=connection.settings_dict["NAME"], autocommit=True,
                               connect_timeout=5)
    except psycopg.Error as exc:
        pytest.skip(f"needs the throw-away cluster's superuser (trust auth): {exc}")


def _files_holding(folders, needles: list[bytes]) -> dict[bytes, list[str]]:
    found: dict[bytes, list[str]] = {n: [] for n in needles}
    for folder in folders:
        for path in folder.rglob("*"):
            if not path.is_file():
                continue
            data = path.read_bytes()
            for needle in needles:
                if needle in data:
                    found[needle].append(str(path))
    return found


# A number no other test uses: the WAL is shared by the whole throw-away cluster.
UNIQUE = "+33745678912"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgresql_files_and_wal_never_hold_the_number(q):
    """The number goes through PostgreSQL only sealed; after the purge the sealed form,
    still in the WAL, decrypts no more."""
    from pathlib import Path

    from kiosk.server.queueing.counter_actions import do_call_next, do_finish_current
    from kiosk.server.queueing.phone_vault import unseal
    from kiosk.server.queueing.privacy import do_purge_personal_data

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (the postgres suite)")
    su = _superuser_connection()
    with su:
        data_dir = Path(su.execute("SHOW data_directory").fetchone()[0])
        oid = su.execute("SELECT oid FROM pg_database WHERE datname = current_database()"
                         ).fetchone()[0]
        if not (data_dir / "pg_wal").is_dir() or not (data_dir / "base").exists():
            pytest.skip(f"the cluster's files are not readable here: {data_dir}")
        ticket = issue(q, phone=UNIQUE)
        sealed = stored(ticket)
        do_call_next(q.g)
        do_finish_current(q.g)  # done: the number erased from the row
        do_purge_personal_data(today=timezone.localdate() + dt.timedelta(days=1))
        su.execute("CHECKPOINT")  # every change in the table files, not only in the WAL
        found = _files_holding(
            [data_dir / "base" / str(oid), data_dir / "pg_wal"],
            [UNIQUE.encode(), UNIQUE[1:].encode(), b"0" + UNIQUE[3:].encode(),
             sealed.encode()])
    # The search reads the right files: the sealed form is there (WAL, dead rows)...
    assert found.pop(sealed.encode()), "the sealed number should be in the WAL"
    # ...but the number is nowhere, and the sealed form no longer opens.
    assert found == {n: [] for n in found}
    assert unseal(sealed) == ""


def test_a_search_by_number_is_refused_rather_than_silently_empty(q):
    from kiosk.server.queueing.models import Ticket

    issue(q)
    with pytest.raises(TypeError, match="sealed"):
        Ticket.objects.filter(phone=PHONE).count()
    assert Ticket.objects.filter(phone="").count() == 0
