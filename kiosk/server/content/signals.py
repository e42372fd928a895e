"""The change log follows every write of a content row: one call per signal, no other work
(the rows a write changes besides its own are the actions' business: actions.py)."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save, pre_save

from kiosk.server.content import changelog
from kiosk.server.content.kinds import KINDS


def _before_save(sender, instance, **kwargs):
    changelog.remember(instance)


def _after_save(sender, instance, created=False, **kwargs):
    changelog.saved(instance, created)


def _after_delete(sender, instance, **kwargs):
    changelog.deleted(instance)


def connect() -> None:
    """Connect the three receivers to every kind's model (ContentConfig.ready)."""
    for kind in KINDS:
        pre_save.connect(_before_save, sender=kind.model, dispatch_uid=f"content-{kind.name}-pre")
        post_save.connect(_after_save, sender=kind.model, dispatch_uid=f"content-{kind.name}-post")
        post_delete.connect(_after_delete, sender=kind.model,
                            dispatch_uid=f"content-{kind.name}-del")
