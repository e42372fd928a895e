from django.contrib import admin

from kiosk.server.accounts.models import sites_where
from kiosk.server.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only for everyone, superusers included: the log is append-only. Superusers see
    every entry; a site admin sees the entries of their own sites only (Django's model
    permissions are not used)."""

    list_display = ("at", "username", "site", "action", "model", "object_repr")
    list_filter = (("site", admin.RelatedOnlyFieldListFilter), "model", "action",
                   ("user", admin.RelatedOnlyFieldListFilter))
    search_fields = ("object_repr",)
    date_hierarchy = "at"
    readonly_fields = ("at", "user", "username", "site", "model", "object_id", "object_repr",
                       "action", "changes")

    def _admin_site_ids(self, request):
        if not hasattr(request, "_audit_site_ids"):
            request._audit_site_ids = set(sites_where(request.user).values_list("pk", flat=True))
        return request._audit_site_ids

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(site_id__in=self._admin_site_ids(request))

    def has_module_permission(self, request):
        return request.user.is_active and (
            request.user.is_superuser or bool(self._admin_site_ids(request)))

    def has_view_permission(self, request, obj=None):
        if not self.has_module_permission(request):
            return False
        if obj is None or request.user.is_superuser:
            return True
        return obj.site_id in self._admin_site_ids(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
