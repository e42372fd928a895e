"""The service page a phone opens from the kiosk's "continue on your phone" QR code."""

from __future__ import annotations

import pytest

from kiosk.domain.documents import resolve
from tests.conftest import demo_data

pytestmark = pytest.mark.django_db


def demo_service(ticketing=True) -> dict:
    return next(s for s in demo_data()["services"] if s.get("ticketing", True) == ticketing)


def test_the_page_shows_place_hours_and_documents_in_french(client, demo):
    service = demo_service()
    response = client.get(f"/s/{service['id']}?site=paris-19")
    assert response.status_code == 200
    page = response.content.decode()
    assert service["name"]["fr"] in page
    assert service["place"]["fr"] in page
    for document in service["documents"]:  # vocabulary keys read as their French names
        assert resolve(document).shown()["fr"] in page
    assert page.count("<tr") == 7  # the whole week
    assert 'data-testid="wait"' in page


def test_the_page_follows_the_visitor_language_with_french_fallback(client, demo):
    service = demo_service()
    page = client.get(f"/s/{service['id']}?lang=ar&site=paris-19").content.decode()
    assert 'dir="rtl"' in page and 'lang="ar"' in page
    assert service["name"].get("ar", service["name"]["fr"]) in page
    assert "الوثائق المطلوبة" in page
    wo = client.get(f"/s/{service['id']}?lang=wo&site=paris-19").content.decode()
    assert (service["name"].get("wo") or service["name"]["fr"]) in wo


def test_an_appointment_only_service_says_so_and_shows_no_wait(client, demo):
    service = demo_service(ticketing=False)
    page = client.get(f"/s/{service['id']}?site=paris-19").content.decode()
    assert "Sur rendez-vous uniquement." in page
    assert 'data-testid="wait"' not in page


@pytest.mark.parametrize("slug", ["inconnu", "naissance-x"])
def test_an_unknown_service_is_404(client, demo, slug):
    assert client.get(f"/s/{slug}").status_code == 404


def test_the_page_holds_no_personal_data_and_needs_no_login(client, demo):
    response = client.get(f"/s/{demo_service()['id']}?site=paris-19")
    assert response.status_code == 200
    assert "csrfmiddlewaretoken" not in response.content.decode()
