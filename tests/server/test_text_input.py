"""Bad text never costs a 5xx (on PostgreSQL too: NUL cannot be stored there) and never
reaches an agent's screen as a trap: the API schemas, the back-office forms and the
request guard (kiosk/domain/text_input.py, kiosk/server/clean_forms.py,
kiosk/server/input_guard.py)."""

from __future__ import annotations

import json
import uuid
from html.parser import HTMLParser

import pytest

pytestmark = pytest.mark.django_db

DEEP = "[" * 5000 + "]" * 5000


@pytest.fixture(autouse=True)
def static_root(settings, tmp_path):
    """whitenoise warns (an error here) when STATIC_ROOT does not exist: fresh checkouts."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()


# -- the API ------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "body"), [
    ("/tickets", {"service": "recensement\x00"}),
    ("/tickets", {"service": "recensement", "phone": "06\x0012345678", "sms_consent": True}),
    ("/leases", {"service": "recensement\x00"}),
    ("/assistance", {"note": "fauteuil\x00"}),
    ("/assistance", {"note": "a\x1b[2Jb"}),
    ("/contributions", {"title": "Troc\x00", "category": "swap"}),
    ("/contributions", {"title": "Troc", "category": "swap", "where": "\ud800"}),
])
def test_control_characters_are_a_clear_422(api, demo, path, body):
    response = api.post(path, body, key=uuid.uuid4())
    assert response.status_code == 422, response.content
    assert "detail" in response.json()


def test_a_note_with_a_bidi_override_reaches_the_console_in_reading_order(api, demo):
    from kiosk.server.assistance.models import AssistanceRequest

    response = api.post("/assistance", {"note": "\u202eruetaremmof\u200b"}, key=uuid.uuid4())
    assert response.status_code == 201
    assert AssistanceRequest.objects.get().note == "ruetaremmof"
    assert response.json()["note"] == "ruetaremmof"


def test_a_heartbeat_is_kept_with_its_texts_scrubbed(api, demo):
    from kiosk.server.devices.models import Kiosk

    response = api.post("/heartbeat", {
        "version": "2.1\x00", "cursor": "12\u202e", "outbox_depth": 0,
        "printer": {"state": "error", "detail": "jam\x00\u2066x"},
        "last_error": "ConnectionError:\nboom\x00"})
    assert response.status_code == 200
    kiosk = Kiosk.objects.get(name="Borne de test")
    assert (kiosk.version, kiosk.content_cursor) == ("2.1", "12")
    assert (kiosk.printer_detail, kiosk.last_error) == ("jam x", "ConnectionError: boom")


def test_legitimate_scripts_pass_untouched(api, demo):
    note = "كرسي متحرك · 轮椅 · ɛ ɔ ɲ ŋ · 👩‍👧"
    response = api.post("/assistance", {"note": note}, key=uuid.uuid4())
    assert response.status_code == 201 and response.json()["note"] == note


def test_json_nested_5000_deep_is_a_400(api, demo, client, kiosk_token):
    response = client.post("/api/v1/assistance", DEEP, content_type="application/json",
                           headers={"Authorization": f"Bearer {kiosk_token}",
                                    "Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 400


def test_a_nul_in_a_query_or_a_cookie_is_a_400(api, demo, client):
    assert api.get("/content", data={"since": "1\x00"}).status_code == 400
    assert client.get("/admin/content/service/", {"q": "a\x00"}).status_code == 400
    client.cookies["sessionid"] = "abc\x00"
    assert client.get("/connexion/").status_code == 400


# -- the back-office ----------------------------------------------------------------------

class FormReader(HTMLParser):
    """The fields of the page's main form, as a browser would post them."""

    def __init__(self):
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "file", "button"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((name, a.get("value") or ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields.append((name, ""))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value") or ""))

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            name, text = self.fields[-1]
            self.fields[-1] = (name, text + data)


@pytest.fixture
def editor(client, demo, django_user_model):
    user = django_user_model.objects.create_superuser("chef", "chef@example.org", "pw-Chef-1!")
    client.force_login(user)
    return client


def change_service(editor, service, **changes):
    url = f"/admin/content/service/{service.pk}/change/"
    reader = FormReader()
    reader.feed(editor.get(url).content.decode())
    data: dict[str, list[str]] = {}
    for name, value in reader.fields:
        data.setdefault(name, []).append(value)
    for name, value in changes.items():
        data[name] = [value]
    data["_save"] = ["Enregistrer"]
    return editor.post(url, data)


def test_a_nul_in_a_back_office_field_is_removed_before_the_form_reads_it(editor, demo):
    from kiosk.server.content.models import Service

    service = Service.objects.filter(site=demo).first()
    response = change_service(editor, service, documents='[{"fr": "Pièce\x00 d\'identité"}]')
    assert response.status_code == 302
    service.refresh_from_db()
    assert service.documents == [{"fr": "Pièce d'identité"}]


def test_a_nul_escaped_in_json_is_a_form_error(editor, demo):
    from kiosk.server.content.models import Service

    service = Service.objects.filter(site=demo).first()
    before = service.documents
    response = change_service(editor, service, documents=json.dumps([{"fr": "Pièce\x00"}]))
    assert response.status_code == 200 and "contrôle refusé (control character NUL" in \
        response.content.decode()
    service.refresh_from_db()
    assert service.documents == before


def test_other_controls_and_deep_json_are_form_errors(editor, demo):
    from kiosk.server.content.models import Service

    service = Service.objects.filter(site=demo).first()
    hours_before = service.hours
    for changes in ({"hours": DEEP}, {"slug": "etat\x07civil"}):
        response = change_service(editor, service, **changes)
        assert response.status_code == 200, changes  # the form again, with its errors
        page = response.content.decode()
        assert "errornote" in page and ("imbriquée" in page or "contrôle" in page)
    service.refresh_from_db()
    assert service.hours == hours_before and "\x07" not in service.slug


def test_bidi_controls_are_removed_from_what_the_back_office_saves(editor, demo):
    from kiosk.server.content.models import Service

    service = Service.objects.filter(site=demo).first()
    response = change_service(editor, service, name_fr="\u202eÉtat civil\u200b")
    assert response.status_code == 302, response.content.decode()[:2000]
    service.refresh_from_db()
    assert service.name["fr"] == "État civil"
