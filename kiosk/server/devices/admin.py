from django.contrib import admin, messages

from kiosk.server.clean_forms import cleaning_form
from kiosk.server.devices.models import Kiosk


@admin.register(Kiosk)
class KioskAdmin(admin.ModelAdmin):
    list_display = ("name", "site", "active", "token_hint", "last_seen_at", "last_heartbeat_at",
                    "version", "printer_state")
    list_filter = ("site", "active")
    # The heartbeat (POST /api/v1/heartbeat) is the kiosk's word: shown, never edited here.
    HEARTBEAT = ("last_heartbeat_at", "version", "content_cursor", "outbox_depth",
                 "printer_state", "printer_detail", "last_error", "last_error_at",
                 "long_poll_errors", "last_long_poll_error")
    readonly_fields = ("token_hint", "created_at", "last_seen_at", *HEARTBEAT)
    fieldsets = (
        (None, {"fields": ("site", "name", "active", "token_hint", "created_at", "last_seen_at")}),
        ("Dernières nouvelles de la borne", {"fields": HEARTBEAT}),
    )
    actions = ("rotate_token",)

    def get_form(self, request, obj=None, change=False, **kwargs):
        return cleaning_form(super().get_form(request, obj, change, **kwargs))

    def save_model(self, request, obj, form, change):
        if not change:
            kiosk, token = Kiosk.objects.register(obj.site, obj.name)
            obj.pk = kiosk.pk
            messages.warning(request, f"Jeton de la borne « {obj.name} » (affiché une seule fois) : {token}")
            return
        super().save_model(request, obj, form, change)

    @admin.action(description="Générer un nouveau jeton (l'ancien cesse de fonctionner)")
    def rotate_token(self, request, queryset):
        for kiosk in queryset:
            _, token = Kiosk.objects.register(kiosk.site, kiosk.name)
            messages.warning(request, f"Nouveau jeton de « {kiosk.name} » : {token}")
