"""A ticket's documents and carnet code (TicketFolder), and the carnets visitors keep.

No name, no phone number anywhere here: a carnet is a code, a link and the procedures of
the tickets that joined it (each with its checklist and the agent's fiche de liaison).
"""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone


def new_carnet_token() -> str:
    """192 random bits: the carnet's link, which nobody can guess or enumerate."""
    return secrets.token_urlsafe(24)


class Carnet(models.Model):
    """What a visitor chose to keep (explicit consent on the ticket's phone page). Belongs
    to the town hall (site) where it was created: only its agents and kiosks see it. Erased
    by the visitor at any time, or by the nightly purge CARNET_RETENTION_DAYS after its
    last use (a new visit, a fiche, the visitor opening it)."""

    site = models.ForeignKey("content.Site", on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=10, unique=True)  # kiosk/domain/carnet_code.py
    token = models.CharField(max_length=64, unique=True, default=new_carnet_token,
                             editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "carnet"
        verbose_name_plural = "carnets"

    def __str__(self) -> str:
        return f"carnet {self.code[:3]}…"


class TicketFolder(models.Model):
    """One ticket's procedure: the documents checklist as the kiosk showed it (a snapshot:
    a later content edit changes no ticket), its carnet code, the carnet it joined, and the
    agent's fiche de liaison. Goes with its ticket (CASCADE) and with its carnet: erasing a
    carnet erases its procedures (services.erase_carnet keeps today's open ticket's list)."""

    ticket = models.OneToOneField("queueing.Ticket", on_delete=models.CASCADE,
                                  primary_key=True, related_name="folder")
    # [{"doc": key or "", "text": {lang: name}, "have": bool}], at most 20 (wire.py).
    documents = models.JSONField(default=list, blank=True)
    carnet_code = models.CharField(max_length=10, db_index=True)
    carnet = models.ForeignKey(Carnet, null=True, blank=True, on_delete=models.CASCADE,
                               related_name="folders")
    # The fiche de liaison (kiosk/domain/fiche.py): keys of the controlled lists, the
    # indexes of the documents still missing, an optional note (cleaned, ≤ 500 chars).
    fiche_status = models.CharField(max_length=24, blank=True, default="")
    fiche_next = models.CharField(max_length=24, blank=True, default="")
    fiche_missing = models.JSONField(default=list, blank=True)
    fiche_note = models.TextField(blank=True, default="")
    fiche_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "dossier de ticket"
        verbose_name_plural = "dossiers de ticket"

    def __str__(self) -> str:
        return f"dossier {self.ticket_id}"

    @property
    def has_fiche(self) -> bool:
        return bool(self.fiche_status or self.fiche_next or self.fiche_note)
