"""Writes of content: one action per write, in one transaction with what follows from it.

Each `do_*` saves or deletes, rewrites the rows that name the object by slug (a renamed or
deleted service in the situations, a renamed floor plan in its services), and writes the
audit log; the change log rows (and the push to the kiosks' long-polls) come with every
save through changelog.py. Callers check permissions first (the back-office's
SiteScopedAdmin, the moderation); `user` None is a command (the demo loader, the nightly
purge): no audit row, as for any change nobody made from a screen.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import router, transaction
from django.db.models.deletion import Collector

from kiosk.server.audit import services as audit
from kiosk.server.content.kinds import KINDS
from kiosk.server.content.models import FloorPlan, Service, Site, Situation

# Who names whom by slug rather than by a foreign key: (model, field, named model, a list?).
SLUG_REFERENCES = (
    (Situation, "services", Service, True),  # the steps of a life situation, in order
    (Service, "plan", FloorPlan, False),  # the floor plan the service is on
)


def do_save_content(obj, user=None):
    """Save `obj` (new or changed), follow a renamed slug in the rows naming it, and audit
    the creation or the fields that changed. Returns `obj`."""
    model = type(obj)
    with transaction.atomic():
        before = model._default_manager.select_for_update().filter(pk=obj.pk).first() \
            if obj.pk else None
        obj.save()
        if before is not None and getattr(before, "slug", None) != getattr(obj, "slug", None):
            _follow_rename(obj, before.slug, user)
        if user is not None:
            if before is None:
                audit.record(user, obj, "created")
            else:
                changes = audit.diff(audit.snapshot(before), audit.snapshot(obj))
                if changes:
                    audit.record(user, obj, "changed", changes)
    return obj


def do_rename_slug(obj, slug: str, user=None):
    """Give `obj` a new slug: kiosks get a deletion of the old id and the new item, and the
    rows naming it follow (do_save_content)."""
    obj.slug = slug
    obj.full_clean()
    return do_save_content(obj, user)


def do_delete_content(objs, user=None) -> int:
    """Delete one object or several, with what the database deletes with them (a pole's
    services...): each audited, and dropped from the lists naming it. Returns how many."""
    objs = [objs] if not isinstance(objs, list | tuple) else list(objs)
    if not objs:
        return 0
    with transaction.atomic():
        gone = with_cascade(objs)
        if user is not None:
            for obj in gone:
                audit.record(user, obj, "deleted")
        for obj in objs:
            obj.delete()
        for obj in gone:
            _drop_references(obj, user)
    return len(gone)


def do_publish(obj, user=None) -> bool:
    """Publish a draft (checked as a whole first: a resident's proposal is published by
    approving it). False when it already was; ValidationError when it may not be."""
    return _set_published(obj, True, user)


def do_unpublish(obj, user=None) -> bool:
    """Return `obj` to draft: kiosks drop it at their next sync. False when it already was."""
    return _set_published(obj, False, user)


def _set_published(obj, value: bool, user) -> bool:
    if obj.published == value:
        return False
    obj.published = value
    if value:
        try:
            obj.clean()
        except ValidationError:
            obj.published = not value
            raise
    with transaction.atomic():
        obj.save(update_fields=["published"])
        if user is not None:
            audit.record(user, obj, "changed", {"published": [not value, value]})
    return True


def with_cascade(objs: list) -> list:
    """The objects and the content deleted with them (a pole's services...)."""
    collector = Collector(using=router.db_for_write(type(objs[0])))
    collector.collect(objs)
    seen = {(type(obj), obj.pk) for obj in objs}
    logged = (Site, *KINDS.models())
    extra = [obj for model, instances in collector.data.items() if model in logged
             for obj in instances if (model, obj.pk) not in seen]
    return [*objs, *extra]


def _follow_rename(obj, old: str, user) -> None:
    for model, field, named, many in SLUG_REFERENCES:
        if named is type(obj):
            _rewrite(model, field, many, obj.site_id, old, obj.slug, user)


def _drop_references(obj, user) -> None:
    for model, field, named, many in SLUG_REFERENCES:
        if named is type(obj) and many:  # a service keeps a deleted plan's name (bundled)
            _rewrite(model, field, many, obj.site_id, obj.slug, None, user)


def _rewrite(model, field: str, many: bool, site_id: int, old: str, new: str | None,
             user) -> None:
    """Replace (or drop, when `new` is None) a slug in the site's rows naming it; each row
    saved this way logs its own change, so kiosks get the new value."""
    for row in model.objects.filter(site_id=site_id).select_for_update():
        value = getattr(row, field)
        if many:
            if old not in value:
                continue
            renamed = []
            for slug in value:
                slug = new if slug == old else slug
                if slug is not None and slug not in renamed:
                    renamed.append(slug)
        elif value == old:
            renamed = new or ""  # type: ignore[assignment]  # a text field: a str
        else:
            continue
        setattr(row, field, renamed)
        do_save_content(row, user)
