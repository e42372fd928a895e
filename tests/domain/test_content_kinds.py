"""from_wire of the newer content kinds: life situations, nearby places, the plan spot."""

from __future__ import annotations

import pytest

from kiosk.domain.content import (
    KINDS,
    PLACE_KINDS,
    ContentError,
    NearbyPlace,
    Service,
    Situation,
    parse_item,
)


def situation_wire(**over) -> dict:
    data = {
        "id": "demenagement", "order": 3, "pictogram": "situation-moving",
        "name": {"fr": "Je déménage", "en": "I'm moving house", "ar": "سأنتقل"},
        "summary": {"fr": "Avec votre nouvelle adresse…"},
        "services": ["listes-electorales", "inscriptions-scolaires"],
        "documents": [{"fr": "Justificatif de domicile", "en": "Proof of address"}],
    }
    data.update(over)
    return data


def place_wire(**over) -> dict:
    data = {
        "id": "parc-buttes-chaumont", "order": 1, "kind": "park", "pictogram": "place-park",
        "walking_minutes": 2, "address": "Place Armand-Carrel",
        "name": {"fr": "Parc des Buttes-Chaumont", "en": "Buttes-Chaumont Park"},
        "summary": {"fr": "Juste en face."},
    }
    data.update(over)
    return data


def service_wire(**over) -> dict:
    data = {
        "id": "naissance", "pole": "citoyennete", "order": 1, "prefix": "N",
        "pictogram": "naissance", "name": {"fr": "Déclaration de naissance"},
    }
    data.update(over)
    return data


def test_the_new_kinds_are_known():
    assert KINDS["situation"] is Situation
    assert KINDS["place"] is NearbyPlace


# -- situations -------------------------------------------------------------------------


def test_a_situation_is_built_from_the_wire():
    item = parse_item("situation", situation_wire())
    assert item == Situation(
        id="demenagement", order=3, pictogram="situation-moving",
        name={"fr": "Je déménage", "en": "I'm moving house", "ar": "سأنتقل"},
        summary={"fr": "Avec votre nouvelle adresse…"},
        services=("listes-electorales", "inscriptions-scolaires"),
        documents=({"fr": "Justificatif de domicile", "en": "Proof of address"},),
    )
    assert item.title("ar") == "سأنتقل"
    assert item.title("wo") == "Je déménage"  # falls back to French


def test_a_situation_keeps_its_services_in_order():
    item = Situation.from_wire(situation_wire(services=["c", "a", "b"]))
    assert item.services == ("c", "a", "b")


def test_summary_services_and_documents_are_optional():
    item = Situation.from_wire(situation_wire(summary=None, services=None, documents=None))
    assert (item.summary, item.services, item.documents) == ({}, (), ())


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"id": "Je Déménage"}, "id must be a slug"),
        ({"id": None}, "id must be a slug"),
        ({"pictogram": ""}, "pictogram must be a slug"),
        ({"name": {"en": "Moving"}}, "French"),
        ({"name": "Je déménage"}, "name must be a mapping"),
        ({"summary": {"fr": 3}}, "summary must be a mapping"),
        ({"services": "naissance"}, "must be lists"),
        ({"services": ["naissance", "Bad Slug"]}, "service must be a slug"),
        ({"services": ["naissance", 4]}, "service must be a slug"),
        ({"services": ["naissance", "naissance"]}, "once"),
        ({"documents": {"fr": "x"}}, "must be lists"),
        ({"documents": [{"en": "no French"}]}, "French"),
        ({"documents": ["plain text"]}, "mapping"),
        ({"order": "first"}, "malformed situation"),
        ({"order": [1]}, "malformed situation"),
    ],
)
def test_a_bad_situation_is_a_content_error(over, message):
    with pytest.raises(ContentError, match=message):
        Situation.from_wire(situation_wire(**over))


# -- nearby places ----------------------------------------------------------------------


def test_a_place_is_built_from_the_wire():
    item = parse_item("place", place_wire())
    assert item == NearbyPlace(
        id="parc-buttes-chaumont", order=1,
        name={"fr": "Parc des Buttes-Chaumont", "en": "Buttes-Chaumont Park"},
        summary={"fr": "Juste en face."}, kind="park", address="Place Armand-Carrel",
        walking_minutes=2, pictogram="place-park",
    )
    assert item.title("en") == "Buttes-Chaumont Park"


@pytest.mark.parametrize("kind", PLACE_KINDS)
def test_every_place_kind_is_accepted(kind):
    assert NearbyPlace.from_wire(place_wire(kind=kind)).kind == kind


@pytest.mark.parametrize("minutes", [0, 1, 30, 60])
def test_walking_minutes_from_0_to_60(minutes):
    assert NearbyPlace.from_wire(place_wire(walking_minutes=minutes)).walking_minutes == minutes


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"kind": "zoo"}, "kind must be one of"),
        ({"kind": None}, "kind must be one of"),
        ({"walking_minutes": 61}, "walking_minutes"),
        ({"walking_minutes": -1}, "walking_minutes"),
        ({"walking_minutes": 2.5}, "walking_minutes"),
        ({"walking_minutes": "2"}, "walking_minutes"),
        ({"walking_minutes": True}, "walking_minutes"),
        ({"address": 5}, "address"),
        ({"address": "x" * 301}, "address"),
        ({"name": {"en": "Park"}}, "French"),
        ({"pictogram": None}, "pictogram must be a slug"),
        ({"id": "../etc"}, "id must be a slug"),
        ({"order": "x"}, "malformed place"),
    ],
)
def test_a_bad_place_is_a_content_error(over, message):
    with pytest.raises(ContentError, match=message):
        NearbyPlace.from_wire(place_wire(**over))


def test_a_place_without_walking_minutes_is_right_here():
    data = place_wire()
    del data["walking_minutes"]
    assert NearbyPlace.from_wire(data).walking_minutes == 0


# -- the plan spot of a service ----------------------------------------------------------


def test_an_old_service_payload_still_parses_without_a_plan():
    item = Service.from_wire(service_wire())
    assert (item.plan, item.plan_x, item.plan_y) == ("", None, None)


def test_a_service_with_its_spot_on_a_plan():
    item = Service.from_wire(service_wire(plan="rdc", plan_x=0.128, plan_y=0.2))
    assert (item.plan, item.plan_x, item.plan_y) == ("rdc", 0.128, 0.2)


@pytest.mark.parametrize(("x", "y"), [(0, 0), (1, 1), (0.5, 1)])
def test_the_spot_may_sit_on_the_plans_edges(x, y):
    item = Service.from_wire(service_wire(plan="etage1", plan_x=x, plan_y=y))
    assert (item.plan_x, item.plan_y) == (float(x), float(y))


def test_an_empty_plan_with_no_spot_is_no_plan():
    item = Service.from_wire(service_wire(plan="", plan_x=None, plan_y=None))
    assert item.plan == ""


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"plan": "rdc"}, "plan_x"),
        ({"plan": "rdc", "plan_x": 0.5}, "plan_y"),
        ({"plan": "rdc", "plan_x": 1.5, "plan_y": 0.5}, "plan_x"),
        ({"plan": "rdc", "plan_x": 0.5, "plan_y": -0.1}, "plan_y"),
        ({"plan": "rdc", "plan_x": "0.5", "plan_y": 0.5}, "plan_x"),
        ({"plan": "rdc", "plan_x": True, "plan_y": 0.5}, "plan_x"),
        ({"plan": "RDC!", "plan_x": 0.5, "plan_y": 0.5}, "plan must be a slug"),
        ({"plan": 3, "plan_x": 0.5, "plan_y": 0.5}, "plan must be a slug"),
        ({"plan_x": 0.5, "plan_y": 0.5}, "need a plan"),
        ({"plan": "", "plan_x": 0.5}, "need a plan"),
    ],
)
def test_a_bad_plan_spot_is_a_content_error(over, message):
    with pytest.raises(ContentError, match=message):
        Service.from_wire(service_wire(**over))
