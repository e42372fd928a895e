"""A life situation's tips and the neighbourhood plan's numbered places, as the kiosk reads
them (kiosk.domain.content_guide)."""

from __future__ import annotations

import pytest

from kiosk.domain.content import (
    MAX_TIPS,
    TIP_MAX_CHARS,
    ContentError,
    NearbyPlace,
    Situation,
    neighbourhood_spots,
    parse_item,
)

SITUATION = {"id": "travaux-habitat", "pictogram": "situation-travaux",
             "name": {"fr": "Je fais des travaux chez moi"}, "services": ["conseil-habitat"]}


def place(pid: str, order: int, plan: str = "", x: float | None = None, y: float | None = None):
    return NearbyPlace.from_wire({"id": pid, "order": order, "name": {"fr": pid}, "kind": "park",
                                  "walking_minutes": 5, "pictogram": "place-park",
                                  "plan": plan, "plan_x": x, "plan_y": y})


def test_a_situation_carries_its_tips_in_order():
    tips = [{"fr": "L'ADIL 75 conseille gratuitement.", "ar": "تقدّم ADIL 75 استشارات مجانية."},
            {"fr": "Venez le mardi matin : moins d'attente."}]
    item = Situation.from_wire({**SITUATION, "tips": tips})
    assert item.tips == tuple(tips)
    assert item.tips[0] is not tips[0]  # a copy: the item stays frozen


def test_tips_are_optional_for_older_content():
    assert Situation.from_wire(SITUATION).tips == ()
    assert Situation.from_wire({**SITUATION, "tips": None}).tips == ()


@pytest.mark.parametrize("tips, message", [
    ({"fr": "one"}, "list"),
    ([{"en": "no French"}], "French"),
    (["a bare string"], "mapping"),
    ([{"fr": "ok", "ar": 3}], "mapping"),
    ([{"fr": "x" * (TIP_MAX_CHARS + 1)}], "characters"),
    ([{"fr": f"tip {n}"} for n in range(MAX_TIPS + 1)], "at most"),
])
def test_bad_tips_are_refused_with_the_reason(tips, message):
    with pytest.raises(ContentError, match=message):
        parse_item("situation", {**SITUATION, "tips": tips})


def test_the_longest_tip_and_the_most_tips_still_pass():
    tips = [{"fr": "x" * TIP_MAX_CHARS}] * MAX_TIPS
    assert len(Situation.from_wire({**SITUATION, "tips": tips}).tips) == MAX_TIPS


def test_a_place_has_a_spot_on_a_plan_like_a_service():
    item = place("parc", 1, "quartier", 0.0, 1)
    assert (item.plan, item.plan_x, item.plan_y) == ("quartier", 0.0, 1.0)
    assert place("parc", 1).plan == ""
    with pytest.raises(ContentError, match="need a plan"):
        place("parc", 1, "", 0.5, 0.5)
    with pytest.raises(ContentError, match="plan_y"):
        place("parc", 1, "quartier", 0.5, None)
    with pytest.raises(ContentError, match="plan_x"):
        place("parc", 1, "quartier", 1.2, 0.5)


def test_the_places_on_the_plan_are_numbered_in_the_agents_order():
    places = [place("parc", 1, "quartier", .5, .5), place("cafe", 2),  # no spot: not numbered
              place("bibliotheque", 3, "quartier", .2, .3), place("marche", 4, "quartier", .8, .1)]
    plan, spots = neighbourhood_spots(places)
    assert plan == "quartier"
    assert [(n, p.id) for n, p in spots] == [(1, "parc"), (2, "bibliotheque"), (3, "marche")]


def test_the_plan_most_places_name_wins_and_the_first_named_breaks_a_tie():
    places = [place("a", 1, "vieux", .1, .1), place("b", 2, "quartier", .2, .2),
              place("c", 3, "quartier", .3, .3)]
    plan, spots = neighbourhood_spots(places)
    assert plan == "quartier" and [p.id for _n, p in spots] == ["b", "c"]
    plan, spots = neighbourhood_spots(places[:2])
    assert plan == "vieux" and [p.id for _n, p in spots] == ["a"]


def test_no_plan_without_a_spot():
    assert neighbourhood_spots([place("a", 1), place("b", 2)]) == ("", [])
    assert neighbourhood_spots([]) == ("", [])
