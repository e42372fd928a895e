"""Who may see and act on what the public submitted (residents' offers, visitors' comments
and questions): the moderators and admins of its site, and superusers. One mixin for every
moderation admin, so the rule is written once."""

from __future__ import annotations

from django.contrib import admin

from kiosk.server.accounts.models import Role, sites_where


class ModeratedBySite(admin.ModelAdmin):
    """Rows carry `site_id`; moderation is reading and deciding, never adding or deleting."""

    def moderated_site_ids(self, request) -> set[int] | None:
        """None: every site (superuser); else the sites this user moderates (per request)."""
        if request.user.is_superuser:
            return None
        if not hasattr(request, "_moderated_sites"):
            request._moderated_sites = set(
                sites_where(request.user, Role.MODERATOR).values_list("pk", flat=True))  # type: ignore[arg-type]  # a TextChoices member: Django's types are not installed
        return request._moderated_sites

    def may_moderate(self, request, obj=None) -> bool:
        if not (request.user.is_active and request.user.is_staff):
            return False
        sites = self.moderated_site_ids(request)
        if sites is None:
            return True
        return bool(sites) if obj is None else obj.site_id in sites

    def scoped(self, request, queryset):
        """`queryset` narrowed to the sites this user moderates."""
        sites = self.moderated_site_ids(request)
        return queryset if sites is None else queryset.filter(site_id__in=sites)

    def has_module_permission(self, request):
        return self.may_moderate(request)

    def has_view_permission(self, request, obj=None):
        return self.may_moderate(request, obj)

    def has_change_permission(self, request, obj=None):
        return self.may_moderate(request, obj)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
