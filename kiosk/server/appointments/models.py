"""Appointments of the day per service: imported (iCalendar, CSV), pushed by a booking
system, checked in at the kiosk into the appointment lane (docs/queues.md)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import models
from django.utils import timezone

from kiosk.domain.appointments import CODE_DIGITS


class Appointment(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", "Réservé"
        CHECKED_IN = "checked_in", "Arrivé"
        CALLED = "called", "Appelé"
        DONE = "done", "Terminé"
        NO_SHOW = "no_show", "Absent"
        CANCELLED = "cancelled", "Annulé"

    site = models.ForeignKey("content.Site", on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey("content.Service", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    start = models.TimeField(verbose_name="heure (heure du site)")
    duration_minutes = models.PositiveSmallIntegerField(default=20, verbose_name="durée (min)")
    code = models.CharField(max_length=CODE_DIGITS, verbose_name="code de présentation")
    # Only the initials: the kiosk checks in by them and the time; no full name is kept.
    initials = models.CharField(max_length=4, blank=True, default="", verbose_name="initiales")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.BOOKED)
    # The ticket given at check-in: in the appointment lane (in_lane) or, checked in after
    # the grace, in the service's normal queue.
    ticket = models.OneToOneField("queueing.Ticket", null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="appointment")
    in_lane = models.BooleanField(default=False)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    # The booking system's id (push API, iCalendar UID, CSV column): re-sending it updates.
    external_id = models.CharField(max_length=200, blank=True, default="")
    source = models.CharField(max_length=8, default="manual")  # ical csv api manual
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("day", "start", "pk")
        verbose_name = "rendez-vous"
        verbose_name_plural = "rendez-vous"
        constraints = [
            models.UniqueConstraint(fields=("site", "day", "code"), name="appointment_code_day"),
            models.UniqueConstraint(fields=("site", "external_id"),
                                    condition=~models.Q(external_id=""),
                                    name="appointment_external_id"),
        ]
        indexes = [models.Index(fields=("site", "day", "status"))]

    def __str__(self) -> str:
        return f"{self.day} {self.start:%H:%M} {self.code}"

    def starts_at(self) -> dt.datetime:
        """The slot's start, aware, in the site's zone."""
        return timezone.make_aware(dt.datetime.combine(self.day, self.start))


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class BookingKeyManager(models.Manager):
    def create_key(self, site, name: str) -> tuple[BookingKey, str]:
        """A new key; the clear text is returned once, only its hash is kept."""
        clear = "rdv_" + secrets.token_urlsafe(24)
        return self.create(site=site, name=name, key_hash=_hash(clear), prefix=clear[:8]), clear

    def authenticate(self, clear: str) -> BookingKey | None:
        if not clear or len(clear) > 100:
            return None
        return self.filter(key_hash=_hash(clear), revoked_at__isnull=True).select_related(
            "site").first()


class BookingKey(models.Model):
    """An API key of a booking system, for one site (push of appointments)."""

    site = models.ForeignKey("content.Site", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100, verbose_name="système de réservation")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=8, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name="révoquée le")

    objects = BookingKeyManager()

    class Meta:
        verbose_name = "clé d'API de réservation"
        verbose_name_plural = "clés d'API de réservation"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
