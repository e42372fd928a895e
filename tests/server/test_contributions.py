"""Residents' proposals: the phone form /proposer, the kiosk API POST /api/v1/contributions,
their moderation in the back-office, and the erasure of the residents' contacts."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone

from tests.server.test_situations_places import delta, items

pytestmark = pytest.mark.django_db

URL = "/proposer?lang=fr&site=paris-19"


def offers():
    from kiosk.server.content.models import Offer

    return Offer.objects.filter(contributed=True)


def form(**fields) -> dict:
    data = {"title": "Troc de graines", "category": "swap",
            "description": "Apportez vos graines, repartez avec d'autres.",
            "date": (timezone.localdate() + dt.timedelta(days=10)).isoformat(),
            "time": "14:30", "where": "Jardin partagé, rue de Meaux", "contact": "",
            "website": ""}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def staff(username, site=None, role=None, superuser=False):
    from kiosk.server.accounts.models import SiteMembership

    user = get_user_model().objects.create_user(username, password="x", is_staff=True,
                                                is_superuser=superuser)
    if site is not None:
        SiteMembership.objects.create(user=user, site=site, role=role)
    return user


# -- the phone form ------------------------------------------------------------------------


def test_the_form_shows_every_field_and_the_privacy_notice(client, demo):
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("title", "category", "description", "date", "time", "where", "contact",
                 "contact_consent", "website", "csrfmiddlewaretoken"):
        assert f'name="{name}"' in html
    for field in ("f-title", "f-category", "f-description", "f-date", "f-time", "f-where",
                  "f-contact", "f-consent"):
        assert f'for="{field}"' in html  # every field has its label
    assert "Vos données" in html and "effacé quand la proposition est refusée" in html
    assert "<script" not in html
    english = client.get("/proposer?lang=en&site=paris-19").content.decode()
    assert "Your data" in english and "Send my proposal" in english
    wolof = client.get("/proposer?lang=wo&site=paris-19").content.decode()  # the kiosk's QR: ?lang=wo
    assert '<html lang="wo"' in wolof and "Yónnee sama digle" in wolof
    assert "Envoyer ma proposition" not in wolof


def test_a_proposal_waits_for_a_moderator_and_never_reaches_the_kiosks(client, api, demo):
    cursor = api.get("/content").json()["cursor"]
    response = client.post(URL, form(contact="voisin@example.org", contact_consent="on"))
    assert response.status_code == 302 and "merci=1" in response["Location"]
    assert "Merci" in client.get(response["Location"]).content.decode()
    offer = offers().get()
    assert (offer.status, offer.published, offer.source, offer.category) == (
        "pending", False, "local", "swap")
    assert offer.slug.startswith("proposition-") and len(offer.slug) == len("proposition-") + 8
    assert offer.pictogram == "offer-swap"
    assert offer.title == {"fr": "Troc de graines"}
    assert offer.starts == offer.ends == timezone.localdate() + dt.timedelta(days=10)
    assert offer.time == dt.time(14, 30)
    assert (offer.contact, offer.contact_consent) == ("voisin@example.org", True)
    assert offer.submitted_at is not None
    assert offer.slug not in items(delta(api, cursor), "offer")
    assert offer.slug not in items(api.get("/content").json(), "offer")
    # Not even a deletion: a pending proposal costs the kiosks no delta at all.
    assert api.get("/content").json()["cursor"] == cursor
    assert client.get(f"/o/{offer.slug}").status_code == 404  # no public page either


def test_approving_publishes_and_rejecting_never_does(client, api, demo):
    from kiosk.server.content.contributions import ContributionError, approve, reject

    client.post(URL, form(title="Soupe partagée", category="food"))
    client.post(URL, form(title="Vente de pneus", category="event", contact="06 12",
                          contact_consent="on"))
    soup, tyres = offers().get(title__fr="Soupe partagée"), offers().get(title__fr="Vente de pneus")
    assert soup.pictogram == "offer-basket" and tyres.pictogram == "offer-event"
    cursor = api.get("/content").json()["cursor"]
    moderator = staff("modo", demo, "moderator")

    approve(soup, moderator)
    soup.refresh_from_db()
    assert (soup.status, soup.published, soup.moderated_by) == ("approved", True, moderator)
    body = delta(api, cursor)
    assert set(items(body, "offer")) == {soup.slug}
    assert items(body, "offer")[soup.slug]["title"] == {"fr": "Soupe partagée"}

    with pytest.raises(ContributionError):
        reject(tyres, moderator, "   ")  # a reason is required
    tyres.refresh_from_db()
    assert tyres.status == "pending"
    reject(tyres, moderator, "Vente commerciale")
    tyres.refresh_from_db()
    assert (tyres.status, tyres.published, tyres.reject_reason) == (
        "rejected", False, "Vente commerciale")
    assert tyres.contact == ""  # erased at once
    with pytest.raises(ContributionError):
        approve(tyres, moderator)  # already moderated
    assert tyres.slug not in items(api.get("/content").json(), "offer")


def test_a_pending_offer_cannot_be_published_by_hand(demo, client):
    from django.core.exceptions import ValidationError

    client.post(URL, form())
    offer = offers().get()
    offer.published = True
    with pytest.raises(ValidationError):
        offer.full_clean()


def test_html_is_stored_as_text_and_escaped_everywhere(client, demo):
    from kiosk.server.content.contributions import approve

    title = '<script>alert("x")</script><b>Fête</b>'
    client.post(URL, form(title=title, description="a\x00b\x1b<i>c</i>\u202ed",
                          where="<img src=x onerror=alert(1)>"))
    offer = offers().get()
    assert offer.title == {"fr": title}  # plain text, as typed
    assert offer.summary == {"fr": "ab<i>c</i>d"}  # control and bidi characters gone
    root = staff("root", superuser=True)
    client.force_login(root)
    listing = client.get("/admin/content/pendingoffer/").content.decode()
    assert "&lt;script&gt;alert(" in listing and "<script>alert(" not in listing
    page = client.get(f"/admin/content/pendingoffer/{offer.pk}/change/").content.decode()
    assert "&lt;b&gt;Fête&lt;/b&gt;" in page and "<b>Fête</b>" not in page
    assert "onerror=alert(1)>" not in page
    client.logout()
    approve(offer, root)
    public = client.get(f"/o/{offer.slug}").content.decode()
    assert "&lt;script&gt;alert(" in public and "<script>alert(" not in public
    assert "<img src=x" not in public


@pytest.mark.parametrize("fields, field, text", [
    ({"title": ""}, "title", "Donnez un titre"),
    ({"title": "x" * 81}, "title", "au plus 80 caractères"),
    ({"description": "x" * 501}, "description", "au plus 500 caractères"),
    ({"where": "x" * 121}, "where", "au plus 120 caractères"),
    ({"category": "civic"}, "category", "Choisissez un type"),
    ({"date": "2020-01-01"}, "date", "déjà passée"),
    ({"date": "31/12/2026"}, "date", "pas valide"),
    ({"date": (dt.date.today() + dt.timedelta(days=400)).isoformat()}, "date",
     "année qui vient"),
    ({"time": "25:00"}, "time", "18:30"),
    ({"contact": "me@example.org"}, "contact_consent", "Cochez la case"),
    ({"contact": "x" * 121, "contact_consent": "on"}, "contact", "au plus 120"),
])
def test_bad_input_gives_errors_next_to_the_fields_and_creates_nothing(
        client, demo, fields, field, text):
    response = client.post(URL, form(**fields))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-testid="error-{field}"' in html and text in html
    assert "est pas partie" in html
    assert not offers().exists()


def test_errors_are_in_english_with_lang_en(client, demo):
    html = client.post("/proposer?lang=en&site=paris-19", form(title="")).content.decode()
    assert "Give your offer a title." in html


def test_the_honeypot_drops_the_proposal_silently(client, demo):
    response = client.post(URL, form(website="http://spam.example"))
    assert response.status_code == 302
    assert not offers().exists()


def test_the_form_needs_its_csrf_token(demo):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(URL, form())
    assert response.status_code == 403
    assert not offers().exists()


def test_the_site_is_chosen_by_the_query_when_there_are_several(client, demo):
    from kiosk.server.content.models import Site

    Site.objects.create(slug="paris-20", name="Mairie du 20e")
    choice = client.get("/proposer?lang=en")  # an old QR code, without the site
    assert choice.status_code == 300  # which town hall? (never a bare 404)
    for site in Site.objects.all():
        assert f'href="/proposer?site={site.slug}&amp;lang=en"' in choice.content.decode()
    assert client.get("/proposer?site=paris-99").status_code == 404
    assert client.get("/proposer?lang=fr&site=paris-20").status_code == 200
    client.post("/proposer?lang=fr&site=paris-20", form())
    assert offers().get().site.slug == "paris-20"


def test_the_form_is_rate_limited_per_ip(client, demo, settings):
    settings.RATELIMIT_ENABLED = True
    settings.RATELIMITS = {**settings.RATELIMITS, "propose": "3/h"}
    cache.clear()
    try:
        codes = [client.post(URL, form(title=f"Offre {i}")).status_code for i in range(4)]
        assert codes == [302, 302, 302, 429]
        assert offers().count() == 3
        assert client.get(URL).status_code == 200  # showing the form is free
    finally:
        cache.clear()


# -- the kiosk API ------------------------------------------------------------------------


def test_the_api_takes_a_contribution_once_per_idempotency_key(api, demo):
    key = uuid.uuid4()
    body = {"title": "Repair café", "category": "help", "where": "Centre social",
            "date": (timezone.localdate() + dt.timedelta(days=3)).isoformat(), "time": "10:00"}
    first = api.post("/contributions", body, key=key)
    assert first.status_code == 201, first.content
    assert first.json()["status"] == "pending"
    again = api.post("/contributions", body, key=key)
    assert again.status_code == 200 and again.json() == first.json()
    assert offers().count() == 1
    offer = offers().get()
    assert (offer.slug, offer.published, offer.pictogram) == (
        first.json()["id"], False, "quartier")
    assert offer.idempotency_key == key
    assert api.post("/contributions", body, key=uuid.uuid4()).status_code == 201
    assert offers().count() == 2


def test_the_api_refuses_bad_contributions(api, demo):
    bad = api.post("/contributions", {"title": "x" * 81, "category": "help"}, key=uuid.uuid4())
    assert bad.status_code == 422 and "80" in bad.json()["detail"]
    assert api.post("/contributions", {"title": "Troc", "category": "civic"},
                    key=uuid.uuid4()).status_code == 422
    assert api.post("/contributions", {"title": "Troc", "category": "swap",
                                       "contact": "06"}, key=uuid.uuid4()).status_code == 422
    assert api.post("/contributions", {"title": "Troc", "category": "swap"}).status_code == 422
    assert not offers().exists()


def test_the_api_is_for_kiosks_only_and_rate_limited(client, api, demo, settings):
    response = client.post("/api/v1/contributions", {"title": "Troc", "category": "swap"},
                           content_type="application/json",
                           headers={"Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 401
    settings.RATELIMIT_ENABLED = True
    settings.RATELIMITS = {**settings.RATELIMITS, "contributions": "2/h"}
    cache.clear()
    try:
        codes = [api.post("/contributions", {"title": f"Troc {i}", "category": "swap"},
                          key=uuid.uuid4()).status_code for i in range(3)]
        assert codes == [201, 201, 429]
    finally:
        cache.clear()


# -- moderation in the back-office ---------------------------------------------------------


def test_a_moderator_approves_and_refuses_in_the_back_office(client, api, demo):
    client.post(URL, form(title="Atelier vélo", category="help"))
    client.post(URL, form(title="Concert privé", category="culture"))
    bike = offers().get(title__fr="Atelier vélo")
    gig = offers().get(title__fr="Concert privé")
    cursor = api.get("/content").json()["cursor"]
    client.force_login(staff("modo", demo, "moderator"))
    listing = client.get("/admin/content/pendingoffer/")
    assert listing.status_code == 200
    assert "Atelier vélo" in listing.content.decode()

    page = client.get(f"/admin/content/pendingoffer/{bike.pk}/change/")
    assert page.status_code == 200 and "Motif du refus" in page.content.decode()
    done = client.post(f"/admin/content/pendingoffer/{bike.pk}/change/", {"decision": "approve"})
    assert done.status_code == 302
    assert set(items(delta(api, cursor), "offer")) == {bike.slug}

    no_reason = client.post(f"/admin/content/pendingoffer/{gig.pk}/change/",
                            {"decision": "reject", "reason": ""})
    assert no_reason.status_code == 200 and "Indiquez le motif" in no_reason.content.decode()
    gig.refresh_from_db()
    assert gig.status == "pending"
    # The list action asks the reason on an intermediate page, then refuses.
    ask = client.post("/admin/content/pendingoffer/",
                      {"action": "reject_selected", "_selected_action": [gig.pk]})
    assert ask.status_code == 200 and "Motif du refus" in ask.content.decode()
    refused = client.post("/admin/content/pendingoffer/", {
        "action": "reject_selected", "_selected_action": [gig.pk], "apply": "Refuser",
        "reason": "Pas ouvert au public"})
    assert refused.status_code == 302
    gig.refresh_from_db()
    assert (gig.status, gig.published, gig.reject_reason) == (
        "rejected", False, "Pas ouvert au public")
    assert "Concert privé" not in client.get("/admin/content/pendingoffer/").content.decode()


def test_the_approve_action_on_the_list(client, demo):
    client.post(URL, form(title="Pique-nique"))
    offer = offers().get()
    client.force_login(staff("chef", demo, "admin"))
    response = client.post("/admin/content/pendingoffer/",
                           {"action": "approve_selected", "_selected_action": [offer.pk]})
    assert response.status_code == 302
    offer.refresh_from_db()
    assert (offer.status, offer.published) == ("approved", True)


def test_other_sites_and_other_roles_see_nothing(client, demo):
    from kiosk.server.content.models import Site

    client.post(URL, form(title="Troc du 19e"))
    offer = offers().get()
    other = Site.objects.create(slug="paris-20", name="Mairie du 20e")
    client.force_login(staff("modo20", other, "moderator"))
    assert "Troc du 19e" not in client.get("/admin/content/pendingoffer/").content.decode()
    assert client.get(f"/admin/content/pendingoffer/{offer.pk}/change/").status_code in (403, 404)
    response = client.post(f"/admin/content/pendingoffer/{offer.pk}/change/",
                           {"decision": "approve"})
    assert response.status_code in (403, 404)
    client.post("/admin/content/pendingoffer/",
                {"action": "approve_selected", "_selected_action": [offer.pk]})
    offer.refresh_from_db()
    assert (offer.status, offer.published) == ("pending", False)

    client.force_login(staff("guichet", demo, "counter"))
    assert client.get("/admin/content/pendingoffer/").status_code == 403
    assert client.get(f"/admin/content/pendingoffer/{offer.pk}/change/").status_code in (403, 404)


# -- personal data -------------------------------------------------------------------------


def test_purge_contacts_erases_rejected_and_ended_offers_contacts(client, demo):
    from django.core.management import call_command

    from kiosk.server.content.contributions import purge_contacts
    from kiosk.server.content.models import Offer

    for title in ("Refusée", "Terminée", "À venir", "En attente"):
        client.post(URL, form(title=title, contact="voisin@example.org", contact_consent="on"))
    by_title = {o.title["fr"]: o for o in offers()}
    # Rejected by some other path (or before this feature): the purge still erases it.
    Offer.objects.filter(pk=by_title["Refusée"].pk).update(status="rejected")
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    Offer.objects.filter(pk=by_title["Terminée"].pk).update(
        status="approved", starts=yesterday, ends=yesterday)
    assert purge_contacts(timezone.localdate()) == 2
    contacts = {o.title["fr"]: o.contact for o in offers()}
    assert contacts == {"Refusée": "", "Terminée": "", "À venir": "voisin@example.org",
                        "En attente": "voisin@example.org"}
    # The nightly purge command runs it too.
    Offer.objects.filter(pk=by_title["À venir"].pk).update(ends=yesterday)
    call_command("purge_personal_data", stdout=__import__("io").StringIO())
    assert offers().get(pk=by_title["À venir"].pk).contact == ""
