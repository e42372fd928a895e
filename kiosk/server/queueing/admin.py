from django.contrib import admin

from kiosk.server.content.admin import SiteScopedAdmin
from kiosk.server.content.models import Service
from kiosk.server.content.weekly_grid import timetable_formfield
from kiosk.server.queueing.models import Counter, Ticket


@admin.register(Counter)
class CounterAdmin(SiteScopedAdmin, admin.ModelAdmin):
    """Counters and their timetables (docs/queues.md), edited by the site's editors and
    admins as a weekly grid; the agent's open / pause / closed-for-today come from the
    console and are shown here read-only."""

    list_display = ("name", "site", "is_open", "paused_until", "closed_on")
    list_filter = ("site", "is_open")
    filter_horizontal = ("services",)
    readonly_fields = ("paused_until", "closed_on", "opened_at")
    fieldsets = (
        (None, {"fields": ("site", "name", "services", "is_open")}),
        ("Horaires du guichet", {
            "fields": ("hours", "exceptions"),
            "description": "Les séances où le guichet est prévu ouvert (pause de midi "
                           "comprise) et les jours particuliers. Sans horaires : le guichet "
                           "sert tant que l'agent l'a ouvert. L'agent ouvre le guichet depuis "
                           "sa console ; les fermetures de la mairie s'appliquent aussi."}),
        ("Aujourd'hui (console de l'agent)", {"fields": ("paused_until", "closed_on",
                                                         "opened_at")}),
    )

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        return (timetable_formfield(Counter, db_field)
                or super().formfield_for_dbfield(db_field, request, **kwargs))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        ids = self.scope_site_ids(request)
        if db_field.name == "services" and ids is not None:
            kwargs["queryset"] = Service.objects.filter(site_id__in=ids)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_related(self, request, form, formsets, change):
        from kiosk.server.queueing.estimates import queue_changed

        super().save_related(request, form, formsets, change)
        # A new timetable or services change every estimate of the site (in the admin's
        # transaction, as every queue change).
        queue_changed(form.instance.site_id)


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("display", "service", "day", "status", "counter", "created_at")
    list_filter = ("site", "day", "status", "service")
    readonly_fields = ("public_token",)
