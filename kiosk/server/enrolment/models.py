"""A one-time enrolment code: an agent creates it for a site, a new kiosk spends it once
(POST /api/v1/enrol) to get its token. Only a hash of the code is stored, like tokens."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone


class EnrolmentCode(models.Model):
    site = models.ForeignKey("content.Site", on_delete=models.CASCADE, related_name="+")
    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    code_hint = models.CharField(max_length=4, editable=False, help_text="premier groupe")
    kiosk_name = models.CharField(
        max_length=100, blank=True,
        help_text="Nom de la future borne (ex. « Hall d'entrée ») ; vide : le nom de la machine")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    # Who spent it: the machine's address and host name, and the kiosk it became.
    used_from = models.CharField(max_length=64, blank=True)
    hostname = models.CharField(max_length=100, blank=True)
    kiosk = models.ForeignKey("devices.Kiosk", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = "code de provisionnement"
        verbose_name_plural = "codes de provisionnement"

    def __str__(self) -> str:
        return f"{self.code_hint}-…  ({self.site})"

    def state(self, now: dt.datetime | None = None) -> str:
        """'used', 'revoked', 'expired' or 'valid'."""
        if self.used_at is not None:
            return "used"
        if self.revoked_at is not None:
            return "revoked"
        if (now or timezone.now()) >= self.expires_at:
            return "expired"
        return "valid"
