"""Agents' roles, per site: an agent of the 19e has no power over the 20e."""

from django.conf import settings
from django.db import models


class Role(models.TextChoices):
    COUNTER = "counter", "Agent de guichet"
    EDITOR = "editor", "Éditeur de contenu"
    MODERATOR = "moderator", "Modérateur"
    ADMIN = "admin", "Administrateur du site"


class SiteMembership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="memberships")
    site = models.ForeignKey("content.Site", on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("user", "site"), name="one_role_per_site")]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.site}"


def sites_where(user, *roles: str):
    """The sites where `user` holds one of `roles` (site admins hold them all)."""
    from kiosk.server.content.models import Site

    if not user.is_authenticated:
        return Site.objects.none()
    return Site.objects.filter(
        memberships__user=user, memberships__role__in=(*roles, Role.ADMIN)
    ).distinct()
