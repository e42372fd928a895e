"""What every content model builds on: the site, translated texts, the draft switch, the
change log kiosks sync from."""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import models

from kiosk.domain.content_wire import ContentError
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
    """Text fields are JSON objects {"fr": ..., "en": ...}; French is required.

    `ITEM`: the kiosk's type of this content (kiosk.domain.content), whose `from_wire` the
    item must pass: what a kiosk would refuse is refused on saving, in the back-office's
    words (clean()). `TITLE`: the text field that names a row (str()).
    """

    ITEM: ClassVar[Any] = None
    TITLE: ClassVar[str] = "name"

    class Meta:
        abstract = True

    def text(self, field: str, lang: str = DEFAULT_LANGUAGE) -> str:
        return localized(getattr(self, field), lang)

    def __str__(self) -> str:
        return self.text(self.TITLE)

    def to_wire(self) -> dict:
        raise NotImplementedError

    def clean(self) -> None:
        if self.ITEM is None:
            return
        try:
            self.ITEM.from_wire(self.to_wire())
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


