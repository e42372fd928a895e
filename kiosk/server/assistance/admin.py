from django.contrib import admin

from kiosk.server.assistance.models import AssistanceRequest


@admin.register(AssistanceRequest)
class AssistanceRequestAdmin(admin.ModelAdmin):
    list_display = ("created_at", "site", "kiosk", "language", "status", "handled_by", "handled_at")
    list_filter = ("site", "status")
    readonly_fields = ("public_id", "created_at")
