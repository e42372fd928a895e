"""A native speaker's review of one translated text (issue 13: say what is true).

Every translation starts as a draft, whatever its language: the demo's were not written by
native speakers. An editor who has had one text read by a native speaker marks it reviewed
on the translations page. The review holds the hash of the exact text read: when the text
changes, the review no longer matches and the text is a draft again, with nothing to reset.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models


def text_hash(text: str) -> str:
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()


class TranslationReview(models.Model):
    site = models.ForeignKey("content.Site", on_delete=models.CASCADE, related_name="+")
    model = models.CharField(max_length=100, help_text="ex. « content.service »")
    object_id = models.PositiveBigIntegerField()
    field = models.CharField(max_length=60, help_text="ex. « summary » ou « documents 2 »")
    language = models.CharField(max_length=8)
    text_sha256 = models.CharField(max_length=64, help_text="le texte relu (il a pu changer depuis)")
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "relecture d'une traduction"
        verbose_name_plural = "relectures des traductions"
        constraints = [models.UniqueConstraint(
            fields=("model", "object_id", "field", "language"), name="one_review_per_text")]

    def __str__(self) -> str:
        return f"{self.model} {self.object_id} {self.field} [{self.language}]"
