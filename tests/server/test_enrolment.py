"""One-time enrolment codes (kiosk/server/enrolment, POST /api/v1/enrol): an agent of a site
creates a code in the back-office, a new kiosk spends it once for its token."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from tests.server.test_site_permissions import make_agent

pytestmark = pytest.mark.django_db

CODE_RE = re.compile(r"\b[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){3}\b")


@pytest.fixture(autouse=True)
def static_root(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()


def post(client, path: str, data: dict, **kw):
    return client.post(f"/api/v1{path}", json.dumps(data), content_type="application/json", **kw)


def new_code(site, hours=24, kiosk_name="", now=None):
    from kiosk.server.enrolment.services import create_code

    return create_code(site, None, kiosk_name=kiosk_name, hours=hours, now=now)


# -- the code itself -----------------------------------------------------------------------

def test_codes_are_four_groups_of_four_and_typing_is_forgiving():
    from kiosk.server.enrolment.services import EnrolmentError, new_code, normalise

    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(CODE_RE.fullmatch(c) for c in codes)
    code = "7K2M-Q9XD-4TNA-H3RB"
    assert normalise(" 7k2m q9xd-4tna h3rb ") == "7K2MQ9XD4TNAH3RB"
    assert normalise("7K2M-Q9XD-4TNA-H3RB".replace("0", "O")) == normalise(code)
    assert normalise("IL00-0000-0000-0000") == "1100000000000000"  # I, L read as 1; O as 0
    for bad in ("", "7K2M-Q9XD-4TNA", "7K2M-Q9XD-4TNA-H3RBX", "7K2M-Q9XD-4TNA-H3R!", "UUUU" * 4):
        with pytest.raises(EnrolmentError) as refused:
            normalise(bad)
        assert refused.value.reason == "malformed"


def test_only_a_hash_of_the_code_is_stored_and_the_creation_is_audited(demo):
    from kiosk.server.audit.models import AuditEntry
    from kiosk.server.enrolment.models import EnrolmentCode

    code, clear = new_code(demo, kiosk_name="Hall d'entrée")
    stored = EnrolmentCode.objects.get(pk=code.pk)
    raw = clear.replace("-", "")
    assert raw not in json.dumps([getattr(stored, f.attname) for f in stored._meta.fields],
                                 default=str)
    assert stored.code_hint == raw[:4]
    assert stored.expires_at - stored.created_at == pytest.approx(dt.timedelta(hours=24),
                                                                 abs=dt.timedelta(seconds=5))
    entry = AuditEntry.objects.get(model="enrolment.enrolmentcode", object_id=str(code.pk))
    assert entry.action == "created" and entry.site_id == demo.pk
    assert raw not in json.dumps(entry.changes) and entry.changes["kiosk_name"] == "Hall d'entrée"


# -- POST /api/v1/enrol ----------------------------------------------------------------------

def test_enrol_creates_the_kiosk_of_the_codes_site_and_returns_a_working_token(demo, client):
    from kiosk.server.audit.models import AuditEntry
    from kiosk.server.devices.models import Kiosk
    from kiosk.server.enrolment.models import EnrolmentCode

    code, clear = new_code(demo, kiosk_name="Salle des mariages")
    before = Kiosk.objects.count()
    r = post(client, "/enrol", {"code": clear.lower(), "hostname": "borne-hall"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["site"] == {"slug": "paris-19", "name": demo.name}
    assert body["kiosk"]["name"] == "Salle des mariages"
    assert body["time_zone"] == "Europe/Paris" and body["protocol"] == 1
    assert body["server_url"] == "http://testserver"
    assert Kiosk.objects.count() == before + 1
    kiosk = Kiosk.objects.get(pk=body["kiosk"]["id"])
    assert kiosk.site == demo and kiosk.active
    assert Kiosk.objects.authenticate(body["token"]) == kiosk
    # The token opens the kiosk's API at once.
    content = client.get("/api/v1/content", headers={"Authorization": f"Bearer {body['token']}"})
    assert content.status_code == 200
    spent = EnrolmentCode.objects.get(pk=code.pk)
    assert spent.state() == "used" and spent.kiosk == kiosk and spent.hostname == "borne-hall"
    assert spent.used_from == "127.0.0.1"
    entry = AuditEntry.objects.get(model="devices.kiosk", object_id=str(kiosk.pk))
    assert entry.action == "created" and entry.site_id == demo.pk and entry.user is None
    assert entry.changes["via"] == f"code {code.code_hint}-…"
    assert body["token"] not in json.dumps(list(AuditEntry.objects.values("changes")))


def test_the_host_name_names_the_kiosk_and_never_takes_over_an_existing_one(demo, client):
    from kiosk.server.devices.models import Kiosk

    existing, old_token = Kiosk.objects.register(demo, "borne-hall")
    names = []
    for _ in range(2):
        _, clear = new_code(demo)
        r = post(client, "/enrol", {"code": clear, "hostname": "borne-hall"})
        assert r.status_code == 201
        names.append(r.json()["kiosk"]["name"])
    assert names == ["borne-hall (2)", "borne-hall (3)"]
    assert Kiosk.objects.authenticate(old_token) == existing  # not re-keyed


def test_a_code_is_spent_once(demo, client):
    from kiosk.server.devices.models import Kiosk

    _, clear = new_code(demo)
    assert post(client, "/enrol", {"code": clear, "hostname": "a"}).status_code == 201
    count = Kiosk.objects.count()
    again = post(client, "/enrol", {"code": clear, "hostname": "b"})
    assert again.status_code == 409
    assert again.json()["reason"] == "used" and "already used" in again.json()["detail"]
    assert Kiosk.objects.count() == count
    assert post(client, "/enrol/check", {"code": clear}).json()["reason"] == "used"


def test_an_expired_code_is_refused(demo, client):
    from kiosk.server.devices.models import Kiosk

    _, clear = new_code(demo, hours=1, now=timezone.now() - dt.timedelta(hours=1, seconds=1))
    count = Kiosk.objects.count()
    r = post(client, "/enrol", {"code": clear, "hostname": "a"})
    assert r.status_code == 410 and r.json()["reason"] == "expired"
    assert "expired" in r.json()["detail"]
    assert Kiosk.objects.count() == count
    _, fresh = new_code(demo, hours=1, now=timezone.now() - dt.timedelta(minutes=59))
    assert post(client, "/enrol", {"code": fresh, "hostname": "b"}).status_code == 201


def test_unknown_malformed_and_revoked_codes_are_clear_errors(demo, client):
    from kiosk.server.enrolment.services import new_code as random_code
    from kiosk.server.enrolment.services import revoke

    r = post(client, "/enrol", {"code": random_code(), "hostname": "a"})
    assert r.status_code == 404 and r.json()["reason"] == "unknown"
    r = post(client, "/enrol", {"code": "1234", "hostname": "a"})
    assert r.status_code == 422 and r.json()["reason"] == "malformed"
    code, clear = new_code(demo)
    assert revoke(code, None) is True
    assert revoke(code, None) is False
    r = post(client, "/enrol", {"code": clear, "hostname": "a"})
    assert r.status_code == 410 and r.json()["reason"] == "revoked"


def test_check_says_which_site_and_spends_nothing(demo, client):
    code, clear = new_code(demo, kiosk_name="Accueil")
    for _ in range(2):
        r = post(client, "/enrol/check", {"code": clear})
        assert r.status_code == 200
        assert r.json()["site"]["slug"] == "paris-19" and r.json()["kiosk_name"] == "Accueil"
    code.refresh_from_db()
    assert code.state() == "valid"
    assert post(client, "/enrol", {"code": clear}).status_code == 201


def test_enrolment_is_rate_limited_per_address(demo, settings):
    settings.RATELIMIT_ENABLED = True
    settings.RATELIMITS = {**settings.RATELIMITS, "enrol": "3/h"}
    cache.clear()
    from kiosk.server.enrolment.services import new_code as random_code

    one, other = Client(REMOTE_ADDR="192.0.2.10"), Client(REMOTE_ADDR="192.0.2.11")
    statuses = [post(one, "/enrol", {"code": random_code()}).status_code for _ in range(3)]
    assert statuses == [404, 404, 404]
    _, clear = new_code(demo)
    limited = post(one, "/enrol/check", {"code": clear})  # check and enrol share the limit
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert post(one, "/enrol", {"code": clear}).status_code == 429
    assert post(other, "/enrol", {"code": clear}).status_code == 201  # another address
    cache.clear()


def test_the_enrolment_endpoints_need_no_token_and_are_documented(demo, client):
    schema = client.get("/api/v1/openapi.json").json()
    for path in ("/api/v1/enrol", "/api/v1/enrol/check"):
        operation = schema["paths"][path]["post"]
        assert not operation.get("security")
        assert {"404", "409", "410", "422", "429"} <= set(operation["responses"])


# -- the back-office ---------------------------------------------------------------------------

ADD = "/admin/enrolment/enrolmentcode/add/"
LIST = "/admin/enrolment/enrolmentcode/"


def test_a_site_admin_creates_a_code_for_their_site_and_sees_it_once(demo, paris18):
    from kiosk.server.enrolment.models import EnrolmentCode

    admin19 = make_agent("admin19", demo, "admin")
    client = Client()
    client.force_login(admin19)
    form = client.get(ADD)
    assert form.status_code == 200
    offered = re.findall(r'<option value="(\d+)"', form.content.decode())
    assert offered == [str(demo.pk)]  # only their site
    r = client.post(ADD, {"site": demo.pk, "kiosk_name": "Hall", "hours": 48})
    assert r.status_code == 200 and "no-store" in r["Cache-Control"]
    page = r.content.decode()
    clear = CODE_RE.search(page).group(0)
    assert 'class="qr"' in page and f"--code {clear}" in page
    code = EnrolmentCode.objects.get()
    assert code.site == demo and code.created_by == admin19 and code.kiosk_name == "Hall"
    assert code.expires_at - code.created_at == pytest.approx(dt.timedelta(hours=48),
                                                             abs=dt.timedelta(seconds=5))
    listing = client.get(LIST).content.decode()
    assert f"{code.code_hint}-…" in listing and clear not in listing  # never shown again
    assert clear not in client.get(f"{LIST}{code.pk}/change/").content.decode()
    assert post(Client(), "/enrol", {"code": clear}).status_code == 201


def test_agents_create_codes_only_for_sites_they_administer(demo, paris18):
    from kiosk.server.enrolment.models import EnrolmentCode

    admin19 = make_agent("admin19", demo, "admin")
    editor19 = make_agent("editor19", demo, "editor")
    client = Client()
    client.force_login(admin19)
    forged = client.post(ADD, {"site": paris18.pk, "kiosk_name": "", "hours": 24})
    assert forged.status_code == 200 and "enrolment-code" not in forged.content.decode()
    assert not EnrolmentCode.objects.exists()
    code18, _ = new_code(paris18)
    assert client.get(f"{LIST}{code18.pk}/change/").status_code in (302, 403, 404)
    assert f"{code18.code_hint}-…" not in client.get(LIST).content.decode()
    # An editor (or a counter agent) of the site: no codes at all.
    client.force_login(editor19)
    assert client.get(ADD).status_code == 403
    assert client.post(ADD, {"site": demo.pk, "hours": 24}).status_code == 403
    assert not EnrolmentCode.objects.filter(site=demo).exists()


def test_a_site_admin_revokes_an_unused_code_of_their_site(demo, paris18):
    from kiosk.server.audit.models import AuditEntry
    from kiosk.server.enrolment.models import EnrolmentCode

    admin19 = make_agent("admin19", demo, "admin")
    client = Client()
    client.force_login(admin19)
    code, clear = new_code(demo)
    r = client.post(LIST, {"action": "revoke_codes", "_selected_action": [code.pk]})
    assert r.status_code == 302
    assert EnrolmentCode.objects.get(pk=code.pk).state() == "revoked"
    assert AuditEntry.objects.filter(model="enrolment.enrolmentcode", action="changed",
                                     username="admin19").exists()
    assert post(client, "/enrol", {"code": clear}).json()["reason"] == "revoked"
