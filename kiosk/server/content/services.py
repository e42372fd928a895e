"""Content service functions: the change log and the delta a kiosk pulls."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F

from kiosk.server.content.models import (
    Announcement,
    Asset,
    Closure,
    ContentChange,
    ContentVersion,
    FloorPlan,
    InfoPage,
    NearbyPlace,
    Offer,
    Pole,
    Service,
    Site,
    Situation,
)

# In the order a delta lists them: poles first (a service names its pole), floor plans
# before the services that name them, services before the situations that name them.
KIND_MODELS = {m.KIND: m for m in (Pole, FloorPlan, Service, Situation, NearbyPlace, InfoPage,
                                   Offer, Closure, Announcement, Asset)}


def do_record_change(site_id: int, kind: str, key: str, deleted: bool = False) -> int:
    """Append a change for (kind, key) and return its seq.

    The UPDATE on the site's version row holds a row lock until commit, so two editors'
    changes commit in seq order and a kiosk never skips one.
    """
    with transaction.atomic():
        ContentVersion.objects.get_or_create(site_id=site_id)
        ContentVersion.objects.filter(site_id=site_id).update(seq=F("seq") + 1)
        seq = ContentVersion.objects.values_list("seq", flat=True).get(site_id=site_id)
        ContentChange.objects.create(site_id=site_id, seq=seq, kind=kind, key=key, deleted=deleted)
    return seq


def current_cursor(site: Site) -> int:
    return ContentVersion.objects.filter(site=site).values_list("seq", flat=True).first() or 0


def etag_for(site: Site, cursor: int) -> str:
    return f'"s{site.pk}-c{cursor}"'


@dataclass(frozen=True)
class Delta:
    cursor: int
    items: list[dict]
    deleted: list[dict]
    full: bool
    more: bool


def has_drafts(model) -> bool:
    """Whether agents can keep objects of this model as drafts (a `published` field)."""
    return any(f.name == "published" for f in model._meta.concrete_fields)


def live(queryset):
    """What kiosks and phone pages may show: published objects; for a service, its pole
    published too (a draft pole hides its services: docs/protocol.md, Drafts)."""
    if has_drafts(queryset.model):
        queryset = queryset.filter(published=True)
    if queryset.model is Service:
        queryset = queryset.filter(pole__published=True)
    return queryset


def _items(site: Site, kind: str, keys: set[str] | None = None) -> list[dict]:
    # A draft (or a service of a draft pole) reads as deleted to the kiosks.
    qs = live(KIND_MODELS[kind].objects.filter(site=site))
    if kind == "service":
        qs = qs.select_related("pole")
    if kind == "asset":
        # A plan's image travels inside its `plan` item: an older kiosk would reject the
        # whole delta for an asset kind it does not know.
        qs = qs.exclude(kind="plan")
    if kind == "plan":
        qs = qs.select_related("image")
    if keys is not None:
        qs = qs.filter(slug__in=keys)
    return [{"kind": kind, "data": obj.to_wire()} for obj in qs]


def content_delta(site: Site, since: int | None) -> Delta:
    """What a kiosk holding `since` needs; a full snapshot when it holds nothing."""
    if since is None or since <= 0 or since > current_cursor(site):
        # No cursor, or one from another server life: start over from a full snapshot.
        with transaction.atomic():
            cursor = current_cursor(site)
            items = [item for kind in KIND_MODELS for item in _items(site, kind)]
        return Delta(cursor=cursor, items=items, deleted=[], full=True, more=False)

    page = settings.CONTENT_DELTA_PAGE
    changes = list(
        ContentChange.objects.filter(site=site, seq__gt=since)
        .order_by("seq")
        .values_list("seq", "kind", "key")[: page + 1]
    )
    more = len(changes) > page
    changes = changes[:page]
    if not changes:
        return Delta(cursor=since, items=[], deleted=[], full=False, more=False)
    cursor = changes[-1][0]
    touched: dict[str, set[str]] = {}
    for _, kind, key in changes:
        touched.setdefault(kind, set()).add(key)
    items, deleted = [], []
    for kind in KIND_MODELS:  # poles first: a service names its pole
        keys = touched.get(kind, set())
        if not keys:
            continue
        present = _items(site, kind, keys)
        items += present
        alive = {item["data"]["id"] for item in present}
        deleted += [{"kind": kind, "id": key} for key in sorted(keys - alive)]
    return Delta(cursor=cursor, items=items, deleted=deleted, full=False, more=more)
