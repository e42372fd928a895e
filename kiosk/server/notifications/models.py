"""The SMS outbox (DESIGN.md, Queues): one row per (ticket, kind), inserted in the same
transaction as the queue change that makes it true, sent by the worker, never twice.

The phone number is NOT copied here: the worker reads it from the ticket at send time, so
erasing it from the ticket (ticket closed, nightly purge) also cancels any unsent SMS.
"""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone


def new_ref() -> str:
    """The id of a row in Kannel's dlr-url: unguessable, so a forged report cannot land."""
    return secrets.token_hex(16)


class SmsMessage(models.Model):
    class Kind(models.TextChoices):
        NEAR = "near", "Bientôt votre tour"
        CALLED = "called", "Appelé au guichet"

    class Status(models.TextChoices):
        PENDING = "pending", "À envoyer"
        SENDING = "sending", "En cours d'envoi"
        SENT = "sent", "Accepté par la passerelle"
        DELIVERED = "delivered", "Remis au téléphone"
        FAILED = "failed", "Échec"
        UNKNOWN = "unknown", "Issue inconnue (jamais renvoyé)"
        CANCELLED = "cancelled", "Annulé (numéro effacé)"

    ticket = models.ForeignKey("queueing.Ticket", on_delete=models.CASCADE, related_name="sms")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    text = models.TextField()
    coding = models.CharField(max_length=5)  # gsm7 | ucs2
    segments = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING,
                              db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    ref = models.CharField(max_length=32, unique=True, default=new_ref, editable=False)
    detail = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # What the estimator said when the row was created (for the bench and the statistics).
    estimate_minutes = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = "SMS"
        constraints = [
            models.UniqueConstraint(fields=("ticket", "kind"), name="one_sms_per_ticket_and_kind")
        ]
        indexes = [models.Index(fields=("status", "next_attempt_at"))]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.ticket} — {self.get_status_display()}"
