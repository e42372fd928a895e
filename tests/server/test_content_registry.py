"""One declaration per content kind (kiosk/server/content/kinds.py): every layer that lists
kinds reads KINDS, and the demo loader keeps every field of every kind."""

from __future__ import annotations

import copy
import io
import json
import typing

import pytest
from django.core.management import call_command

from tests.conftest import demo_data

pytestmark = pytest.mark.django_db


def registry():
    from kiosk.server.content.kinds import KINDS

    return KINDS


def test_every_content_model_with_a_wire_kind_is_registered():
    from django.apps import apps

    declared = {m for m in apps.get_app_config("content").get_models()
                if "KIND" in vars(m) and hasattr(m, "to_wire")}
    assert declared and declared == set(registry().models())


def test_a_kind_is_registered_once_and_must_match_its_model():
    from kiosk.server.content.kinds import ContentKind, Registry
    from kiosk.server.content.models import Pole

    kinds = Registry()
    kinds.register(ContentKind("pole", Pole, "x.PoleAdmin"))
    with pytest.raises(ValueError, match="twice"):
        kinds.register(ContentKind("pole", Pole, "x.PoleAdmin"))
    with pytest.raises(ValueError, match="KIND"):
        Registry().register(ContentKind("poles", Pole, "x.PoleAdmin"))


def test_the_delta_order_puts_what_is_named_before_who_names_it():
    names = registry().names()
    assert names.index("pole") < names.index("service")
    assert names.index("plan") < names.index("service") < names.index("situation")


def test_the_api_schema_lists_the_registrys_kinds():
    from kiosk.server.api.schemas import ContentKind

    assert typing.get_args(ContentKind) == registry().names()


def test_the_admin_registers_each_kinds_declared_admin():
    from django.contrib import admin

    for kind in registry():
        assert type(admin.site._registry[kind.model]) is kind.admin_class, kind.name


def test_declared_texts_and_previews_exist():
    from django.template.loader import get_template

    for kind in registry():
        fields = {f.name for f in kind.model._meta.concrete_fields}
        assert set(kind.texts) <= fields and set(kind.long_texts) <= set(kind.texts), kind.name
        if kind.preview:
            assert callable(kind.preview_builder) and kind.screen, kind.name
            get_template(kind.preview_body)  # raises when the kind's screen body is missing
        assert kind.has_drafts == bool(kind.preview), kind.name  # agents preview their drafts


def test_to_wire_carries_exactly_the_declared_wire_fields(demo):
    from kiosk.server.content.models import Asset

    Asset.objects.create(site=demo, slug="x", kind="pictogram", sha256="0" * 64, size=70,
                         content_type="image/png")
    for kind in registry():
        obj = kind.model.objects.filter(site=demo).first()
        assert obj is not None, f"the demo has no {kind.name}"
        expected = {"id"} | {key for _f, key in kind.wire_fields} | set(kind.wire_derived)
        assert set(obj.to_wire()) == expected, kind.name


def test_load_demo_keeps_every_field_of_every_kind_the_file_gives(demo):
    data = demo_data()
    checked = 0
    for kind in registry():
        for item in data.get(kind.demo_key, []) if kind.demo_key else []:
            obj = kind.model.objects.get(site=demo, slug=item["id"])
            wire = obj.to_wire()
            for key, value in item.items():
                if kind.name == "plan" and key == "image":
                    continue  # the demo names the SVG it is rendered from (below)
                if key in kind.sent_transformed:  # stored as given, sent transformed
                    assert getattr(obj, key) == value, (kind.name, item["id"], key)
                else:
                    assert wire[key] == value, (kind.name, item["id"], key)
                checked += 1
    assert checked > 200


def test_load_demo_stores_a_services_exceptions_and_audio(tmp_path, db):
    """They were silently dropped once: the loader listed each kind's fields by hand."""
    from kiosk.server.content.models import Pole, Service

    data = copy.deepcopy(demo_data())
    service = data["services"][0]
    service["exceptions"] = [{"from": "2026-12-24", "to": "2026-12-24",
                              "hours": [{"open": "08:30", "close": "12:00"}],
                              "reason": {"fr": "Veille de Noël"}}]
    service["audio"] = {"wo": "naissance-wo.wav"}
    data["poles"][0]["audio"] = {"bm": "pole-bm.wav"}
    path = tmp_path / "demo.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    call_command("load_demo", "--file", str(path), stdout=io.StringIO())
    stored = Service.objects.get(slug=service["id"])
    assert stored.exceptions == service["exceptions"]
    assert stored.audio == {"wo": "naissance-wo.wav"}
    assert Pole.objects.get(slug=data["poles"][0]["id"]).audio == {"bm": "pole-bm.wav"}


def test_the_translations_page_counts_every_kinds_texts(demo):
    from kiosk.server.content.translations import completeness

    french = {r.code: r for r in completeness(demo)}["fr"]
    expected = 0
    for kind in registry():
        qs = kind.model.objects.filter(site=demo)
        if not kind.translate_drafts:
            qs = qs.filter(published=True)
        for obj in qs:
            for name in kind.texts:
                value = getattr(obj, name)
                texts = value if isinstance(value, list) else [value]
                expected += sum(1 for t in texts if (t.get("fr") or "").strip())
    assert french.total == expected > 0


def test_the_summary_line_counts_each_kind_of_the_file(db):
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    data = demo_data()
    for kind in registry():
        if kind.demo_key:
            assert f"{len(data.get(kind.demo_key, []))} {kind.demo_key}" in out.getvalue()
