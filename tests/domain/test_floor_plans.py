"""Floor plans as content (kind "plan"): the image by hash, the landmarks (hotspots) checked."""

from __future__ import annotations

import pytest

from kiosk.domain.content import ContentError, FloorPlan, parse_item

SHA = "ab" * 32


def plan(**overrides) -> dict:
    data = {"id": "rdc", "order": 0, "name": {"fr": "Rez-de-chaussée", "en": "Ground floor"},
            "image": {"sha256": SHA, "size": 1234, "type": "image/png"},
            "hotspots": [{"id": "accueil", "x": 0.12, "y": 0.8,
                          "label": {"fr": "Accueil", "en": "Reception"}},
                         {"id": "ascenseur", "x": 0, "y": 1, "label": {"fr": "Ascenseur"},
                          "icon": "ascenseur"}]}
    data.update(overrides)
    return data


def test_a_plan_with_its_image_and_landmarks():
    item = parse_item("plan", plan())
    assert isinstance(item, FloorPlan) and item.title("en") == "Ground floor"
    assert item.image.id == "plan:rdc" and item.image.kind == "plan"
    assert item.image.filename == f"{SHA}.png" and item.image.size == 1234
    first, second = item.hotspots
    assert (first.id, first.x, first.y, first.icon) == ("accueil", 0.12, 0.8, "")
    assert first.title("en") == "Reception" and second.title("en") == "Ascenseur"  # French fallback
    assert second.icon == "ascenseur" and (second.x, second.y) == (0.0, 1.0)


def test_no_image_and_no_landmarks_is_a_plan_too():
    item = parse_item("plan", plan(image=None, hotspots=[]))
    assert item.image is None and item.hotspots == ()
    assert parse_item("plan", {"id": "etage1", "name": {"fr": "1er étage"}}).hotspots == ()


@pytest.mark.parametrize(("hotspots", "message"), [
    ([{"id": "a", "x": 1.2, "y": 0.5, "label": {"fr": "A"}}], "hotspot x"),
    ([{"id": "a", "x": 0.5, "y": -0.01, "label": {"fr": "A"}}], "hotspot y"),
    ([{"id": "a", "x": "0.5", "y": 0.5, "label": {"fr": "A"}}], "hotspot x"),
    ([{"id": "a", "x": True, "y": 0.5, "label": {"fr": "A"}}], "hotspot x"),
    ([{"id": "a", "y": 0.5, "label": {"fr": "A"}}], "hotspot x"),
    ([{"id": "a", "x": 0.5, "y": 0.5, "label": {"en": "Lift"}}], "French"),
    ([{"id": "a", "x": 0.5, "y": 0.5, "label": {"fr": "x" * 61}}], "at most 60"),
    ([{"id": "A B", "x": 0.5, "y": 0.5, "label": {"fr": "A"}}], "id must be a slug"),
    ([{"id": "a", "x": 0.5, "y": 0.5, "label": {"fr": "A"}, "icon": "../x"}], "icon"),
    ([{"id": "a", "x": 0.1, "y": 0.1, "label": {"fr": "A"}},
      {"id": "a", "x": 0.2, "y": 0.2, "label": {"fr": "B"}}], "unique"),
    ({"id": "a"}, "list"),
    (["accueil"], "object"),
    ([{"id": f"h{n}", "x": 0.5, "y": 0.5, "label": {"fr": "A"}} for n in range(41)], "at most 40"),
])
def test_bad_landmarks_are_rejected(hotspots, message):
    with pytest.raises(ContentError, match=message):
        parse_item("plan", plan(hotspots=hotspots))


@pytest.mark.parametrize("image", [
    {"sha256": "xyz", "size": 10, "type": "image/png"},
    {"sha256": SHA, "size": 0, "type": "image/png"},
    {"sha256": SHA, "size": 10, "type": "audio/wav"},
    "rdc.png",
])
def test_a_bad_image_reference_is_rejected(image):
    with pytest.raises(ContentError):
        parse_item("plan", plan(image=image))


def test_a_plan_needs_a_french_name_and_a_slug():
    with pytest.raises(ContentError, match="French"):
        parse_item("plan", plan(name={"en": "Ground floor"}))
    with pytest.raises(ContentError, match="slug"):
        parse_item("plan", plan(id="Rez de chaussée"))
