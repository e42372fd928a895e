"""Every save or delete of kiosk content appends to the site's change log."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from kiosk.server.content.models import (
    Announcement,
    Asset,
    Closure,
    InfoPage,
    NearbyPlace,
    Offer,
    Pole,
    Service,
    Situation,
)
from kiosk.server.content.services import do_record_change

CONTENT_MODELS = (Pole, Service, Situation, NearbyPlace, InfoPage, Offer, Closure, Announcement,
                  Asset)


def _each(signal):
    """Connect one receiver to the signal of every content model."""
    def decorate(fn):
        for model in CONTENT_MODELS:
            receiver(signal, sender=model)(fn)
        return fn
    return decorate


@_each(pre_save)
def remember_old_slug(sender, instance, **kwargs):
    # A renamed slug is a deletion of the old id for the kiosks.
    if instance.pk:
        instance._old_slug = sender.objects.filter(pk=instance.pk).values_list(
            "slug", flat=True
        ).first()


@_each(post_save)
def content_saved(sender, instance, **kwargs):
    kind = sender.KIND
    old = getattr(instance, "_old_slug", None)
    if old and old != instance.slug:
        do_record_change(instance.site_id, kind, old, deleted=True)
    do_record_change(instance.site_id, kind, instance.slug)
    if kind == "pole" and old and old != instance.slug:
        # Services carry their pole's slug: they changed too.
        for service in instance.services.all():
            do_record_change(instance.site_id, "service", service.slug)
    if kind == "service" and old and old != instance.slug:
        # Situations name their services by slug: follow the rename.
        _rewrite_situations(instance.site_id, old, instance.slug)


@_each(post_delete)
def content_deleted(sender, instance, **kwargs):
    do_record_change(instance.site_id, sender.KIND, instance.slug, deleted=True)
    if sender is Service:
        _rewrite_situations(instance.site_id, instance.slug, None)


def _rewrite_situations(site_id: int, old: str, new: str | None) -> None:
    """Replace (or drop, when new is None) a service slug in the site's situations; each
    situation saved this way logs its own change, so kiosks get the new list."""
    for situation in Situation.objects.filter(site_id=site_id):
        if old not in situation.services:
            continue
        services = []
        for slug in situation.services:
            slug = new if slug == old else slug
            if slug is not None and slug not in services:
                services.append(slug)
        situation.services = services
        situation.save()
