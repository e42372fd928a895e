"""The visitor's voice: how it went (a face, 1 to 5) and what visitors write to the agents.

`Feedback`: one face per ticket (phone page) or per kiosk answer (kiosk button), with the
service (or only the pole, from the kiosk) it was about. No personal data: no name, no
contact; the ticket link only enforces "one answer per ticket".
`Remark`: a text a visitor wrote, either the comment of a feedback or a question for the
agents. Nobody outside the back-office reads it before a moderator keeps it; a moderator
may write an answer and publish both on the site's public page (/avis/<site>/).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from kiosk.domain.voice import FACES


class Feedback(models.Model):
    site = models.ForeignKey("content.Site", on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey("content.Service", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    pole = models.ForeignKey("content.Pole", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    # One answer per ticket (the phone page); kiosk answers have none.
    ticket = models.OneToOneField("queueing.Ticket", null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="feedback")
    face = models.PositiveSmallIntegerField(choices=[(f, str(f)) for f in FACES])
    language = models.CharField(max_length=5, default="fr")
    via = models.CharField(max_length=8, choices=[("phone", "téléphone"), ("kiosk", "borne")])
    kiosk = models.ForeignKey("devices.Kiosk", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    idempotency_key = models.UUIDField(null=True, blank=True, unique=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = "avis"
        verbose_name_plural = "avis"
        indexes = [models.Index(fields=("site", "created_at"))]

    def __str__(self) -> str:
        return f"{self.face}/5 ({self.created_at:%d/%m/%Y})"


class Remark(models.Model):
    KINDS = [("comment", "commentaire"), ("question", "question")]
    # "erased": not published, its text erased after VOICE_COMMENT_RETENTION_DAYS (the
    # nightly purge, services.purge_remarks); the face of its feedback stays.
    STATUSES = [("pending", "à modérer"), ("kept", "accepté"), ("rejected", "refusé"),
                ("erased", "effacé (durée de conservation)")]

    site = models.ForeignKey("content.Site", on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey("content.Service", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=8, choices=KINDS)
    feedback = models.OneToOneField(Feedback, null=True, blank=True, on_delete=models.CASCADE,
                                    related_name="remark")
    ticket = models.ForeignKey("queueing.Ticket", null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    text = models.TextField()
    language = models.CharField(max_length=5, default="fr")
    via = models.CharField(max_length=8, default="phone")
    status = models.CharField(max_length=8, choices=STATUSES, default="pending")
    answer = models.TextField(blank=True)
    published = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    moderated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    moderated_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.UUIDField(null=True, blank=True, unique=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = "message de visiteur"
        verbose_name_plural = "messages de visiteurs"
        indexes = [models.Index(fields=("site", "published", "published_at"))]

    def __str__(self) -> str:
        return self.text[:60]
