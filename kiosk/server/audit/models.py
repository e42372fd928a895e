"""One row per content change made by an agent (back-office, moderation…)."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class AuditEntry(models.Model):
    """Who changed what, when. Append-only: nobody edits or deletes entries in the admin.

    `changes` is {field: [old, new]} for the changed fields of a change, and the full
    snapshot {field: value} of the object for a creation or a deletion. Fields named like
    secrets or personal contact data (token, phone, contact, password, secret) are never
    stored (kiosk/server/audit/services.py).
    """

    class Action(models.TextChoices):
        CREATED = "created", "création"
        CHANGED = "changed", "modification"
        DELETED = "deleted", "suppression"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    username = models.CharField(max_length=150, blank=True,
                                help_text="copie du nom, gardée si l'agent est supprimé")
    site = models.ForeignKey("content.Site", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    model = models.CharField(max_length=100, help_text="ex. « content.service »")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200)
    action = models.CharField(max_length=10, choices=Action.choices)
    changes = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ("-at", "-id")
        verbose_name = "entrée du journal"
        verbose_name_plural = "journal des modifications"
        indexes = [models.Index(fields=("site", "at"))]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username or '?'} {self.action} {self.object_repr}"
