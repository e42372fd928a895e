"""Kiosks and their bearer tokens (only a hash of the token is stored), and the last
heartbeat each kiosk sent (version, content cursor, outbox depth, printer, last error)."""

from __future__ import annotations

import datetime as dt
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


# A kiosk sends a heartbeat every minute or so; without news for this long it is "stale".
STALE_AFTER_SECONDS = 180


class PrinterState(models.TextChoices):
    OK = "ok", "Imprimante OK"
    ABSENT = "absent", "Imprimante absente"
    PAPER_OUT = "paper_out", "Plus de papier"
    ERROR = "error", "Erreur imprimante"
    UNKNOWN = "", "Inconnu"


class Kiosk(models.Model):
    site = models.ForeignKey("content.Site", on_delete=models.CASCADE, related_name="kiosks")
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_hint = models.CharField(max_length=8, editable=False, help_text="first characters")
    active = models.BooleanField(default=True, help_text="Untick to revoke the token at once")
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    # The last heartbeat (POST /api/v1/heartbeat); nothing personal in any of these.
    last_heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)
    version = models.CharField(max_length=40, blank=True, editable=False,
                               help_text="kiosk software version")
    content_cursor = models.CharField(max_length=40, blank=True, editable=False,
                                      help_text="content cursor the kiosk holds")
    outbox_depth = models.PositiveIntegerField(default=0, editable=False,
                                               help_text="requests waiting to be sent")
    printer_state = models.CharField(max_length=20, blank=True, editable=False,
                                     choices=PrinterState.choices)
    printer_detail = models.CharField(max_length=200, blank=True, editable=False)
    last_error = models.CharField(max_length=300, blank=True, editable=False)
    last_error_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Content long-polls that failed on the kiosk's side (a bug, not the network) since it
    # started, and the last of them: the kiosk falls back to plain polling, agents see why.
    long_poll_errors = models.PositiveIntegerField(default=0, editable=False)
    last_long_poll_error = models.CharField(max_length=300, blank=True, editable=False)
    # Remote updates (docs/updates.md): a version chosen for this kiosk alone (else its
    # site's rollout), and what the kiosk last said about its update.
    target_release = models.ForeignKey("Release", null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="+",
                                       verbose_name="version cible (cette borne seule)")
    update_state = models.CharField(max_length=20, blank=True, editable=False)
    update_version = models.CharField(max_length=40, blank=True, editable=False)
    update_detail = models.CharField(max_length=200, blank=True, editable=False)
    update_state_at = models.DateTimeField(null=True, blank=True, editable=False)

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

    def is_stale(self, now: dt.datetime | None = None,
                 after_seconds: int = STALE_AFTER_SECONDS) -> bool:
        """No heartbeat yet, or none for more than `after_seconds`."""
        if self.last_heartbeat_at is None:
            return True
        now = now or timezone.now()
        return (now - self.last_heartbeat_at).total_seconds() > after_seconds


# -- remote updates (docs/updates.md) --------------------------------------------------------

class Release(models.Model):
    """A signed release bundle of the kiosk (kiosk/release/bundle.py), stored once,
    content-addressed, at <data dir>/releases/<sha256>.tar and fetched by kiosks by hash
    (GET /api/v1/releases/<sha256>). The server does not vouch for it: each kiosk checks
    the signature against its pinned key."""

    version = models.CharField(max_length=40, unique=True, editable=False)
    sha256 = models.CharField(max_length=64, unique=True, editable=False)
    size = models.PositiveBigIntegerField(editable=False)
    notes = models.CharField(max_length=200, blank=True, help_text="what changes, for agents")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-uploaded_at",)
        verbose_name = "version de la borne"
        verbose_name_plural = "versions de la borne"

    def __str__(self) -> str:
        return self.version

    @property
    def path(self):
        from pathlib import Path

        from django.conf import settings

        return Path(settings.DATA_DIR) / "releases" / f"{self.sha256}.tar"


class SiteRollout(models.Model):
    """The version a site's kiosks should run, staged: the pilot kiosk first, the others
    once the pilot confirmed it (first frame and first heartbeat on it); until then they
    keep `previous`. No pilot: every kiosk of the site at once."""

    site = models.OneToOneField("content.Site", on_delete=models.CASCADE, related_name="rollout")
    release = models.ForeignKey(Release, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+", verbose_name="version cible")
    pilot = models.ForeignKey("Kiosk", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name="borne pilote")
    previous = models.ForeignKey(Release, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", editable=False,
                                 verbose_name="version précédente")
    pilot_confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "déploiement d'une version"
        verbose_name_plural = "déploiements des versions"

    def __str__(self) -> str:
        return f"{self.site}: {self.release or '—'}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.pilot_id and self.site_id and self.pilot.site_id != self.site_id:
            raise ValidationError({"pilot": "La borne pilote doit être une borne de ce site."})

    def save(self, *args, **kwargs):
        # A new target starts a new stage: the others wait for the pilot again.
        old = SiteRollout.objects.filter(pk=self.pk).values_list(
            "release_id", "pilot_id").first() if self.pk else None
        if old is not None and (old[0] != self.release_id or old[1] != self.pilot_id):
            if old[0] != self.release_id:
                self.previous_id = old[0]
            self.pilot_confirmed_at = None
        super().save(*args, **kwargs)
