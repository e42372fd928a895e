"""Content from the wire: what from_wire accepts, what it rejects, opening hours."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from kiosk.domain.content import (
    ContentError,
    OpeningSlot,
    Pole,
    Service,
    parse_item,
)


def pole_wire(**overrides) -> dict:
    data = {
        "id": "citoyennete",
        "order": 1,
        "color": "#1F4E8C",
        "pictogram": "mairie",
        "name": {"fr": "Citoyenneté & état civil", "en": "Citizenship & civil status"},
        "summary": {"fr": "Papiers, élections"},
    }
    data.update(overrides)
    return data


def service_wire(**overrides) -> dict:
    data = {
        "id": "etat-civil",
        "pole": "citoyennete",
        "order": 2,
        "prefix": "C",
        "pictogram": "livret",
        "name": {"fr": "État civil", "ar": "الحالة المدنية"},
        "summary": {"fr": "Actes de naissance"},
        "place": {"fr": "Rez-de-chaussée, guichet 3"},
        "hours": [
            {"days": [0, 1, 2, 3, 4], "open": "13:30", "close": "17:00"},
            {"days": [0, 1, 2, 3, 4], "open": "08:30", "close": "12:00"},
            {"days": [5], "open": "09:00", "close": "12:30"},
        ],
        "documents": [{"fr": "Pièce d'identité", "en": "ID"}, {"fr": "Livret de famille"}],
        "ticketing": True,
        "mean_service_minutes": 12,
    }
    data.update(overrides)
    return data


# -- poles -----------------------------------------------------------------------------


def test_pole_from_wire():
    pole = Pole.from_wire(pole_wire())
    assert pole.id == "citoyennete"
    assert pole.order == 1
    assert pole.color == "#1F4E8C"
    assert pole.title("en") == "Citizenship & civil status"
    assert pole.title("zh") == "Citoyenneté & état civil"  # falls back to French
    assert pole.summary == {"fr": "Papiers, élections"}


def test_pole_summary_is_optional():
    data = pole_wire()
    del data["summary"]
    assert Pole.from_wire(data).summary == {}


def test_pole_is_frozen():
    pole = Pole.from_wire(pole_wire())
    with pytest.raises(AttributeError):
        pole.color = "#000000"  # type: ignore[misc]


def test_from_wire_does_not_share_the_callers_dicts():
    data = pole_wire()
    pole = Pole.from_wire(data)
    data["name"]["fr"] = "changed"
    assert pole.name["fr"] == "Citoyenneté & état civil"


@pytest.mark.parametrize(
    "color",
    ["", None, "red", "#FFF", "#GGGGGG", "1F4E8C", "#1F4E8C0", "#1f4e8", 0x1F4E8C,
     "#1F4E8C\n"],
)
def test_pole_rejects_bad_colors(color):
    with pytest.raises(ContentError, match="color"):
        Pole.from_wire(pole_wire(color=color))


def test_pole_accepts_lowercase_hex():
    assert Pole.from_wire(pole_wire(color="#a0b1c2")).color == "#a0b1c2"


BAD_SLUGS = [
    "", None, 42, "Citoyennete", "-leading-dash", "with space", "accentué", "a_b", "a/b",
    "a" * 65, "citoyennete\n",
]


@pytest.mark.parametrize("slug", BAD_SLUGS)
def test_pole_rejects_bad_ids(slug):
    with pytest.raises(ContentError, match="id"):
        Pole.from_wire(pole_wire(id=slug))


@pytest.mark.parametrize("slug", ["a", "0", "etat-civil", "a" * 64, "19e"])
def test_good_slugs(slug):
    assert Pole.from_wire(pole_wire(id=slug)).id == slug


def test_pole_rejects_a_bad_pictogram():
    with pytest.raises(ContentError, match="pictogram"):
        Pole.from_wire(pole_wire(pictogram="../../etc/passwd"))


@pytest.mark.parametrize(
    "name",
    [None, {}, {"en": "Citizenship"}, {"fr": ""}, "Citoyenneté", ["fr", "x"], {"fr": 3},
     {"fr": "ok", "en": None}],
)
def test_pole_name_needs_a_french_text_and_only_strings(name):
    with pytest.raises(ContentError, match="name"):
        Pole.from_wire(pole_wire(name=name))


def test_pole_rejects_a_non_mapping_summary():
    with pytest.raises(ContentError, match="summary"):
        Pole.from_wire(pole_wire(summary=["Papiers"]))


@pytest.mark.parametrize("order", ["x",
                                   None])
def test_pole_rejects_a_non_numeric_order_with_content_error(order):
    with pytest.raises(ContentError):
        Pole.from_wire(pole_wire(order=order))


# -- services --------------------------------------------------------------------------


def test_service_from_wire():
    svc = Service.from_wire(service_wire())
    assert (svc.id, svc.pole, svc.prefix, svc.order) == ("etat-civil", "citoyennete", "C", 2)
    assert svc.title("ar") == "الحالة المدنية"
    assert svc.title("en") == "État civil"
    assert svc.ticketing is True
    assert svc.mean_service_minutes == 12.0
    assert isinstance(svc.mean_service_minutes, float)
    assert len(svc.hours) == 3
    assert svc.hours[0] == OpeningSlot((0, 1, 2, 3, 4), dt.time(13, 30), dt.time(17, 0))
    assert svc.documents == ({"fr": "Pièce d'identité", "en": "ID"}, {"fr": "Livret de famille"})


def test_service_minimal_defaults():
    svc = Service.from_wire(
        {"id": "accueil", "pole": "vie-quartier", "prefix": "A", "pictogram": "info",
         "name": {"fr": "Accueil"}}
    )
    assert svc.hours == ()
    assert svc.documents == ()
    assert svc.ticketing is True
    assert svc.mean_service_minutes == 10.0
    assert svc.summary == {} and svc.place == {}


def test_service_can_be_appointment_only():
    assert Service.from_wire(service_wire(ticketing=False)).ticketing is False


@pytest.mark.parametrize("prefix", ["", "c", "CC", "1", None,
                                    5])
def test_service_rejects_bad_prefixes(prefix):
    with pytest.raises(ContentError, match="prefix"):
        Service.from_wire(service_wire(prefix=prefix))


@pytest.mark.parametrize("field", ["id", "pole", "pictogram"])
@pytest.mark.parametrize("value", ["", "Bad Slug", None])
def test_service_rejects_bad_slugs(field, value):
    with pytest.raises(ContentError, match=field):
        Service.from_wire(service_wire(**{field: value}))


def test_service_without_french_name_is_rejected():
    with pytest.raises(ContentError, match="French"):
        Service.from_wire(service_wire(name={"en": "Civil status", "ar": "الحالة"}))


@pytest.mark.parametrize("minutes", [0, -5, 241, "10", None, math.inf, math.nan])
def test_service_rejects_bad_mean_service_minutes(minutes):
    with pytest.raises(ContentError, match="mean_service_minutes"):
        Service.from_wire(service_wire(mean_service_minutes=minutes))


@pytest.mark.parametrize("minutes", [0.5, 240, 7.25])
def test_service_accepts_mean_service_minutes_in_range(minutes):
    assert Service.from_wire(service_wire(mean_service_minutes=minutes)).mean_service_minutes == minutes


@pytest.mark.parametrize("field", ["hours", "documents"])
def test_hours_and_documents_must_be_lists(field):
    with pytest.raises(ContentError, match="lists"):
        Service.from_wire(service_wire(**{field: {"fr": "x"}}))


def test_each_document_needs_french():
    with pytest.raises(ContentError):
        Service.from_wire(service_wire(documents=[{"fr": "ok"}, {"en": "no French"}]))
    with pytest.raises(ContentError):
        Service.from_wire(service_wire(documents=["Pièce d'identité"]))


@pytest.mark.parametrize(
    "slot,message",
    [
        ({"days": [], "open": "08:30", "close": "12:00"}, "days"),
        ({"open": "08:30", "close": "12:00"}, "days"),
        ({"days": [7], "open": "08:30", "close": "12:00"}, "days"),
        ({"days": [-1], "open": "08:30", "close": "12:00"}, "days"),
        ({"days": ["1"], "open": "08:30", "close": "12:00"}, "days"),
        ({"days": 1, "open": "08:30", "close": "12:00"}, "days"),
        ({"days": [0], "open": "8:30", "close": "12:00"}, "open"),
        ({"days": [0], "open": "24:00", "close": "23:00"}, "open"),
        ({"days": [0], "open": "08:60", "close": "12:00"}, "open"),
        ({"days": [0], "open": "08:30"}, "close"),
        ({"days": [0], "open": "08:30", "close": 1200}, "close"),
        ({"days": [0], "open": "08:30:00", "close": "12:00"}, "open"),
        ({"days": [0], "open": "12:00", "close": "12:00"}, "before"),
        ({"days": [0], "open": "14:00", "close": "12:00"}, "before"),
    ],
)
def test_bad_opening_hours_are_rejected(slot, message):
    with pytest.raises(ContentError, match=message):
        OpeningSlot.from_wire(slot)
    with pytest.raises(ContentError, match=message):
        Service.from_wire(service_wire(hours=[slot]))


@pytest.mark.parametrize(
    "hours",
    [
        ["08:30-12:00"],
        [{"days": [0], "open": "08:30\n", "close": "12:00"}],
    ],
)
def test_malformed_hours_raise_content_error(hours):
    with pytest.raises(ContentError):
        Service.from_wire(service_wire(hours=hours))


def test_opening_slot_from_wire():
    slot = OpeningSlot.from_wire({"days": [5, 6], "open": "00:00", "close": "23:59"})
    assert slot == OpeningSlot((5, 6), dt.time(0, 0), dt.time(23, 59))


# -- slots_on / is_open_at -------------------------------------------------------------

MONDAY = dt.date(2025, 3, 3)
SATURDAY = dt.date(2025, 3, 8)
SUNDAY = dt.date(2025, 3, 9)


def test_slots_on_a_weekday_are_sorted_by_opening_time():
    svc = Service.from_wire(service_wire())
    slots = svc.slots_on(MONDAY)
    assert [(s.opens, s.closes) for s in slots] == [
        (dt.time(8, 30), dt.time(12, 0)),
        (dt.time(13, 30), dt.time(17, 0)),
    ]


def test_slots_on_saturday_and_sunday():
    svc = Service.from_wire(service_wire())
    assert [(s.opens, s.closes) for s in svc.slots_on(SATURDAY)] == [(dt.time(9), dt.time(12, 30))]
    assert svc.slots_on(SUNDAY) == []


def test_no_hours_means_never_open():
    svc = Service.from_wire(service_wire(hours=[]))
    assert svc.slots_on(MONDAY) == []
    assert not svc.is_open_at(dt.datetime.combine(MONDAY, dt.time(10)))


@pytest.mark.parametrize(
    "day,time,expected",
    [
        (MONDAY, dt.time(8, 29, 59), False),
        (MONDAY, dt.time(8, 30), True),  # opening is inclusive
        (MONDAY, dt.time(11, 59), True),
        (MONDAY, dt.time(12, 0), False),  # closing is exclusive
        (MONDAY, dt.time(12, 45), False),  # lunch break
        (MONDAY, dt.time(13, 30), True),
        (MONDAY, dt.time(16, 59, 59), True),
        (MONDAY, dt.time(17, 0), False),
        (SATURDAY, dt.time(10, 0), True),
        (SATURDAY, dt.time(14, 0), False),
        (SUNDAY, dt.time(10, 0), False),
    ],
)
def test_is_open_at(day, time, expected):
    svc = Service.from_wire(service_wire())
    assert svc.is_open_at(dt.datetime.combine(day, time)) is expected


def test_is_open_at_uses_the_wall_clock_of_an_aware_datetime():
    svc = Service.from_wire(service_wire())
    paris = dt.timezone(dt.timedelta(hours=1))
    assert svc.is_open_at(dt.datetime.combine(MONDAY, dt.time(9), tzinfo=paris))
    assert not svc.is_open_at(dt.datetime.combine(SUNDAY, dt.time(9), tzinfo=paris))


# -- parse_item ------------------------------------------------------------------------


def test_parse_item_dispatches_on_kind():
    assert isinstance(parse_item("pole", pole_wire()), Pole)
    assert isinstance(parse_item("service", service_wire()), Service)


@pytest.mark.parametrize("kind", ["newsletter", "", None, "Pole"])
def test_parse_item_rejects_unknown_kinds(kind):
    with pytest.raises(ContentError, match="kind"):
        parse_item(kind, pole_wire())


@pytest.mark.parametrize("data", [None, [], "pole", 3])
def test_parse_item_rejects_non_objects(data):
    with pytest.raises(ContentError, match="object"):
        parse_item("pole", data)


def test_content_error_is_a_value_error():
    assert issubclass(ContentError, ValueError)
