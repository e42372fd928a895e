"""Content with dates: offers (Carte Citoyenne, residents' proposals), closures and
announcements."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models

from kiosk.domain.content import (
    ANNOUNCEMENT_LEVELS,
    OFFER_CATEGORIES,
    OFFER_SOURCES,
    ContentError,
    check_interests,
)
from kiosk.domain.content import Announcement as AnnouncementItem
from kiosk.domain.content import Closure as ClosureItem
from kiosk.domain.content import Offer as OfferItem
from kiosk.server.content.models.base import Site, TranslatedModel, audio_field, published_field

OFFER_SOURCE_LABELS = {"carte": "Carte Citoyenne", "local": "offre locale d'habitants"}
OFFER_CATEGORY_LABELS = {
    "civic": "citoyenneté", "culture": "culture", "association": "vie associative",
    "sport": "sport", "food": "alimentation (AMAP…)", "swap": "troc, échange",
    "help": "entraide", "event": "événement"}


class Offer(TranslatedModel):
    """A Carte Citoyenne offer or a resident's local offer. Only published offers reach the
    kiosks: unpublishing one removes it from every kiosk at the next sync."""

    KIND = "offer"

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="offers")
    slug = models.SlugField()
    order = models.PositiveSmallIntegerField(default=0)
    source = models.CharField(max_length=10, default="local",
                              choices=[(k, OFFER_SOURCE_LABELS[k]) for k in OFFER_SOURCES])
    category = models.CharField(max_length=12, default="event",
                                choices=[(k, OFFER_CATEGORY_LABELS[k]) for k in OFFER_CATEGORIES])
    published = published_field()
    pictogram = models.SlugField()
    title = models.JSONField(default=dict)
    summary = models.JSONField(default=dict, blank=True)
    where = models.CharField(max_length=300, blank=True, help_text="Lieu et adresse")
    walking_minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(120)],
        help_text="À pied depuis la mairie, en minutes")
    starts = models.DateField(null=True, blank=True, help_text="Premier jour (vide : déjà en cours)")
    ends = models.DateField(null=True, blank=True, help_text="Dernier jour (vide : sans fin)")
    weekdays = models.JSONField(default=list, blank=True,
                                help_text="Jours de la semaine, 0 = lundi : [3] tous les jeudis")
    time = models.TimeField(null=True, blank=True, help_text="Heure de début")
    end_time = models.TimeField(null=True, blank=True, help_text="Heure de fin")
    age_min = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(120)])
    age_max = models.PositiveSmallIntegerField(null=True, blank=True,
                                               validators=[MaxValueValidator(120)])
    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="Places (vide : libre)")
    link = models.URLField(blank=True, max_length=500, help_text="Réservation ou détails (https://)")
    interests = models.JSONField(default=list, blank=True,
                                 help_text='Envies : ["nature", "culture", "solidarite"] '
                                           "(vocabulaire : kiosk/domain/content.py INTERESTS)")
    audio = audio_field()
    # Residents' contributions (kiosk/server/content/contributions.py) and their moderation.
    # `published` stays the one switch kiosks see: a pending offer is never published.
    status = models.CharField(
        max_length=10, default="approved",
        choices=[("pending", "à modérer"), ("approved", "acceptée"), ("rejected", "refusée")])
    reject_reason = models.CharField(max_length=300, blank=True,
                                     help_text="Motif du refus (pour l'équipe)")
    contributed = models.BooleanField(default=False, help_text="Proposée par un habitant")
    contact = models.CharField(
        max_length=200, blank=True,
        help_text="Contact laissé par l'habitant, vu des seuls modérateurs ; effacé au refus "
                  "ou à la fin de l'offre")
    contact_consent = models.BooleanField(default=False)
    submitted_at = models.DateTimeField(null=True, blank=True)
    moderated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    moderated_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.UUIDField(null=True, blank=True, unique=True, editable=False,
                                       help_text="Idempotency-Key of a kiosk's contribution")

    class Meta:
        ordering = ("site", "order", "starts", "slug")
        verbose_name = "offre"
        verbose_name_plural = "offres (Carte Citoyenne et habitants)"
        constraints = [models.UniqueConstraint(fields=("site", "slug"), name="offer_unique_slug")]

    def __str__(self) -> str:
        return self.text("title")

    def to_wire(self) -> dict:
        def hhmm(value):
            return value.strftime("%H:%M") if value else None

        return {
            "id": self.slug,
            "order": self.order,
            "source": self.source,
            "category": self.category,
            "pictogram": self.pictogram,
            "title": self.title,
            "summary": self.summary,
            "where": self.where,
            "walking_minutes": self.walking_minutes,
            "starts": self.starts.isoformat() if self.starts else None,
            "ends": self.ends.isoformat() if self.ends else None,
            "weekdays": self.weekdays,
            "time": hhmm(self.time),
            "end_time": hhmm(self.end_time),
            "age_min": self.age_min,
            "age_max": self.age_max,
            "capacity": self.capacity,
            "link": self.link,
            "interests": self.interests,
            "audio": self.audio,
        }

    def item(self) -> OfferItem:
        return OfferItem.from_wire(self.to_wire())

    def clean(self) -> None:
        try:
            self.item()
        except ContentError as exc:
            raise ValidationError(str(exc)) from exc
        try:
            check_interests(self.interests)  # the kiosk's fixed vocabulary of "envies"
        except ContentError as exc:
            raise ValidationError({"interests": str(exc)}) from exc
        if self.published and self.status != "approved":
            raise ValidationError({"published": "une proposition d'habitant est publiée en "
                                                "l'approuvant (propositions à modérer)"})


class Closure(TranslatedModel):
    """A site-wide exception to the opening hours: a public holiday, the mairie closed or
    open shorter (every service, or those listed)."""

    KIND = "closure"
    ITEM = ClosureItem

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="closures")
    slug = models.SlugField()
    published = published_field()
    starts = models.DateField(help_text="Premier jour")
    ends = models.DateField(null=True, blank=True, help_text="Dernier jour (vide : un seul jour)")
    hours = models.JSONField(
        default=list, blank=True,
        help_text='Horaires ce(s) jour(s)-là : [{"open": "08:30", "close": "12:00"}] ; vide : fermé')
    reason = models.JSONField(default=dict, blank=True)
    services = models.JSONField(default=list, blank=True,
                                help_text='Services concernés ; vide : toute la mairie')

    class Meta:
        ordering = ("site", "starts", "slug")
        verbose_name = "fermeture ou jour particulier"
        verbose_name_plural = "fermetures et jours particuliers"
        constraints = [models.UniqueConstraint(fields=("site", "slug"), name="closure_unique_slug")]

    def __str__(self) -> str:
        return self.text("reason") or self.slug

    def to_wire(self) -> dict:
        return {
            "id": self.slug,
            "from": self.starts.isoformat() if self.starts else None,
            "to": (self.ends or self.starts).isoformat() if self.starts else None,
            "hours": self.hours,
            "reason": self.reason,
            "services": self.services,
        }



class Announcement(TranslatedModel):
    """A banner on the kiosks' home, shown in its window: information or urgent."""

    KIND = "announcement"
    ITEM = AnnouncementItem
    TITLE = "message"

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="announcements")
    slug = models.SlugField()
    published = published_field()
    order = models.PositiveSmallIntegerField(default=0)
    level = models.CharField(max_length=10, default="info",
                             choices=[(k, {"info": "information", "urgent": "urgent"}[k])
                                      for k in ANNOUNCEMENT_LEVELS])
    message = models.JSONField(default=dict, help_text="280 caractères au plus par langue")
    starts_at = models.DateTimeField(null=True, blank=True, help_text="Début (vide : tout de suite)")
    ends_at = models.DateTimeField(null=True, blank=True, help_text="Fin (vide : jusqu'à retrait)")

    class Meta:
        ordering = ("site", "-level", "order", "slug")
        verbose_name = "annonce"
        constraints = [models.UniqueConstraint(fields=("site", "slug"),
                                               name="announcement_unique_slug")]

    def to_wire(self) -> dict:
        from django.utils import timezone

        def local(value):
            # Kiosks compare wall-clock times of the mairie: send local, naive.
            return timezone.localtime(value).replace(tzinfo=None).isoformat() if value else None

        return {"id": self.slug, "order": self.order, "level": self.level, "text": self.message,
                "starts_at": local(self.starts_at), "ends_at": local(self.ends_at)}

