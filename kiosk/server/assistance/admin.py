from django.contrib import admin

from kiosk.server.assistance.models import AssistanceRequest
from kiosk.server.clean_forms import cleaning_form


@admin.register(AssistanceRequest)
class AssistanceRequestAdmin(admin.ModelAdmin):
    list_display = ("created_at", "site", "kiosk", "language", "status", "handled_by", "handled_at")
    list_filter = ("site", "status")
    readonly_fields = ("public_id", "created_at")

    def get_form(self, request, obj=None, change=False, **kwargs):
        return cleaning_form(super().get_form(request, obj, change, **kwargs))
