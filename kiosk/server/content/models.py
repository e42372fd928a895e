"""Content the kiosks show: sites, poles, services; and the change log kiosks sync from."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from kiosk.domain.content import ContentError
from kiosk.domain.content import Pole as PoleItem
from kiosk.domain.content import Service as ServiceItem
from kiosk.domain.languages import DEFAULT_LANGUAGE, localized


class Site(models.Model):
    """A mairie (or any building with a kiosk and counters)."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=300, blank=True)
    sms_name = models.CharField(
        max_length=20, blank=True, help_text="nom court dans les SMS (ex. « Mairie 19e »)")
    # Queue settings (docs/queues.md).
    sms_threshold_minutes = models.PositiveSmallIntegerField(
        default=15, help_text="SMS « bientôt votre tour » quand l'attente estimée passe sous ce seuil")
    sms_max_position = models.PositiveSmallIntegerField(
        default=3, help_text="… ou quand il reste au plus ce nombre de personnes devant")
    no_show_grace_seconds = models.PositiveIntegerField(
        default=180, help_text="délai après l'appel avant de pouvoir marquer « absent »")
    postpone_places = models.PositiveSmallIntegerField(
        default=3, help_text="« J'ai besoin de plus de temps » recule le ticket de ces places (une fois)")

    class Meta:
        verbose_name = "site"

    def __str__(self) -> str:
        return self.name


class TranslatedModel(models.Model):
    """Text fields are JSON objects {"fr": ..., "en": ...}; French is required."""

    class Meta:
        abstract = True

    def text(self, field: str, lang: str = DEFAULT_LANGUAGE) -> str:
        return localized(getattr(self, field), lang)


class Pole(TranslatedModel):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="poles")
    slug = models.SlugField()
    order = models.PositiveSmallIntegerField(default=0)
    color = models.CharField(max_length=7, help_text="#RRGGBB; white text must be readable on it")
    pictogram = models.SlugField()
    name = models.JSONField(default=dict)
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("site", "order", "slug")
        constraints = [models.UniqueConstraint(fields=("site", "slug"), name="pole_unique_slug")]

    def __str__(self) -> str:
        return self.text("name")

    def to_wire(self) -> dict:
        return {
            "id": self.slug,
            "order": self.order,
            "color": self.color,
            "pictogram": self.pictogram,
            "name": self.name,
            "summary": self.summary,
        }

    def clean(self) -> None:
        try:
            PoleItem.from_wire(self.to_wire())
        except ContentError as exc:
            raise ValidationError(str(exc)) from exc


class Service(TranslatedModel):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="services")
    pole = models.ForeignKey(Pole, on_delete=models.CASCADE, related_name="services")
    slug = models.SlugField()
    order = models.PositiveSmallIntegerField(default=0)
    prefix = models.CharField(max_length=1, help_text="Ticket letter, e.g. C for C042")
    pictogram = models.SlugField()
    name = models.JSONField(default=dict)
    summary = models.JSONField(default=dict, blank=True)
    place = models.JSONField(default=dict, blank=True, help_text="Where to go in the building")
    hours = models.JSONField(
        default=list, blank=True,
        help_text='[{"days": [0,1,2,3,4], "open": "08:30", "close": "17:00"}] (0 = Monday)',
    )
    documents = models.JSONField(default=list, blank=True, help_text='[{"fr": "...", "en": "..."}]')
    ticketing = models.BooleanField(default=True, help_text="Visitors can take a ticket")
    mean_service_minutes = models.FloatField(default=10.0)

    class Meta:
        ordering = ("site", "pole__order", "order", "slug")
        constraints = [
            models.UniqueConstraint(fields=("site", "slug"), name="service_unique_slug")
        ]

    def __str__(self) -> str:
        return self.text("name")

    def to_wire(self) -> dict:
        return {
            "id": self.slug,
            "pole": self.pole.slug,
            "order": self.order,
            "prefix": self.prefix,
            "pictogram": self.pictogram,
            "name": self.name,
            "summary": self.summary,
            "place": self.place,
            "hours": self.hours,
            "documents": self.documents,
            "ticketing": self.ticketing,
            "mean_service_minutes": self.mean_service_minutes,
        }

    def clean(self) -> None:
        if self.pole_id and self.site_id and self.pole.site_id != self.site_id:
            raise ValidationError("the pole belongs to another site")
        try:
            ServiceItem.from_wire(self.to_wire())
        except ContentError as exc:
            raise ValidationError(str(exc)) from exc


class ContentVersion(models.Model):
    """One row per site; bumping it serialises content writers so cursors commit in order."""

    site = models.OneToOneField(Site, on_delete=models.CASCADE, related_name="content_version")
    seq = models.BigIntegerField(default=0)


class ContentChange(models.Model):
    """Append-only log: the kiosk's cursor is the seq of the last change it applied."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="content_changes")
    seq = models.BigIntegerField()
    kind = models.CharField(max_length=20)
    key = models.CharField(max_length=64)
    deleted = models.BooleanField(default=False)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("site", "seq"), name="content_change_unique_seq")
        ]
        indexes = [models.Index(fields=("site", "seq"))]
