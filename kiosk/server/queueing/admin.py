from django.contrib import admin, messages

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

    def delete_queryset(self, request, queryset):  # delete_model comes here too
        from kiosk.server.queueing.estimates import queue_changed

        counters = list(queryset)
        super().delete_queryset(request, counters)
        for site_id in sorted({counter.site_id for counter in counters}):
            queue_changed(site_id)  # counters fewer: the site's waits change


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Tickets, read-only: a status changes only through the queue's actions (console,
    phone page, or the action below), which erase the phone number of a closed ticket. The
    number itself is never shown, only whether one is still kept."""

    list_display = ("display", "service", "day", "status", "counter", "phone_kept", "created_at")
    list_filter = ("site", "day", "status", "service")
    fields = ("site", "service", "issued_service", "day", "number", "prefix", "status",
              "priority", "language", "kiosk", "counter", "offline", "created_at", "queued_at",
              "called_at", "finished_at", "recalls", "postponed", "transferred_from",
              "estimate_at_issue", "phone_kept", "sms_consent_at", "issued_by")
    readonly_fields = fields
    actions = ("close_tickets",)

    @admin.display(boolean=True, description="numéro SMS conservé")
    def phone_kept(self, obj: Ticket) -> bool:
        return bool(obj.phone)

    def has_add_permission(self, request) -> bool:
        return False  # tickets come from the kiosks and the consoles

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # view only: no form may set a status (or a number) behind the lifecycle

    @admin.action(description="Clore les tickets sélectionnés (annulés ; absents s'ils "
                              "étaient appelés) et effacer leur numéro")
    def close_tickets(self, request, queryset) -> None:
        from kiosk.server.queueing.lifecycle import do_close_ticket

        if not request.user.has_perm("queueing.change_ticket"):
            self.message_user(request, "Vous n'avez pas le droit de clore des tickets.",
                              messages.ERROR)
            return
        closed = [t for t in (do_close_ticket(pk) for pk in queryset.values_list("pk", flat=True))
                  if t is not None]
        self.message_user(request, f"{len(closed)} ticket(s) clos, numéros effacés.",
                          messages.SUCCESS)
