"""The delta a kiosk pulls (its items from KINDS), the cursor and what may be shown (live)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from kiosk.server.content.kinds import KINDS
from kiosk.server.content.models import ContentChange, ContentVersion, Site


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


def live(queryset):
    """What kiosks and phone pages may show: published objects; for a service, its pole
    published too (a draft pole hides its services: docs/protocol.md, Drafts)."""
    return KINDS.of(queryset.model).live(queryset)


def _items(site: Site, kind: str, keys: set[str] | None = None) -> list[dict]:
    # A draft (or a service of a draft pole) reads as deleted to the kiosks.
    qs = KINDS[kind].sent(KINDS[kind].model.objects.filter(site=site))
    if keys is not None:
        qs = qs.filter(slug__in=keys)
    return [{"kind": kind, "data": obj.to_wire()} for obj in qs]


def content_delta(site: Site, since: int | None) -> Delta:
    """What a kiosk holding `since` needs; a full snapshot when it holds nothing."""
    if since is None or since <= 0 or since > current_cursor(site):
        # No cursor, or one from another server life: start over from a full snapshot.
        with transaction.atomic():
            cursor = current_cursor(site)
            items = [item for kind in KINDS.names() for item in _items(site, kind)]
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
    for kind in KINDS.names():  # poles first: a service names its pole
        keys = touched.get(kind, set())
        if not keys:
            continue
        present = _items(site, kind, keys)
        items += present
        alive = {item["data"]["id"] for item in present}
        deleted += [{"kind": kind, "id": key} for key in sorted(keys - alive)]
    return Delta(cursor=cursor, items=items, deleted=deleted, full=False, more=more)
