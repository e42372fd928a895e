"""Every save or delete of kiosk content appends to the site's change log."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from kiosk.server.content.models import (
    Announcement,
    Asset,
    Closure,
    FloorPlan,
    InfoPage,
    NearbyPlace,
    Offer,
    Pole,
    Service,
    Situation,
)
from kiosk.server.content.services import do_record_change

CONTENT_MODELS = (Pole, Service, Situation, NearbyPlace, InfoPage, Offer, Closure, Announcement,
                  Asset, FloorPlan)


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
        if hasattr(instance, "published"):
            instance._old_published = sender.objects.filter(pk=instance.pk).values_list(
                "published", flat=True).first()
        if sender is Asset:
            instance._old_kind = sender.objects.filter(pk=instance.pk).values_list(
                "kind", flat=True).first()


def _plan_image(sender, instance) -> bool:
    """A floor plan's image: it travels in its `plan` item, never as an `asset` item, so
    it logs no `asset` change (unless it was another kind of asset until now)."""
    return (sender is Asset and instance.kind == "plan"
            and getattr(instance, "_old_kind", None) in (None, "plan"))


def _draft_all_along(instance, created: bool) -> bool:
    """A draft saved as a draft (a new one, a resident's pending proposal...): no kiosk ever
    had it, so nothing changed for them and the site's content cursor stays put."""
    if getattr(instance, "published", True):
        return False
    return created or getattr(instance, "_old_published", None) is False


@_each(post_save)
def content_saved(sender, instance, created=False, **kwargs):
    kind = sender.KIND
    old = getattr(instance, "_old_slug", None)
    if not (_plan_image(sender, instance) or _draft_all_along(instance, created)):
        if old and old != instance.slug:
            do_record_change(instance.site_id, kind, old, deleted=True)
        do_record_change(instance.site_id, kind, instance.slug)
    # Services carry their pole's slug, and a draft pole hides its services: they changed too.
    renamed = bool(old) and old != instance.slug
    toggled = kind == "pole" and getattr(instance, "_old_published", None) not in (
        None, instance.published)
    if kind == "pole" and (renamed or toggled):
        for service in instance.services.all():
            do_record_change(instance.site_id, "service", service.slug)
    if kind == "service" and old and old != instance.slug:
        # Situations name their services by slug: follow the rename.
        _rewrite_situations(instance.site_id, old, instance.slug)
    if kind == "asset":
        # A floor plan carries its image's hash: new bytes change the plan too.
        for slug in FloorPlan.objects.filter(image=instance).values_list("slug", flat=True):
            do_record_change(instance.site_id, "plan", slug)
    if kind == "plan" and old and old != instance.slug:
        # Services name their plan by slug: follow the rename (each save logs its change).
        for service in Service.objects.filter(site_id=instance.site_id, plan=old):
            service.plan = instance.slug
            service.save()


@_each(post_delete)
def content_deleted(sender, instance, **kwargs):
    if not (sender is Asset and instance.kind == "plan"):  # never sent as an asset item
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
