"""The guide of the mairie: poles, their services, life situations, nearby places and
information pages."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models

from kiosk.domain.content import (
    PLACE_KINDS,
)
from kiosk.domain.content import InfoPage as PageItem
from kiosk.domain.content import NearbyPlace as PlaceItem
from kiosk.domain.content import Pole as PoleItem
from kiosk.domain.content import Service as ServiceItem
from kiosk.domain.content import Situation as SituationItem
from kiosk.domain.documents import to_wire as documents_wire
from kiosk.server.content.models.base import Site, TranslatedModel, audio_field, published_field


class Pole(TranslatedModel):
    KIND = "pole"
    ITEM = PoleItem  # the content kind on the wire (docs/protocol.md)

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="poles")
    slug = models.SlugField()
    published = published_field()
    order = models.PositiveSmallIntegerField(default=0)
    color = models.CharField(max_length=7, help_text="#RRGGBB; white text must be readable on it")
    pictogram = models.SlugField()
    name = models.JSONField(default=dict)
    summary = models.JSONField(default=dict, blank=True)
    audio = audio_field()

    class Meta:
        ordering = ("site", "order", "slug")
        constraints = [models.UniqueConstraint(fields=("site", "slug"), name="pole_unique_slug")]

    def to_wire(self) -> dict:
        return {
            "id": self.slug,
            "order": self.order,
            "color": self.color,
            "pictogram": self.pictogram,
            "name": self.name,
            "summary": self.summary,
            "audio": self.audio,
        }



class Service(TranslatedModel):
    KIND = "service"
    ITEM = ServiceItem

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="services")
    pole = models.ForeignKey(Pole, on_delete=models.CASCADE, related_name="services")
    slug = models.SlugField()
    published = published_field()
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
    plan = models.SlugField(
        blank=True, default="",
        help_text="Plan d'étage du site (« Plans d'étage ») ; vide : pas de plan")
    plan_x = models.FloatField(null=True, blank=True,
                               help_text="Position sur le plan, de 0 (gauche) à 1 (droite)")
    plan_y = models.FloatField(null=True, blank=True,
                               help_text="Position sur le plan, de 0 (haut) à 1 (bas)")
    audio = audio_field()
    exceptions = models.JSONField(
        default=list, blank=True,
        help_text='Jours particuliers : [{"from": "2026-12-24", "to": "2026-12-24", '
                  '"hours": [{"open": "08:30", "close": "12:00"}], "reason": {"fr": "Veille de Noël"}}] '
                  '(sans "hours" : fermé). Les fermetures de tout le site : « Fermetures ».')

    class Meta:
        ordering = ("site", "pole__order", "order", "slug")
        constraints = [
            models.UniqueConstraint(fields=("site", "slug"), name="service_unique_slug")
        ]

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
            **documents_wire(self.documents),
            "ticketing": self.ticketing,
            "mean_service_minutes": self.mean_service_minutes,
            "plan": self.plan,
            "plan_x": self.plan_x,
            "plan_y": self.plan_y,
            "audio": self.audio,
            "exceptions": self.exceptions,
        }

    def clean(self) -> None:
        if not self.pole_id:
            return  # the form reports the missing pole on its field
        if self.site_id and self.pole.site_id != self.site_id:
            raise ValidationError("the pole belongs to another site")
        super().clean()


class Situation(TranslatedModel):
    """A life situation ("Je déménage") leading to several services, in order.

    `services` is an ordered JSON list of service slugs rather than a many-to-many: the
    order matters (the first step first), it is exactly the wire shape, and one save is one
    change-log row (an M2M is written after the save, by separate signals). Integrity is
    kept by hand: `clean()` checks every slug against the site's services, and the content
    signals rewrite the lists when a service is renamed or deleted.
    """

    KIND = "situation"
    ITEM = SituationItem

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="situations")
    slug = models.SlugField()
    published = published_field()
    order = models.PositiveSmallIntegerField(default=0)
    pictogram = models.SlugField()
    name = models.JSONField(default=dict)
    summary = models.JSONField(default=dict, blank=True)
    services = models.JSONField(
        default=list, blank=True,
        help_text='Identifiants des services, dans l\'ordre : ["naissance", "relais-familles"]')
    documents = models.JSONField(default=list, blank=True, help_text='[{"fr": "...", "en": "..."}]')
    tips = models.JSONField(
        default=list, blank=True, verbose_name="bons plans, trucs et astuces",
        help_text='Une ou deux phrases chacun, 12 au plus : [{"fr": "Venez le mardi matin : '
                  'moins d\'attente.", "en": "..."}]')
    audio = audio_field()

    class Meta:
        ordering = ("site", "order", "slug")
        verbose_name = "situation de vie"
        verbose_name_plural = "situations de vie"
        constraints = [
            models.UniqueConstraint(fields=("site", "slug"), name="situation_unique_slug")
        ]

    def to_wire(self) -> dict:
        return {
            "id": self.slug,
            "order": self.order,
            "pictogram": self.pictogram,
            "name": self.name,
            "summary": self.summary,
            "services": self.services,
            **documents_wire(self.documents),
            "audio": self.audio,
            "tips": self.tips,
        }

    def clean(self) -> None:
        super().clean()
        if self.site_id:
            known = set(Service.objects.filter(site_id=self.site_id).values_list("slug", flat=True))
            unknown = [s for s in self.services if s not in known]
            if unknown:
                raise ValidationError(
                    {"services": f"services inconnus sur ce site : {', '.join(unknown)}"})


PLACE_KIND_LABELS = {"park": "parc", "library": "bibliothèque", "cafe": "café",
                     "culture": "culture", "sport": "sport", "shop": "commerce", "other": "autre"}


class NearbyPlace(TranslatedModel):
    """Somewhere pleasant to wait near the mairie, with its walking time."""

    KIND = "place"
    ITEM = PlaceItem

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="places")
    slug = models.SlugField()
    published = published_field()
    order = models.PositiveSmallIntegerField(default=0)
    name = models.JSONField(default=dict)
    summary = models.JSONField(default=dict, blank=True)
    kind = models.CharField(max_length=10, default="other",
                            choices=[(k, PLACE_KIND_LABELS[k]) for k in PLACE_KINDS])
    address = models.CharField(max_length=300, blank=True)
    walking_minutes = models.PositiveSmallIntegerField(
        default=5, validators=[MaxValueValidator(60)],
        help_text="À pied depuis la porte de la mairie, en minutes (0 à 60)")
    pictogram = models.SlugField()
    plan = models.SlugField(
        blank=True, default="",
        help_text="Le plan du quartier (« Plans d'étage », ex. « quartier ») ; vide : pas de point")
    plan_x = models.FloatField(null=True, blank=True,
                               help_text="Position sur le plan, de 0 (gauche) à 1 (droite)")
    plan_y = models.FloatField(null=True, blank=True,
                               help_text="Position sur le plan, de 0 (haut) à 1 (bas)")

    class Meta:
        ordering = ("site", "order", "walking_minutes", "slug")
        verbose_name = "lieu à proximité"
        verbose_name_plural = "lieux à proximité"
        constraints = [
            models.UniqueConstraint(fields=("site", "slug"), name="place_unique_slug")
        ]

    def to_wire(self) -> dict:
        return {
            "id": self.slug,
            "order": self.order,
            "name": self.name,
            "summary": self.summary,
            "kind": self.kind,
            "address": self.address,
            "walking_minutes": self.walking_minutes,
            "pictogram": self.pictogram,
            "plan": self.plan,
            "plan_x": self.plan_x,
            "plan_y": self.plan_y,
        }



class InfoPage(TranslatedModel):
    """A page of information shown from the kiosk's home, such as the Carte Citoyenne."""

    KIND = "page"
    ITEM = PageItem
    TITLE = "title"

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="pages")
    slug = models.SlugField(help_text="« carte-citoyenne » : la page de la Carte Citoyenne")
    published = published_field()
    order = models.PositiveSmallIntegerField(default=0)
    pictogram = models.SlugField()
    title = models.JSONField(default=dict)
    summary = models.JSONField(default=dict, blank=True)
    body = models.JSONField(default=list, blank=True,
                            help_text='Paragraphes : [{"fr": "...", "en": "..."}, ...]')
    link = models.URLField(blank=True, max_length=500,
                           help_text="Adresse https:// montrée en QR code (commande, détails)")
    link_label = models.JSONField(default=dict, blank=True)
    audio = audio_field()

    class Meta:
        ordering = ("site", "order", "slug")
        verbose_name = "page d'information"
        verbose_name_plural = "pages d'information"
        constraints = [models.UniqueConstraint(fields=("site", "slug"), name="page_unique_slug")]

    def to_wire(self) -> dict:
        return {
            "id": self.slug,
            "order": self.order,
            "pictogram": self.pictogram,
            "title": self.title,
            "summary": self.summary,
            "body": self.body,
            "link": self.link,
            "link_label": self.link_label,
            "audio": self.audio,
        }

