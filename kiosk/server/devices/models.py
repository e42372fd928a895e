"""Kiosks and their bearer tokens. Only a hash of the token is stored."""

from __future__ import annotations

import hashlib
import secrets

from django.db import models
from django.utils import timezone


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class KioskManager(models.Manager):
    def register(self, site, name: str, token: str | None = None) -> tuple[Kiosk, str]:
        """Create (or re-key) a kiosk; return it with its clear token, shown once."""
        token = token or secrets.token_urlsafe(32)
        kiosk, _ = self.update_or_create(
            site=site, name=name,
            defaults={"token_hash": hash_token(token), "token_hint": token[:4], "active": True},
        )
        return kiosk, token

    def authenticate(self, token: str) -> Kiosk | None:
        if not token:
            return None
        return self.select_related("site").filter(token_hash=hash_token(token), active=True).first()


class Kiosk(models.Model):
    site = models.ForeignKey("content.Site", on_delete=models.CASCADE, related_name="kiosks")
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_hint = models.CharField(max_length=8, editable=False, help_text="first characters")
    active = models.BooleanField(default=True, help_text="Untick to revoke the token at once")
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    objects = KioskManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=("site", "name"), name="kiosk_unique_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.site})"

    def seen(self) -> None:
        now = timezone.now()
        # Write at most once a minute: heartbeats must not turn every GET into a write.
        if self.last_seen_at is None or (now - self.last_seen_at).total_seconds() > 60:
            Kiosk.objects.filter(pk=self.pk).update(last_seen_at=now)
            self.last_seen_at = now
