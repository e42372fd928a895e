from django.contrib import admin

from kiosk.server.queueing.models import Counter, Ticket


@admin.register(Counter)
class CounterAdmin(admin.ModelAdmin):
    list_display = ("name", "site", "is_open")
    list_filter = ("site", "is_open")
    filter_horizontal = ("services",)


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("display", "service", "day", "status", "counter", "created_at")
    list_filter = ("site", "day", "status", "service")
    readonly_fields = ("public_token",)
