"""Uploaded files and what shows them: pictograms and recordings (assets), floor plans."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models

from kiosk.domain.content import (
    ASSET_KINDS,
    ASSET_TYPES,
    ContentError,
)
from kiosk.domain.content import Asset as AssetItem
from kiosk.domain.content import FloorPlan as PlanItem
from kiosk.server.content.models.base import Site, TranslatedModel, published_field

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
