"""Queues: counters, per-day ticket sequences, tickets, idempotency records."""

from __future__ import annotations

import re
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from kiosk.domain.priorities import priority_choices
from kiosk.domain.tickets import TicketStatus, format_ticket_number
from kiosk.server.queueing.phone_vault import EncryptedPhoneField


def new_public_token() -> str:
    """128 bits of randomness: a phone link nobody can guess or enumerate."""
    return secrets.token_urlsafe(16)


_PUBLIC_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,43}")


def is_public_token(value: str) -> bool:
    """Shape check before any query: junk (NUL bytes, huge strings) is a 404, never a 500."""
    return isinstance(value, str) and _PUBLIC_TOKEN.fullmatch(value) is not None


class Counter(models.Model):
    """A guichet: serves some services of its site; open or closed, by its agent.

    Its timetable (docs/queues.md, counter timetables) says when it is planned to serve;
    the agent opens it, pauses it and closes it from the console (is_open follows them)."""

    site = models.ForeignKey("content.Site", on_delete=models.CASCADE, related_name="counters")
    name = models.CharField(max_length=50, verbose_name="nom")
    services = models.ManyToManyField("content.Service", related_name="counters", blank=True)
    is_open = models.BooleanField(default=True, verbose_name="ouvert")
    # The wire format of a service's hours and exceptions; [] = no timetable: open while
    # is_open, with no planned end.
    hours = models.JSONField(default=list, blank=True, verbose_name="horaires de la semaine")
    exceptions = models.JSONField(default=list, blank=True, verbose_name="jours particuliers")
    paused_until = models.DateTimeField(null=True, blank=True, verbose_name="en pause jusqu'à")
    closed_on = models.DateField(null=True, blank=True, verbose_name="fermé le")
    # When the agent last opened it or came back from a pause: the start of its idleness.
    opened_at = models.DateTimeField(null=True, blank=True, verbose_name="ouvert à")

    class Meta:
        ordering = ("site", "name")
        verbose_name = "guichet"
        verbose_name_plural = "guichets"
        constraints = [models.UniqueConstraint(fields=("site", "name"), name="counter_unique_name")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from kiosk.domain.content import ContentError
        from kiosk.domain.timetable import parse_exceptions, parse_hours

        errors = {}
        for name, parse in (("hours", parse_hours), ("exceptions", parse_exceptions)):
            try:
                parse(getattr(self, name))
            except ContentError as exc:
                errors[name] = str(exc)
        if errors:
            raise ValidationError(errors)


class CounterEvent(models.Model):
    """When a counter's agent opened it, paused (until when), came back or closed it: the
    estimator learns the gap before a call only from when the agent was there to call
    (docs/queues.md, what the server feeds the estimator)."""

    class Kind(models.TextChoices):
        OPEN = "open", "Ouverture"
        PAUSE = "pause", "Pause"
        BACK = "back", "Retour"
        CLOSE = "close", "Fermeture"

    counter = models.ForeignKey(Counter, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)
    until = models.DateTimeField(null=True, blank=True)  # the announced end of a pause

    class Meta:
        indexes = [models.Index(fields=("counter", "at"))]

    def __str__(self) -> str:
        return f"{self.counter_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class TicketSequence(models.Model):
    """The last number issued for a service on a day; bumped with F() inside the issuing transaction."""

    service = models.ForeignKey("content.Service", on_delete=models.CASCADE)
    day = models.DateField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("service", "day"), name="one_sequence_per_service_day")
        ]


# Priority categories (docs/queues.md): served first, under the fair rule; declared once in
# kiosk.domain.priorities (the kiosk and the API read the same list).
Priority = models.TextChoices(
    "Priority", [((key or "none").upper(), (key, label)) for key, label in priority_choices()])


class Ticket(models.Model):
    Status = models.TextChoices("Status", [(s.name, s.value) for s in TicketStatus])

    site = models.ForeignKey("content.Site", on_delete=models.CASCADE, related_name="tickets")
    service = models.ForeignKey("content.Service", on_delete=models.PROTECT, related_name="tickets")
    # The service that issued the number: a transfer changes `service`, never this.
    issued_service = models.ForeignKey("content.Service", on_delete=models.PROTECT,
                                       related_name="+", null=True)
    day = models.DateField()
    number = models.PositiveIntegerField()
    prefix = models.CharField(max_length=1)
    status = models.CharField(max_length=12, choices=Status.choices, default=TicketStatus.WAITING)
    public_token = models.CharField(max_length=32, unique=True, default=new_public_token,
                                    editable=False)
    language = models.CharField(max_length=5, default="fr")
    # The visitor used read-aloud at the kiosk (TicketIn.help_reading): the agent's console
    # shows it beside the ticket, so that nothing is handed to them in writing alone.
    help_reading = models.BooleanField(default=False)
    kiosk = models.ForeignKey("devices.Kiosk", null=True, blank=True, on_delete=models.SET_NULL)
    counter = models.ForeignKey(Counter, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    called_at = models.DateTimeField(null=True, blank=True)
    # When the queue drew this ticket (call next / out of turn), not re-stamped by a recall
    # or a resume: the priority rule's history counts draws, not repetitions.
    drawn_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    priority = models.CharField(max_length=12, choices=Priority.choices, default="", blank=True)
    # The place in the queue: the issue time, kept across a transfer or a park/resume,
    # moved back once by "I need more time".
    queued_at = models.DateTimeField(default=timezone.now, db_index=True)
    parked_at = models.DateTimeField(null=True, blank=True)
    recalls = models.PositiveSmallIntegerField(default=0)
    postponed = models.BooleanField(default=False)
    transferred_from = models.ForeignKey("content.Service", null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="+")
    estimate_at_issue = models.PositiveIntegerField(null=True, blank=True)
    # What the visitor was told at issue (kiosk.domain.wait.shown_wait): the p20-p80 range
    # and whether it was a number, "stay in the hall" (soon) or "we may not reach you today".
    wait_low_at_issue = models.PositiveIntegerField(null=True, blank=True)
    wait_high_at_issue = models.PositiveIntegerField(null=True, blank=True)
    wait_status_at_issue = models.CharField(max_length=10, blank=True, default="")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    # Personal data: E.164 number for the SMS, erased when the ticket closes (and nightly);
    # stored encrypted under a key of the day the purge destroys (phone_vault.py).
    phone = EncryptedPhoneField(max_length=200, blank=True, default="")
    sms_consent_at = models.DateTimeField(null=True, blank=True)
    # Issued by a kiosk without network, from a NumberLease; uploaded later with its number
    # and its issue time (docs/queues.md, offline tickets).
    offline = models.BooleanField(default=False)

    class Meta:
        ordering = ("day", "service", "number")
        constraints = [
            # The safety net under the sequence: never two C042 on one day.
            models.UniqueConstraint(fields=("issued_service", "day", "number"),
                                    name="ticket_unique_issued_number_per_day"),
        ]
        indexes = [models.Index(fields=("service", "day", "status"))]

    def __str__(self) -> str:
        return self.display

    @property
    def display(self) -> str:
        return format_ticket_number(self.prefix, self.number)


class IdempotencyRecord(models.Model):
    """A kiosk's write, remembered by its Idempotency-Key: a replay gets the first answer.

    One row per key and kiosk, whatever the endpoint (tickets, leases, offline uploads,
    assistance, contributions: kiosk/server/api/idempotency.py): the key is bound to the
    fingerprint of the first request (method, path, canonical JSON body), and the first
    answer is kept as sent, so that every replay answers exactly it, and the same key with
    another request answers 422."""

    kiosk = models.ForeignKey("devices.Kiosk", on_delete=models.CASCADE)
    key = models.UUIDField()
    ticket = models.ForeignKey(Ticket, null=True, on_delete=models.CASCADE)
    created_at = models.DateTimeField(auto_now_add=True)
    # sha256 hex of the first request; "" for records made before fingerprints.
    fingerprint = models.CharField(max_length=64, blank=True, default="")
    # The first answer as sent (JSON text) and its status; "" until the answer is known.
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("kiosk", "key"), name="idempotency_unique_key")
        ]


class NumberLease(models.Model):
    """Numbers [first, last] of a service's sequence on `day`, reserved for one kiosk: it
    issues them while offline and uploads each ticket later (POST /api/v1/tickets with
    `offline`). Online tickets skip them: the lease bumped the sequence past `last`."""

    kiosk = models.ForeignKey("devices.Kiosk", on_delete=models.CASCADE, related_name="leases")
    service = models.ForeignKey("content.Service", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    first = models.PositiveIntegerField()
    last = models.PositiveIntegerField()
    prefix = models.CharField(max_length=1)
    idempotency_key = models.UUIDField(null=True, blank=True)
    # sha256 hex of the request that made the lease (kiosk/server/api/idempotency.py).
    fingerprint = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("day", "service", "first")
        constraints = [
            models.UniqueConstraint(fields=("kiosk", "idempotency_key"),
                                    name="lease_unique_idempotency_key"),
            models.CheckConstraint(condition=models.Q(first__lte=models.F("last")),
                                   name="lease_first_le_last"),
        ]
        indexes = [models.Index(fields=("kiosk", "service", "day"))]

    def __str__(self) -> str:
        return f"{self.prefix}{self.first:03d}-{self.prefix}{self.last:03d} ({self.day})"


class QueueVersion(models.Model):
    """A per-site number bumped in the transaction of every queue change (docs/queues.md,
    conditional polling): the polled pages (phone, counter console, display board) answer
    304 Not Modified while it has not moved, before any heavy query. In the database, so
    every gunicorn worker and every server sees the same value."""

    site = models.OneToOneField("content.Site", on_delete=models.CASCADE, primary_key=True,
                                related_name="queue_version")
    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.site_id}: {self.version}"
