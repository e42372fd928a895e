"""The carnet's pages: ticks and "Garder mon carnet" on the phone page, the carnet page and
its erasure, the console's panel (documents at the call, history, fiche de liaison), the
agent's look-up by code, site permissions, and the nightly purge."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from kiosk.domain import carnet_code
from tests.conftest import demo_data

pytestmark = pytest.mark.django_db

DOCS = [
    {"doc": "id_card", "text": {"fr": "Pièce d'identité", "ar": "وثيقة الهوية"}, "have": True},
    {"doc": "proof_of_address", "text": {"fr": "Justificatif de domicile",
                                         "ar": "إثبات السكن"}, "have": False},
    {"doc": "", "text": {"fr": "Livret de famille"}, "have": True},
    {"doc": "", "text": {"fr": "Avis d'imposition"}, "have": True},
]


@pytest.fixture(autouse=True)
def static_root(settings, tmp_path):
    """whitenoise warns (an error here) when STATIC_ROOT does not exist: fresh checkouts."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()


@pytest.fixture
def counter(demo):
    from kiosk.server.queueing.models import Counter

    for c in Counter.objects.filter(site=demo, is_open=True).order_by("name"):
        services = c.services.filter(ticketing=True).order_by("slug")
        if services:
            c.service = services[0]
            return c
    pytest.fail("the demo has no open counter serving a ticketing service")


@pytest.fixture
def agent(demo):
    a = next(a for a in demo_data()["agents"] if a.get("role", "counter") == "counter")
    c = Client()
    assert c.login(username=a["username"], password=a["password"])
    return c


def issue(counter, documents=DOCS, language="fr", typed=None):
    from kiosk.server.carnet.services import attach_folder
    from kiosk.server.queueing.issuing import do_issue_ticket

    ticket = do_issue_ticket(counter.service, language=language)[0]
    attach_folder(ticket, [dict(d) for d in documents], typed=typed)
    return ticket


def folder(ticket):
    from kiosk.server.carnet.models import TicketFolder

    return TicketFolder.objects.select_related("carnet").get(ticket=ticket)


def keep(client, ticket, consent=True):
    data = {"consent": "yes"} if consent else {}
    return client.post(f"/t/{ticket.public_token}/garder-carnet", data)


# -- the phone page ------------------------------------------------------------------------


def test_the_phone_page_shows_the_checklist_with_pictograms_and_ticks(client, counter):
    ticket = issue(counter, language="ar")
    page = client.get(f"/t/{ticket.public_token}").content.decode()
    assert "وثيقة الهوية" in page and "إثبات السكن" in page
    assert '<span class="doc-name" lang="fr">Livret de famille</span>' in page  # fallback marked
    assert 'src="/pictogramme/doc-identite.png"' in page
    checked = re.findall(r'value="(\d)" checked', page)
    assert checked == ["0", "2", "3"]


def test_the_visitor_changes_the_ticks(client, counter):
    ticket = issue(counter)
    response = client.post(f"/t/{ticket.public_token}/documents", {"have": ["1", "9", "x"]})
    assert response.status_code == 302 and response["Location"].endswith("#documents")
    assert [d["have"] for d in folder(ticket).documents] == [False, True, False, False]


def test_ticks_are_csrf_protected_and_rate_limited(counter, settings):
    from django.core.cache import cache

    ticket = issue(counter)
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(f"/t/{ticket.public_token}/documents", {"have": "1"}).status_code == 403
    cache.clear()
    settings.RATELIMIT_ENABLED = True
    settings.RATELIMITS = {**settings.RATELIMITS, "phone": "2/h"}
    c = Client()
    codes = [c.post(f"/t/{ticket.public_token}/documents", {}).status_code for _ in range(3)]
    assert codes == [302, 302, 429]
    cache.clear()


def test_keeping_a_carnet_needs_the_explicit_consent(client, counter):
    from kiosk.server.carnet.models import Carnet

    ticket = issue(counter)
    page = client.get(f"/t/{ticket.public_token}").content.decode()
    assert "Aucun nom, aucun numéro de téléphone" in page
    assert "183 jours après sa dernière utilisation" in page
    assert "supprimer à tout moment" in page
    refused = keep(client, ticket, consent=False)
    assert refused.status_code == 302 and "carnet=consent" in refused["Location"]
    assert not Carnet.objects.exists()
    again = client.get(refused["Location"]).content.decode()
    assert "Cochez la case pour garder votre carnet." in again


def test_keeping_a_carnet_shows_its_code_and_link(client, counter):
    ticket = issue(counter)
    code = folder(ticket).carnet_code
    assert keep(client, ticket).status_code == 302
    kept = folder(ticket)
    assert kept.carnet is not None and kept.carnet.code == code
    assert len(kept.carnet.token) >= 32
    page = client.get(f"/t/{ticket.public_token}").content.decode()
    assert carnet_code.display(code) in page
    assert f"/c/{kept.carnet.token}" in page
    keep(client, ticket)  # twice: still one carnet
    assert folder(ticket).carnet_id == kept.carnet_id


def test_the_retention_is_configurable(client, counter, settings):
    settings.CARNET_RETENTION_DAYS = 30
    ticket = issue(counter)
    assert "30 jours après" in client.get(f"/t/{ticket.public_token}").content.decode()


def test_the_phone_page_in_every_language_has_the_carnet_texts(client, counter):
    from kiosk.server.web import catalogs

    ticket = issue(counter)
    for code in catalogs.CODES:
        page = client.get(f"/t/{ticket.public_token}?lang={code}").content.decode()
        assert catalogs.messages(code)["carnet.keep_title"] in page, code


# -- the carnet page -----------------------------------------------------------------------


def kept(client, counter, **kw):
    ticket = issue(counter, **kw)
    keep(client, ticket)
    return ticket, folder(ticket).carnet


def test_the_carnet_page_lists_the_procedures_and_the_fiche(client, agent, counter):
    from kiosk.server.queueing.counter_actions import do_call_next

    ticket, carnet = kept(client, counter, language="ar")
    do_call_next(counter)
    agent.post(f"/guichet/{counter.pk}/carnet/fiche/", {
        "ticket": ticket.pk, "status": "documents_missing", "missing": ["1"],
        "next": "come_back_documents", "note": "Facture de moins de 3 mois"})
    page = client.get(f"/c/{carnet.token}").content.decode()
    assert '<html lang="ar" dir="rtl">' in page  # the visitor's language
    assert "بعض الوثائق ناقصة" in page  # the status, in Arabic
    assert "العودة بالوثائق الناقصة" in page  # the next step
    assert "إثبات السكن" in page  # the missing document
    assert '<q><bdi lang="fr" dir="ltr">Facture de moins de 3 mois</bdi></q>' in page
    assert carnet_code.display(carnet.code) in page


def test_an_unknown_carnet_link_is_a_404_page(client, demo):
    response = client.get("/c/" + "A" * 32)
    assert response.status_code == 404
    assert "Carnet introuvable" in response.content.decode()
    assert client.get("/c/%00").status_code in (400, 404)


def test_the_visitor_erases_the_carnet_after_confirming(client, counter):
    from kiosk.server.carnet.models import Carnet, TicketFolder
    from kiosk.server.queueing.counter_actions import do_call_next, do_finish_current

    ticket, carnet = kept(client, counter)
    do_call_next(counter)
    do_finish_current(counter)
    still_open = issue(counter, typed=carnet.code)  # a second visit, waiting today
    confirm = client.get(f"/c/{carnet.token}?supprimer=1").content.decode()
    assert "ne peut pas être annulé" in confirm
    assert Carnet.objects.filter(pk=carnet.pk).exists()  # GET changes nothing
    response = client.post(f"/c/{carnet.token}/supprimer")
    assert response.status_code == 200
    assert "Votre carnet est supprimé" in response.content.decode()
    assert not Carnet.objects.exists()
    assert not TicketFolder.objects.filter(ticket=ticket).exists()  # the procedure is gone
    left = folder(still_open)  # the open ticket keeps its own list, out of any carnet
    assert left.carnet is None and len(left.documents) == 4
    assert left.carnet_code != carnet.code
    assert client.get(f"/c/{carnet.token}").status_code == 404


def test_opening_the_carnet_is_a_use(client, counter):
    from kiosk.server.carnet.models import Carnet

    _, carnet = kept(client, counter)
    old = timezone.now() - dt.timedelta(days=20)
    Carnet.objects.filter(pk=carnet.pk).update(used_at=old)
    client.get(f"/c/{carnet.token}")
    carnet.refresh_from_db()
    assert carnet.used_at > old + dt.timedelta(days=19)


# -- the console -----------------------------------------------------------------------------


def test_the_console_shows_the_documents_at_the_call(client, agent, counter):
    from kiosk.server.queueing.counter_actions import do_call_next

    issue(counter)
    do_call_next(counter)
    page = agent.get(f"/guichet/{counter.pk}/").content.decode()
    assert "Documents : <strong>3 sur 4</strong> ; manque : Justificatif de domicile" in page
    panel = agent.get(f"/guichet/{counter.pk}/carnet/panneau/").content.decode()
    assert "3 sur 4" in panel and 'id="carnet-panel"' in panel


def test_the_fiche_is_checked_and_kept(agent, counter):
    from kiosk.server.queueing.counter_actions import do_call_next

    ticket = issue(counter)
    do_call_next(counter)
    url = f"/guichet/{counter.pk}/carnet/fiche/"
    bad = [{"status": "nope"}, {"status": "done", "missing": ["7"]},
           {"status": "done", "note": "x" * 501}, {"status": "done", "note": "a\x01b"}, {}]
    for data in bad:
        agent.post(url, {"ticket": ticket.pk, **data})
        assert not folder(ticket).has_fiche, data
    agent.post(url, {"ticket": ticket.pk, "status": "appointment", "next": "take_appointment",
                     "note": " Rappeler le service\u202e "})
    kept = folder(ticket)
    assert (kept.fiche_status, kept.fiche_next, kept.fiche_note) == (
        "appointment", "take_appointment", "Rappeler le service")
    assert kept.fiche_at is not None


def test_a_fiche_for_a_ticket_no_longer_at_the_counter_is_refused(agent, counter):
    from kiosk.server.queueing.counter_actions import do_call_next

    first, second = issue(counter), issue(counter)
    do_call_next(counter)
    do_call_next(counter)  # the first is done, the second at the counter
    agent.post(f"/guichet/{counter.pk}/carnet/fiche/", {"ticket": first.pk, "status": "done"})
    assert not folder(first).has_fiche and not folder(second).has_fiche


def test_the_next_visit_by_code_shows_the_history(client, agent, counter):
    from kiosk.server.queueing.counter_actions import do_call_next

    first, carnet = kept(client, counter)
    do_call_next(counter)
    agent.post(f"/guichet/{counter.pk}/carnet/fiche/", {
        "ticket": first.pk, "status": "documents_missing", "missing": ["1"],
        "next": "come_back_documents"})
    issue(counter, typed=carnet.code)  # next visit: the code typed on the kiosk
    do_call_next(counter)
    page = agent.get(f"/guichet/{counter.pk}/").content.decode()
    assert "Carnet : <strong>oui</strong> (1 démarche précédente)" in page
    assert "Il manque des documents" in page
    assert "Revenir avec les documents manquants" in page


def test_an_agent_looks_a_carnet_up_by_code_or_link(client, agent, counter):
    _, carnet = kept(client, counter)
    url = f"/guichet/{counter.pk}/carnet/voir/"
    found = agent.get(url, {"code": carnet_code.display(carnet.code)}).content.decode()
    assert "1 démarche" in found and "Justificatif de domicile" in found
    by_link = agent.get(url, {"code": f"https://x/c/{carnet.token}"}).content.decode()
    assert "1 démarche" in by_link
    typo = carnet.code[:-1] + str((int(carnet.code[-1]) + 1) % 10)
    assert "Code invalide" in agent.get(url, {"code": typo}).content.decode()
    assert "Aucun carnet" in agent.get(url, {"code": carnet_code.mint()}).content.decode()


def test_only_agents_of_the_site_see_the_panel_and_carnets(client, agent, counter, paris18):
    from django.contrib.auth import get_user_model

    from kiosk.server.accounts.models import SiteMembership
    from kiosk.server.queueing.models import Counter

    _, carnet = kept(client, counter)
    user = get_user_model().objects.create_user("agent18", password="pw-agent-18e")
    SiteMembership.objects.create(user=user, site=paris18, role="counter")
    other = Client()
    assert other.login(username="agent18", password="pw-agent-18e")
    for path in ("panneau/", f"voir/?code={carnet.code}"):
        assert other.get(f"/guichet/{counter.pk}/carnet/{path}").status_code == 403
    assert other.post(f"/guichet/{counter.pk}/carnet/fiche/", {"status": "done"}).status_code == 403
    assert client.get(f"/guichet/{counter.pk}/carnet/panneau/").status_code == 302  # login
    # At their own counter, the 19e's carnet code finds nothing.
    own = Counter.objects.filter(site=paris18).first() or Counter.objects.create(
        site=paris18, name="Guichet 1")
    page = other.get(f"/guichet/{own.pk}/carnet/voir/", {"code": carnet.code}).content.decode()
    assert "Aucun carnet" in page


# -- expiry ------------------------------------------------------------------------------------


def test_the_nightly_purge_erases_expired_carnets_and_old_unkept_folders(client, counter,
                                                                          settings):
    from kiosk.server.carnet.models import Carnet, TicketFolder
    from kiosk.server.queueing.counter_actions import do_call_next, do_finish_current

    settings.CARNET_RETENTION_DAYS = 10
    old_ticket, old = kept(client, counter)
    _, fresh = kept(client, counter)
    unkept = issue(counter)
    for _ in range(3):
        do_call_next(counter)
    do_finish_current(counter)
    Carnet.objects.filter(pk=old.pk).update(used_at=timezone.now() - dt.timedelta(days=11))
    TicketFolder.objects.filter(ticket=unkept).update(
        created_at=timezone.now() - dt.timedelta(days=8))
    out = io.StringIO()
    call_command("purge_personal_data", stdout=out)
    assert list(Carnet.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not TicketFolder.objects.filter(ticket__in=[old_ticket, unkept]).exists()
    assert "1 expired carnets and 2 carnet procedures erased" in out.getvalue()


def test_a_deleted_ticket_takes_its_folder_and_leaves_the_carnet(client, counter):
    from kiosk.server.carnet.models import Carnet, TicketFolder

    first, carnet = kept(client, counter)
    second = issue(counter, typed=carnet.code)
    first.delete()
    assert list(TicketFolder.objects.values_list("ticket", flat=True)) == [second.pk]
    assert Carnet.objects.get().folders.count() == 1
