"""Every save or delete of kiosk content appends to the site's change log."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from kiosk.server.content.models import Pole, Service
from kiosk.server.content.services import do_record_change


@receiver(pre_save, sender=Pole)
@receiver(pre_save, sender=Service)
def remember_old_slug(sender, instance, **kwargs):
    # A renamed slug is a deletion of the old id for the kiosks.
    if instance.pk:
        instance._old_slug = sender.objects.filter(pk=instance.pk).values_list(
            "slug", flat=True
        ).first()


@receiver(post_save, sender=Pole)
@receiver(post_save, sender=Service)
def content_saved(sender, instance, **kwargs):
    kind = sender.__name__.lower()
    old = getattr(instance, "_old_slug", None)
    if old and old != instance.slug:
        do_record_change(instance.site_id, kind, old, deleted=True)
    do_record_change(instance.site_id, kind, instance.slug)
    if kind == "pole" and old and old != instance.slug:
        # Services carry their pole's slug: they changed too.
        for service in instance.services.all():
            do_record_change(instance.site_id, "service", service.slug)


@receiver(post_delete, sender=Pole)
@receiver(post_delete, sender=Service)
def content_deleted(sender, instance, **kwargs):
    do_record_change(instance.site_id, sender.__name__.lower(), instance.slug, deleted=True)
