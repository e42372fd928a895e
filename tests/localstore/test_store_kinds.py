"""The kiosk's store holds life situations and nearby places like poles and services."""

from __future__ import annotations

import json
import sqlite3

import pytest

from kiosk.domain.content import ContentError
from kiosk.localstore import LocalStore


def service(id_="naissance", plan="rdc", x=0.128, y=0.2) -> dict:
    data = {"id": id_, "pole": "citoyennete", "order": 1, "prefix": "N", "pictogram": "naissance",
            "name": {"fr": "Naissance"}}
    if plan:
        data.update(plan=plan, plan_x=x, plan_y=y)
    return {"kind": "service", "data": data}


def situation(id_="demenagement", order=1, services=("listes-electorales",), name="Je déménage"):
    return {"kind": "situation", "data": {
        "id": id_, "order": order, "pictogram": "situation-moving", "name": {"fr": name},
        "services": list(services), "documents": [{"fr": "Justificatif de domicile"}]}}


def place(id_="parc", order=1, minutes=2, kind="park"):
    return {"kind": "place", "data": {
        "id": id_, "order": order, "kind": kind, "pictogram": "place-park",
        "walking_minutes": minutes, "address": "Place Armand-Carrel",
        "name": {"fr": id_.capitalize()}}}


@pytest.fixture
def path(tmp_path):
    return tmp_path / "kiosk.sqlite3"


@pytest.fixture
def store(path):
    s = LocalStore(path)
    yield s
    s.close()


def test_situations_come_sorted_by_order(store):
    store.apply_content("1", [situation("b", order=2), situation("c", order=1),
                              situation("a", order=2)], [], full=True)
    assert [s.id for s in store.situations()] == ["c", "a", "b"]


def test_one_situation_by_id(store):
    store.apply_content("1", [situation(services=("listes-electorales", "carte-citoyenne"))], [])
    item = store.situation("demenagement")
    assert item.title("en") == "Je déménage"
    assert item.services == ("listes-electorales", "carte-citoyenne")
    assert item.documents == ({"fr": "Justificatif de domicile"},)
    assert store.situation("nope") is None


def test_places_come_sorted_by_order_then_walking_time(store):
    store.apply_content("1", [place("loin", order=2, minutes=20), place("bib", order=2, minutes=7),
                              place("parc", order=1, minutes=2)], [])
    assert [(p.id, p.walking_minutes) for p in store.places()] == [
        ("parc", 2), ("bib", 7), ("loin", 20)]


def test_a_service_keeps_its_plan_spot(store):
    store.apply_content("1", [service()], [])
    item = store.service("naissance")
    assert (item.plan, item.plan_x, item.plan_y) == ("rdc", 0.128, 0.2)


def test_new_kinds_are_deleted_like_the_others(store):
    store.apply_content("1", [situation(), place(), situation("autre")], [])
    store.apply_content("2", [], [{"kind": "situation", "id": "demenagement"},
                                  {"kind": "place", "id": "parc"}])
    assert [s.id for s in store.situations()] == ["autre"]
    assert store.places() == []
    assert store.content_cursor() == "2"


def test_a_deletion_only_touches_its_kind(store):
    store.apply_content("1", [situation("meme"), place("meme"), service("meme", plan="")], [])
    store.apply_content("2", [], [{"kind": "place", "id": "meme"}])
    assert [s.id for s in store.situations()] == ["meme"]
    assert store.service("meme") is not None
    assert store.places() == []


@pytest.mark.parametrize("bad", [
    situation(services=("Bad Slug",)),
    place(kind="zoo"),
    place(minutes=90),
    service(plan="rdc", x=2.0),
])
def test_a_bad_new_item_rejects_the_whole_payload(store, bad):
    store.apply_content("1", [situation(), place()], [], full=True, etag='"e1"')
    with pytest.raises(ContentError):
        store.apply_content("2", [situation("autre"), bad], [{"kind": "place", "id": "parc"}])
    assert [s.id for s in store.situations()] == ["demenagement"]
    assert [p.id for p in store.places()] == ["parc"]
    assert store.content_cursor() == "1"


def test_a_stale_row_is_skipped_never_a_crash(store, path):
    store.apply_content("1", [situation(), place()], [])
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO content (kind, id, data) VALUES ('situation', 'vieux', ?)",
                   (json.dumps({"id": "vieux", "name": {"en": "no French"}}),))
        db.execute("INSERT INTO content (kind, id, data) VALUES ('place', 'casse', 'not json')")
    assert [s.id for s in store.situations()] == ["demenagement"]
    assert store.situation("vieux") is None
    assert [p.id for p in store.places()] == ["parc"]


def test_a_full_snapshot_replaces_every_kind(store):
    store.apply_content("1", [situation("ancien"), place("ancien")], [])
    store.apply_content("2", [situation("nouveau")], [], full=True)
    assert [s.id for s in store.situations()] == ["nouveau"]
    assert store.places() == []


def test_the_new_kinds_survive_a_reopen(path):
    first = LocalStore(path)
    first.apply_content("1", [situation(), place()], [])
    first.close()
    again = LocalStore(path)
    try:
        assert [s.id for s in again.situations()] == ["demenagement"]
        assert [p.id for p in again.places()] == ["parc"]
    finally:
        again.close()


def offer(id_="amap", source="local", order=1):
    return {"kind": "offer", "data": {
        "id": id_, "order": order, "source": source, "category": "food",
        "pictogram": "offer-basket", "title": {"fr": id_}, "weekdays": [3]}}


def test_offers_by_source_in_order_and_the_carte_page(store):
    page = {"kind": "page", "data": {"id": "carte-citoyenne", "pictogram": "carte-citoyenne",
                                     "title": {"fr": "Carte Citoyenne"}, "link": "https://x.fr"}}
    store.apply_content("1", [offer("b", order=2), offer("a", order=1),
                              offer("visite", source="carte"), page], [])
    assert [o.id for o in store.offers()] == ["a", "visite", "b"]
    assert [o.id for o in store.offers("local")] == ["a", "b"]
    assert [o.id for o in store.offers("carte")] == ["visite"]
    assert store.offer("b").source == "local" and store.offer("nope") is None
    assert store.page("carte-citoyenne").link == "https://x.fr"
    store.apply_content("2", [], [{"kind": "offer", "id": "a"}])
    assert [o.id for o in store.offers("local")] == ["b"]
