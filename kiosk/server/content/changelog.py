"""The site's content change log, the cursor kiosks sync from (docs/protocol.md).

Every write of a content row, whoever makes it (an action of kiosk/server/content/actions.py,
a command, a test through the ORM), reaches `remember`, `saved` and `deleted` through the
three receivers of signals.py: the log cannot miss a write. They only append log rows, for
the row itself and for the items that carry part of it (a pole's slug in its services, an
image's hash in its floor plan); changing other rows is the actions' job.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.db.models import F

from kiosk.server.content import push
from kiosk.server.content.kinds import KINDS
from kiosk.server.content.models import Asset, ContentChange, ContentVersion, FloorPlan


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
        # Waiting long-polls of this process look again at once rather than at their next
        # shared read (the others see the new seq at their next look, push.py).
        transaction.on_commit(partial(push.forget, site_id))
    return seq


def remember(instance) -> None:
    """Before a save: what the row was (a renamed slug is a deletion of the old id)."""
    if not instance.pk:
        return
    names = ["slug"] + [n for n in ("published", "kind") if _has(instance, n)]
    old = type(instance)._default_manager.filter(pk=instance.pk).values(*names).first() or {}
    instance._old_slug = old.get("slug")
    instance._old_published = old.get("published")
    instance._old_kind = old.get("kind")


def saved(instance, created: bool) -> None:
    """After a save: log the row's change, and those of the items carrying part of it."""
    kind = KINDS.of(instance).name  # type: ignore[union-attr]  # connected for KINDS models only
    site_id = instance.site_id
    old = getattr(instance, "_old_slug", None)
    renamed = bool(old) and old != instance.slug
    if not (_plan_image(instance) or _draft_all_along(instance, created)):
        if renamed:
            do_record_change(site_id, kind, old, deleted=True)  # type: ignore[arg-type]  # renamed: old is set
        do_record_change(site_id, kind, instance.slug)
    # A service carries its pole's slug, and a draft pole hides its services.
    toggled = getattr(instance, "_old_published", None) not in (
        None, getattr(instance, "published", None))
    for child in KINDS:
        for parent in child.hidden_by:
            if child.model._meta.get_field(parent).related_model is type(instance) and (
                    renamed or toggled):
                for slug in child.model.objects.filter(**{parent: instance}).values_list(
                        "slug", flat=True):
                    do_record_change(site_id, child.name, slug)
    if isinstance(instance, Asset):  # a floor plan carries its image's hash
        for slug in FloorPlan.objects.filter(image=instance).values_list("slug", flat=True):
            do_record_change(site_id, FloorPlan.KIND, slug)


def deleted(instance) -> None:
    """After a delete (cascades included): the kiosks drop the item."""
    if isinstance(instance, Asset) and instance.kind == "plan":
        return  # never sent as an asset item
    do_record_change(instance.site_id, KINDS.of(instance).name, instance.slug, deleted=True)  # type: ignore[union-attr]  # connected for KINDS models only


def _has(instance, name: str) -> bool:
    return any(f.name == name for f in instance._meta.concrete_fields)


def _plan_image(instance) -> bool:
    """A floor plan's image travels in its `plan` item, never as an `asset` item: it logs
    no `asset` change (unless it was another kind of asset until now)."""
    return (isinstance(instance, Asset) and instance.kind == "plan"
            and getattr(instance, "_old_kind", None) in (None, "plan"))


def _draft_all_along(instance, created: bool) -> bool:
    """A draft saved as a draft (a new one, a resident's pending proposal...): no kiosk ever
    had it, so nothing changed for them and the site's content cursor stays put."""
    if getattr(instance, "published", True):
        return False
    return created or getattr(instance, "_old_published", None) is False
