"""Content writes through the do_* actions (kiosk/server/content/actions.py): the write, the
rows naming it, the audit and the change log in one transaction; signals only log."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "kiosk" / "server" / "content"

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(demo):
    from tests.server.test_site_permissions import make_agent

    return make_agent("ed-actions", demo, "editor")


def changes(site, since: int) -> list[tuple[str, str, bool]]:
    from kiosk.server.content.models import ContentChange

    return list(ContentChange.objects.filter(site=site, seq__gt=since).order_by("seq")
                .values_list("kind", "key", "deleted"))


def cursor(site) -> int:
    from kiosk.server.content.services import current_cursor

    return current_cursor(site)


def test_saving_logs_audits_and_changes_only_what_changed(demo, editor):
    from kiosk.server.audit.models import AuditEntry
    from kiosk.server.content.actions import do_save_content
    from kiosk.server.content.models import NearbyPlace

    place = NearbyPlace.objects.get(site=demo, slug="rosa-bonheur")
    since = cursor(demo)
    place.walking_minutes = 9
    do_save_content(place, editor)
    assert changes(demo, since) == [("place", "rosa-bonheur", False)]
    entry = AuditEntry.objects.get(object_id=str(place.pk), model="content.nearbyplace")
    assert entry.action == "changed" and set(entry.changes) == {"walking_minutes"}


def test_a_failing_audit_leaves_neither_the_write_nor_its_change_log_row(demo, editor,
                                                                          monkeypatch):
    from kiosk.server.audit import services as audit
    from kiosk.server.content.actions import do_save_content
    from kiosk.server.content.models import NearbyPlace

    def broken(*args, **kwargs):
        raise RuntimeError("audit down")

    monkeypatch.setattr(audit, "record", broken)
    place = NearbyPlace.objects.get(site=demo, slug="rosa-bonheur")
    since = cursor(demo)
    place.walking_minutes = 11
    with pytest.raises(RuntimeError):
        do_save_content(place, editor)
    assert changes(demo, since) == []
    assert NearbyPlace.objects.get(pk=place.pk).walking_minutes != 11


def test_renaming_a_service_rewrites_the_situations_naming_it(demo, editor):
    from kiosk.server.audit.models import AuditEntry
    from kiosk.server.content.actions import do_rename_slug
    from kiosk.server.content.models import Service, Situation

    naming = {s.slug for s in Situation.objects.filter(site=demo)
              if "relais-familles" in s.services}
    assert naming
    since = cursor(demo)
    do_rename_slug(Service.objects.get(site=demo, slug="relais-familles"), "relais", editor)
    logged = changes(demo, since)
    assert logged[:2] == [("service", "relais-familles", True), ("service", "relais", False)]
    assert {key for kind, key, _ in logged if kind == "situation"} == naming
    for situation in Situation.objects.filter(site=demo, slug__in=naming):
        assert "relais" in situation.services and "relais-familles" not in situation.services
        assert AuditEntry.objects.filter(model="content.situation", object_id=str(situation.pk),
                                         action="changed").exists()


def test_a_plain_orm_save_still_logs_but_rewrites_nothing_else(demo):
    """Signals keep the kiosks' log whoever writes; cascades are the actions' job."""
    from kiosk.server.content.models import Service, Situation

    service = Service.objects.get(site=demo, slug="relais-familles")
    since = cursor(demo)
    service.slug = "relais"
    service.save()
    assert changes(demo, since) == [("service", "relais-familles", True),
                                    ("service", "relais", False)]
    assert any("relais-familles" in s.services for s in Situation.objects.filter(site=demo))


def test_deleting_a_pole_audits_and_logs_its_services_too(demo, editor):
    from kiosk.server.audit.models import AuditEntry
    from kiosk.server.content.actions import do_delete_content
    from kiosk.server.content.models import Pole

    pole = Pole.objects.filter(site=demo).first()
    services = set(pole.services.values_list("slug", flat=True))
    assert services
    since = cursor(demo)
    assert do_delete_content(pole, editor) == 1 + len(services)
    assert {(k, key) for k, key, deleted in changes(demo, since) if deleted} == {
        ("pole", pole.slug), *(("service", s) for s in services)}
    assert set(AuditEntry.objects.filter(action="deleted", model="content.service")
               .values_list("object_repr", flat=True)) and AuditEntry.objects.filter(
        action="deleted", model="content.pole").count() == 1


def test_publish_and_unpublish_are_logged_once_and_audited(demo, editor):
    from kiosk.server.audit.models import AuditEntry
    from kiosk.server.content.actions import do_publish, do_unpublish
    from kiosk.server.content.models import InfoPage

    page = InfoPage.objects.filter(site=demo).first()
    since = cursor(demo)
    assert do_unpublish(page, editor) is True
    assert do_unpublish(page, editor) is False  # already a draft: nothing happens
    assert do_publish(page, editor) is True
    assert changes(demo, since) == [("page", page.slug, False)] * 2
    assert list(AuditEntry.objects.filter(object_id=str(page.pk), model="content.infopage")
                .order_by("pk").values_list("changes", flat=True)) == [
        {"published": [True, False]}, {"published": [False, True]}]


def test_a_pending_proposal_cannot_be_published_by_do_publish(demo, editor):
    from django.core.exceptions import ValidationError

    from kiosk.server.content.actions import do_publish
    from kiosk.server.content.contributions import submit_contribution
    from kiosk.server.content.models import Offer

    offer, _ = submit_contribution(demo, {"title": "Troc de graines", "category": "swap"},
                                   via="phone")
    with pytest.raises(ValidationError):
        do_publish(offer, editor)
    assert Offer.objects.get(pk=offer.pk).published is False and offer.published is False


def test_every_content_model_has_exactly_the_three_changelog_receivers():
    from django.db.models.signals import post_delete, post_save, pre_save

    from kiosk.server.content import signals
    from kiosk.server.content.kinds import KINDS

    for kind in KINDS:
        for signal, receiver in ((pre_save, signals._before_save),
                                 (post_save, signals._after_save),
                                 (post_delete, signals._after_delete)):
            ours = [r for r in signal._live_receivers(kind.model)[0]
                    if getattr(r, "__module__", "").startswith("kiosk.server.content")]
            assert ours == [receiver], (kind.name, signal)


def test_an_admin_subclass_still_builds_its_translated_fields():
    """`super(type(self), self)` recursed forever in a subclass of a content admin."""
    from django.contrib import admin

    from kiosk.server.content.admin import OfferAdmin
    from kiosk.server.content.forms import TranslationsField
    from kiosk.server.content.models import Offer

    class LocalOfferAdmin(OfferAdmin):
        pass

    model_admin = LocalOfferAdmin(Offer, admin.AdminSite())
    field = model_admin.formfield_for_dbfield(Offer._meta.get_field("title"), request=None)
    assert isinstance(field, TranslationsField) and field.required
    link = model_admin.formfield_for_dbfield(Offer._meta.get_field("link"), request=None)
    assert link.assume_scheme == "https"


# -- imports -------------------------------------------------------------------------------


def module_imports(path: Path) -> set[str]:
    """The kiosk.server.content modules a file imports when it is loaded (module level)."""
    found = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "kiosk.server.content":
                found.update(f"kiosk.server.content.{a.name}" for a in node.names)
            elif node.module.startswith("kiosk.server.content."):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names
                         if a.name.startswith("kiosk.server.content."))
    return found


def content_graph() -> dict[str, set[str]]:
    graph = {}
    for path in CONTENT.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        graph[name.removesuffix(".__init__")] = module_imports(path)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                found.append([*stack[stack.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle_among_the_content_modules():
    graph = content_graph()
    assert "kiosk.server.content.plans_admin" in graph["kiosk.server.content.admin"]
    assert cycles(graph) == []
