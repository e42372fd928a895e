"""Remote updates on the server: agents upload a release and choose targets in the
back-office; kiosks learn theirs in the heartbeat answer (staged: the pilot first, the site
once the pilot confirmed); the fleet page shows version, target and update state."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from kiosk.release.bundle import build_bundle, generate_key, load_private_key
from tests.support.standin import make_wheel

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def data_dirs(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()


@pytest.fixture
def root_client(demo):
    user = get_user_model().objects.create_superuser("root", password="pw-root-updates")
    client = Client()
    client.force_login(user)
    return client


def bundle(tmp_path, version: str):
    key = load_private_key(generate_key()[0])
    wheel = make_wheel(tmp_path / f"w{version}", version)
    return build_bundle(tmp_path / f"{version}.tar", version, f"carrefour_standin=={version}",
                        [wheel], key)


def upload(client, path) -> None:
    with open(path, "rb") as fh:
        response = client.post("/admin/devices/release/add/", {"bundle": fh, "notes": "test"})
    assert response.status_code == 302, response.content.decode()[:2000]


def beat(api, version, state=""):
    response = api.post("/heartbeat", {"version": version, "outbox_depth": 0,
                                       "update_state": state, "update_version": version})
    assert response.status_code == 200, response.content
    return response.json()["update"]


def other_kiosk_api(client, demo):
    from kiosk.server.devices.models import Kiosk

    _, token = Kiosk.objects.register(demo, "Salle d'attente")

    class Other:
        def post(self, path, data):
            import json

            return client.post(f"/api/v1{path}", json.dumps(data), content_type="application/json",
                               headers={"Authorization": f"Bearer {token}"})
    return Other()


def fleet_row(client, name):
    state = client.get("/flotte/paris-19/etat.json").json()
    return next(k for k in state["kiosks"] if k["name"] == name), state


def test_staged_rollout_from_the_back_office_to_the_heartbeat_and_the_fleet_page(
        root_client, api, client, demo, tmp_path):
    from kiosk.server.devices.models import Kiosk, Release

    upload(root_client, bundle(tmp_path, "2.0"))
    release = Release.objects.get(version="2.0")
    data = (tmp_path / "2.0.tar").read_bytes()
    assert (release.sha256, release.size) == (hashlib.sha256(data).hexdigest(), len(data))

    pilot = Kiosk.objects.get(name="Borne de test")
    other = other_kiosk_api(client, demo)
    assert beat(api, "1.0") is None and beat(other, "1.0") is None  # no target yet

    response = root_client.post("/admin/devices/siterollout/add/", {
        "site": demo.pk, "release": release.pk, "pilot": pilot.pk})
    assert response.status_code == 302, response.content.decode()[:2000]

    offer = beat(api, "1.0", "")
    assert offer == {"version": "2.0", "url": f"/api/v1/releases/{release.sha256}",
                     "sha256": release.sha256, "size": release.size}
    assert beat(other, "1.0") is None  # waits for the pilot
    # The bundle, by hash, for kiosks only.
    got = api.get(offer["url"].removeprefix("/api/v1"))
    assert got.status_code == 200 and b"".join(got.streaming_content) == data
    assert client.get(offer["url"]).status_code == 401
    assert api.get("/releases/" + "0" * 64).status_code == 404

    beat(api, "1.0", "waiting_quiet")
    row, state = fleet_row(root_client, "Borne de test")
    assert (row["version"], row["update"]["target_version"], row["update"]["state"]) == (
        "1.0", "2.0", "waiting_quiet")
    assert fleet_row(root_client, "Salle d'attente")[0]["update"]["target_version"] is None
    assert state["rollout"] == {"version": "2.0", "pilot": "Borne de test",
                                "pilot_confirmed": False}

    beat(api, "2.0", "switched")  # on probation: not yet
    assert beat(other, "1.0") is None
    beat(api, "2.0", "confirmed")
    assert beat(other, "1.0")["version"] == "2.0"  # the site follows
    html = root_client.get("/flotte/paris-19/").content.decode()
    assert re.search(r'data-state="confirmed">En service</span> <code>2.0</code>', html)
    assert "confirmée : toutes les bornes suivent" in html


def test_a_refused_update_is_shown_as_a_failure(root_client, api, demo, tmp_path):
    from kiosk.server.devices.models import Kiosk, Release

    upload(root_client, bundle(tmp_path, "3.0"))
    kiosk = Kiosk.objects.get(name="Borne de test")
    kiosk.target_release = Release.objects.get(version="3.0")  # this kiosk alone
    kiosk.save()
    assert beat(api, "2.0")["version"] == "3.0"
    response = api.post("/heartbeat", {"version": "2.0", "update_state": "bad_signature",
                                       "update_version": "3.0",
                                       "update_detail": "signature does not match"})
    assert response.status_code == 200
    row, state = fleet_row(root_client, "Borne de test")
    assert row["update"]["failed"] and row["update"]["detail"] == "signature does not match"
    assert state["counts"]["update_failures"] == 1
    html = root_client.get("/flotte/paris-19/").content.decode()
    assert "Refusée : signature invalide" in html


def test_a_heartbeat_with_an_unknown_update_state_is_refused(api):
    response = api.post("/heartbeat", {"version": "1", "update_state": "pwned"})
    assert response.status_code == 422


def test_the_same_version_with_other_bytes_is_refused(root_client, tmp_path):
    upload(root_client, bundle(tmp_path / "a", "4.0"))
    with open(bundle(tmp_path / "b", "4.0"), "rb") as fh:
        response = root_client.post("/admin/devices/release/add/", {"bundle": fh})
    assert response.status_code == 200 and "existe déjà" in response.content.decode()


def test_not_a_bundle_is_refused(root_client, tmp_path):
    (tmp_path / "x.tar").write_bytes(b"not a tar")
    with open(tmp_path / "x.tar", "rb") as fh:
        response = root_client.post("/admin/devices/release/add/", {"bundle": fh})
    assert response.status_code == 200 and "pas une version de la borne" in response.content.decode()
