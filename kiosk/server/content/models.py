"""Content the kiosks show: sites, poles, services; and the change log kiosks sync from."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MaxValueValidator
from django.db import models

from kiosk.domain.content import (
    ANNOUNCEMENT_LEVELS,
    ASSET_KINDS,
    ASSET_TYPES,
    OFFER_CATEGORIES,
    OFFER_SOURCES,
    PLACE_KINDS,
    ContentError,
    check_interests,
)
from kiosk.domain.content import Announcement as AnnouncementItem
from kiosk.domain.content import Asset as AssetItem
from kiosk.domain.content import Closure as ClosureItem
from kiosk.domain.content import FloorPlan as PlanItem
from kiosk.domain.content import InfoPage as PageItem
from kiosk.domain.content import NearbyPlace as PlaceItem
from kiosk.domain.content import Offer as OfferItem
from kiosk.domain.content import Pole as PoleItem
from kiosk.domain.content import Service as ServiceItem
from kiosk.domain.content import Situation as SituationItem
from kiosk.domain.languages import DEFAULT_LANGUAGE, localized


def audio_field():
    """Recorded read-aloud per language (Wolof, Bambara: espeak-ng has no voice for them)."""
    return models.JSONField(
        default=dict, blank=True,
        help_text='Lecture enregistrée par langue, fichiers WAV de assets/audio : {"wo": "x-wo.wav"}')


PUBLISHED_HELP = ("Décoché : un brouillon, invisible sur les bornes et les pages pour téléphone "
                  "(les bornes le suppriment à la synchronisation suivante). Vérifiez-le avec "
                  "« Aperçu borne » avant de le publier.")


def published_field():
    """The draft / published switch of every kind of content agents edit (docs/protocol.md:
    a draft reads as deleted to the kiosks). True by default for code and the demo content;
    the back-office starts a new object as a draft (kiosk/server/content/admin.py)."""
    return models.BooleanField(default=True, verbose_name="publié", help_text=PUBLISHED_HELP)


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
    KIND = "pole"  # the content kind on the wire (docs/protocol.md)

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
            "audio": self.audio,
        }

    def clean(self) -> None:
        try:
            PoleItem.from_wire(self.to_wire())
        except ContentError as exc:
            raise ValidationError(str(exc)) from exc


class Service(TranslatedModel):
    KIND = "service"

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
        try:
            ServiceItem.from_wire(self.to_wire())
        except ContentError as exc:
            raise ValidationError(str(exc)) from exc


class Situation(TranslatedModel):
    """A life situation ("Je déménage") leading to several services, in order.

    `services` is an ordered JSON list of service slugs rather than a many-to-many: the
    order matters (the first step first), it is exactly the wire shape, and one save is one
    change-log row (an M2M is written after the save, by separate signals). Integrity is
    kept by hand: `clean()` checks every slug against the site's services, and the content
    signals rewrite the lists when a service is renamed or deleted.
    """

    KIND = "situation"

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
    audio = audio_field()

    class Meta:
        ordering = ("site", "order", "slug")
        verbose_name = "situation de vie"
        verbose_name_plural = "situations de vie"
        constraints = [
            models.UniqueConstraint(fields=("site", "slug"), name="situation_unique_slug")
        ]

    def __str__(self) -> str:
        return self.text("name")

    def to_wire(self) -> dict:
        return {
            "id": self.slug,
            "order": self.order,
            "pictogram": self.pictogram,
            "name": self.name,
            "summary": self.summary,
            "services": self.services,
            "documents": self.documents,
            "audio": self.audio,
        }

    def clean(self) -> None:
        try:
            SituationItem.from_wire(self.to_wire())
        except ContentError as exc:
            raise ValidationError(str(exc)) from exc
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

    class Meta:
        ordering = ("site", "order", "walking_minutes", "slug")
        verbose_name = "lieu à proximité"
        verbose_name_plural = "lieux à proximité"
        constraints = [
            models.UniqueConstraint(fields=("site", "slug"), name="place_unique_slug")
        ]

    def __str__(self) -> str:
        return self.text("name")

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
        }

    def clean(self) -> None:
        try:
            PlaceItem.from_wire(self.to_wire())
        except ContentError as exc:
            raise ValidationError(str(exc)) from exc


class InfoPage(TranslatedModel):
    """A page of information shown from the kiosk's home, such as the Carte Citoyenne."""

    KIND = "page"

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

    def __str__(self) -> str:
        return self.text("title")

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

    def clean(self) -> None:
        try:
            PageItem.from_wire(self.to_wire())
        except ContentError as exc:
            raise ValidationError(str(exc)) from exc


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

    def clean(self) -> None:
        try:
            ClosureItem.from_wire(self.to_wire())
        except ContentError as exc:
            raise ValidationError(str(exc)) from exc


class Announcement(TranslatedModel):
    """A banner on the kiosks' home, shown in its window: information or urgent."""

    KIND = "announcement"

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

    def __str__(self) -> str:
        return self.text("message")

    def to_wire(self) -> dict:
        from django.utils import timezone

        def local(value):
            # Kiosks compare wall-clock times of the mairie: send local, naive.
            return timezone.localtime(value).replace(tzinfo=None).isoformat() if value else None

        return {"id": self.slug, "order": self.order, "level": self.level, "text": self.message,
                "starts_at": local(self.starts_at), "ends_at": local(self.ends_at)}

    def clean(self) -> None:
        try:
            AnnouncementItem.from_wire(self.to_wire())
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


ASSET_KIND_LABELS = {"pictogram": "pictogramme", "audio": "lecture enregistrée (WAV)",
                     "plan": "image d'un plan d'étage"}


class Asset(models.Model):
    """A pictogram or a recording agents uploaded (validated by kiosk/server/content/assets.py).
    The bytes live once, content-addressed, at <data dir>/assets/<sha256>.<ext>; content names
    the asset by its slug, and kiosks fetch it by hash (GET /api/v1/assets/<sha256>)."""

    KIND = "asset"

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="assets")
    slug = models.SlugField(
        help_text="Le nom que le contenu utilise : le pictogramme « naissance », ou pour un "
                  "enregistrement « naissance-wo » (fichier naissance-wo.wav)")
    kind = models.CharField(max_length=10, default="pictogram",
                            choices=[(k, ASSET_KIND_LABELS[k]) for k in ASSET_KINDS])
    sha256 = models.CharField(max_length=64, editable=False)
    size = models.PositiveIntegerField(default=0, editable=False)
    content_type = models.CharField(max_length=40, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("site", "kind", "slug")
        verbose_name = "pictogramme ou son"
        verbose_name_plural = "pictogrammes et sons"
        constraints = [models.UniqueConstraint(fields=("site", "slug"), name="asset_unique_slug")]
        indexes = [models.Index(fields=("site", "sha256"))]

    def __str__(self) -> str:
        return self.slug

    @property
    def path(self):
        """Where the bytes are: <data dir>/assets/<sha256>.<ext> (shared by every site)."""
        from pathlib import Path

        return Path(settings.DATA_DIR) / "assets" / f"{self.sha256}.{ASSET_TYPES.get(self.content_type, 'bin')}"

    def to_wire(self) -> dict:
        return {"id": self.slug, "kind": self.kind, "sha256": self.sha256, "size": self.size,
                "type": self.content_type}

    def clean(self) -> None:
        try:
            AssetItem.from_wire(self.to_wire())
        except ContentError as exc:
            raise ValidationError(str(exc)) from exc


class FloorPlan(TranslatedModel):
    """A floor plan of the site: its image (an Asset of kind "plan", content-addressed like
    the pictograms) and its landmarks (`hotspots`). A service names it by slug in `plan`."""

    KIND = "plan"

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="plans")
    slug = models.SlugField(help_text="Le nom que les services utilisent : « rdc », « etage1 »")
    order = models.PositiveSmallIntegerField(default=0)
    name = models.JSONField(default=dict)
    published = published_field()
    image = models.ForeignKey(
        Asset, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        limit_choices_to={"kind": "plan"},
        help_text="Vide : les bornes montrent le plan livré avec elles sous ce nom, s'il existe")
    hotspots = models.JSONField(
        default=list, blank=True,
        help_text='Repères : [{"id": "accueil", "x": 0.12, "y": 0.8, "label": {"fr": "Accueil"}, '
                  '"icon": "info"}] (x, y de 0 à 1 depuis le coin haut gauche ; icon facultatif)')

    class Meta:
        ordering = ("site", "order", "slug")
        verbose_name = "plan d'étage"
        verbose_name_plural = "plans d'étage"
        constraints = [models.UniqueConstraint(fields=("site", "slug"), name="plan_unique_slug")]

    def __str__(self) -> str:
        return self.text("name")

    def to_wire(self) -> dict:
        image = self.image
        return {
            "id": self.slug,
            "order": self.order,
            "name": self.name,
            "image": None if image is None else {
                "sha256": image.sha256, "size": image.size, "type": image.content_type},
            "hotspots": self.hotspots,
        }

    def clean(self) -> None:
        try:
            PlanItem.from_wire(self.to_wire())
        except ContentError as exc:
            raise ValidationError({"hotspots" if "hotspot" in str(exc) else NON_FIELD_ERRORS:
                                   str(exc)}) from exc
        if self.image_id and self.site_id and self.image.site_id != self.site_id:
            raise ValidationError({"image": "cette image est celle d'un autre site"})
        if self.image_id and self.image.kind != "plan":
            raise ValidationError({"image": "choisissez une image de plan d'étage"})
