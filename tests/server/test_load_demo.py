"""load_demo: loads the demo of the 19e, and a second run changes nothing."""

from __future__ import annotations

import copy
import io
import json

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import DEMO_FILE, demo_data

pytestmark = pytest.mark.django_db


def state() -> dict:
    from kiosk.server.content.models import ContentChange, ContentVersion

    return {
        "cursors": dict(ContentVersion.objects.values_list("site__slug", "seq")),
        "changes": ContentChange.objects.count(),
    }


def run(*args) -> str:
    out = io.StringIO()
    call_command("load_demo", *(args or ("--file", str(DEMO_FILE))), stdout=out)
    return out.getvalue()


def test_the_default_file_is_the_demo_of_the_19e():
    from kiosk.server.content.management.commands.load_demo import DEFAULT

    assert DEFAULT.resolve() == DEMO_FILE.resolve()


def test_the_command_loads_everything_the_file_lists():
    from django.contrib.auth import get_user_model

    from kiosk.server.accounts.models import SiteMembership
    from kiosk.server.content.models import Pole, Service, Site
    from kiosk.server.devices.models import Kiosk
    from kiosk.server.queueing.models import Counter

    data = demo_data()
    output = run()
    site = Site.objects.get(slug=data["site"]["id"])
    assert site.name == data["site"]["name"]
    assert Pole.objects.filter(site=site).count() == len(data["poles"])
    assert Service.objects.filter(site=site).count() == len(data["services"])
    assert Counter.objects.filter(site=site).count() == len(data.get("counters", []))
    assert f"{len(data['services'])} services" in output
    for agent in data.get("agents", []):
        user = get_user_model().objects.get(username=agent["username"])
        assert user.check_password(agent["password"])
        assert SiteMembership.objects.get(user=user, site=site).role == agent.get("role", "counter")
    for kiosk in data.get("kiosks", []):
        assert Kiosk.objects.authenticate(kiosk["token"]).site == site
    for counter in data.get("counters", []):
        obj = Counter.objects.get(site=site, name=counter["name"])
        assert set(obj.services.values_list("slug", flat=True)) == set(counter["services"])
        assert obj.is_open is counter.get("open", True)


def test_every_service_has_a_distinct_one_letter_prefix():
    from kiosk.server.content.models import Service

    run()
    prefixes = list(Service.objects.values_list("prefix", flat=True))
    assert all(len(p) == 1 and p.isupper() for p in prefixes)
    assert len(set(prefixes)) == len(prefixes)


def test_a_second_load_changes_no_cursor():
    run()
    before = state()
    assert before["cursors"] and all(seq > 0 for seq in before["cursors"].values())
    run()
    assert state() == before


def test_a_second_load_creates_no_duplicates():
    from django.contrib.auth import get_user_model

    from kiosk.server.devices.models import Kiosk
    from kiosk.server.queueing.models import Counter

    run()
    counts = (Counter.objects.count(), Kiosk.objects.count(), get_user_model().objects.count())
    run()
    assert (Counter.objects.count(), Kiosk.objects.count(),
            get_user_model().objects.count()) == counts


def test_a_changed_item_bumps_the_cursor_once(tmp_path):
    from kiosk.server.content.management.commands.load_demo import load
    from kiosk.server.content.models import Service

    data = demo_data()
    load(data)
    before = state()
    changed = copy.deepcopy(data)
    changed["services"][0]["name"] = {**changed["services"][0]["name"], "fr": "Nom modifié"}
    path = tmp_path / "demo.json"
    path.write_text(json.dumps(changed), encoding="utf-8")
    run("--file", str(path))
    after = state()
    slug = data["site"]["id"]
    assert after["cursors"][slug] == before["cursors"][slug] + 1
    assert after["changes"] == before["changes"] + 1
    assert Service.objects.get(slug=data["services"][0]["id"]).name["fr"] == "Nom modifié"


def test_invalid_demo_content_is_refused_whole(tmp_path):
    from kiosk.server.content.models import Site

    broken = copy.deepcopy(demo_data())
    broken["services"][-1]["prefix"] = "lowercase"
    path = tmp_path / "demo.json"
    path.write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(Exception, match="prefix"):
        run("--file", str(path))
    assert not Site.objects.filter(slug=broken["site"]["id"]).exists()  # rolled back


def test_a_missing_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="not found"):
        run("--file", str(tmp_path / "absent.json"))


def test_a_file_that_is_not_json_is_a_command_error(tmp_path):
    path = tmp_path / "demo.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="not valid JSON"):
        run("--file", str(path))
