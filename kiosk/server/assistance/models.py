"""A visitor at the kiosk asks for a person: the mobile agent ("agent volant") is alerted
on every counter console of the site and answers with "J'y vais"."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class AssistanceRequest(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "en attente"
        HANDLED = "handled", "pris en charge"
        EXPIRED = "expired", "expiré"  # nobody came in time; the visitor has surely gone

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    site = models.ForeignKey("content.Site", on_delete=models.CASCADE,
                             related_name="assistance_requests")
    kiosk = models.ForeignKey("devices.Kiosk", on_delete=models.CASCADE,
                              related_name="assistance_requests")
    language = models.CharField(max_length=5, default="fr")
    note = models.CharField(max_length=200, blank=True, default="",
                            help_text="court, facultatif (ex. « fauteuil roulant »)")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ("created_at", "pk")
        verbose_name = "appel d'un agent"
        verbose_name_plural = "appels d'un agent"
        constraints = [
            # The rate limit's safety net: one open request per kiosk, even under a race.
            models.UniqueConstraint(fields=("kiosk",), condition=models.Q(status="open"),
                                    name="one_open_assistance_per_kiosk"),
        ]
        indexes = [models.Index(fields=("site", "status"))]

    def __str__(self) -> str:
        return f"{self.kiosk} — {self.get_status_display()}"


class AssistanceKey(models.Model):
    """A kiosk's Idempotency-Key and the request it answered (a replay gets the same one)."""

    kiosk = models.ForeignKey("devices.Kiosk", on_delete=models.CASCADE)
    key = models.UUIDField()
    request = models.ForeignKey(AssistanceRequest, on_delete=models.CASCADE, related_name="keys")
    created_at = models.DateTimeField(auto_now_add=True)
    # sha256 hex of the request that sent the key (kiosk/server/api/idempotency.py).
    fingerprint = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("kiosk", "key"), name="assistance_unique_key")
        ]
