"""Back-office: the appointments of a site (list, change) and their import per service from
an iCalendar or CSV file, with a preview; booking systems' API keys (docs/queues.md)."""

from __future__ import annotations

import base64
import binascii

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from kiosk.server.accounts.models import Role
from kiosk.server.appointments.imports import import_bookings, parse_file
from kiosk.server.appointments.models import Appointment, BookingKey
from kiosk.server.content.admin_base import PlainSiteScopedAdmin
from kiosk.server.content.models import Service, Site

MAX_FILE_BYTES = 2 * 1024 * 1024


class ImportForm(forms.Form):
    service = forms.ModelChoiceField(queryset=Service.objects.none(), label="Service")
    file = forms.FileField(label="Fichier (.ics ou .csv)", required=False)
    # The previewed file, sent back with "Importer": what is imported is what was shown.
    data = forms.CharField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(widget=forms.HiddenInput, required=False)


class _Scoped(PlainSiteScopedAdmin):
    # Agents at the counters and editors import the day's appointments.
    scope_roles = (Role.COUNTER, Role.EDITOR, Role.ADMIN)


@admin.register(Appointment)
class AppointmentAdmin(_Scoped, admin.ModelAdmin):
    list_display = ("day", "start", "service", "initials", "code", "status", "ticket", "source")
    list_filter = ("site", "day", "status", "service")
    search_fields = ("code", "initials", "external_id")
    readonly_fields = ("ticket", "in_lane", "checked_in_at", "created_at", "source")
    change_list_template = "appointments/change_list.html"

    def changelist_view(self, request, extra_context=None):
        # The appointments' statistics (CSV per day and service, export.py) of the sites
        # this agent works for: counter agents do not see the managers' statistics page.
        ids = self.scope_site_ids(request)
        sites = Site.objects.all() if ids is None else Site.objects.filter(pk__in=ids)
        extra = {"appointment_stats_sites": list(sites.order_by("name")[:20])}
        return super().changelist_view(request, {**(extra_context or {}), **extra})

    def get_urls(self):
        return [path("importer/", self.admin_site.admin_view(self.import_view),
                     name="appointments_import"), *super().get_urls()]

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        ids = self.scope_site_ids(request)
        services = Service.objects.all() if ids is None else Service.objects.filter(site_id__in=ids)
        form = ImportForm(request.POST or None, request.FILES or None)
        form.fields["service"].queryset = services.select_related("site").order_by("site", "slug")
        context = {**self.admin_site.each_context(request), "title": "Importer des rendez-vous",
                   "form": form, "opts": self.model._meta, "parsed": None}
        if request.method == "POST" and form.is_valid():
            service = form.cleaned_data["service"]
            name, data = self._file(form)
            if data is None:
                form.add_error("file", "Choisissez un fichier .ics ou .csv (2 Mo au plus).")
            else:
                parsed = parse_file(name, data, service)
                if "confirm" in request.POST and not parsed.errors:
                    try:
                        count = import_bookings(service.site, parsed, "ical" if name.lower()
                                                .endswith((".ics", ".ical")) else "csv")
                    except ValueError as exc:
                        form.add_error(None, str(exc))
                    else:
                        messages.success(request, f"{count} rendez-vous importés pour "
                                                  f"{service}.")
                        return redirect(reverse("admin:appointments_appointment_changelist"))
                context.update(parsed=parsed, name=name,
                               data=base64.b64encode(data).decode(), service=service)
        return TemplateResponse(request, "appointments/import.html", context)

    @staticmethod
    def _file(form) -> tuple[str, bytes | None]:
        upload = form.cleaned_data.get("file")
        if upload is not None:
            if upload.size > MAX_FILE_BYTES:
                return upload.name, None
            return upload.name, upload.read()
        try:
            data = base64.b64decode(form.cleaned_data.get("data") or "", validate=True)
        except (binascii.Error, ValueError):
            return "", None
        return form.cleaned_data.get("name") or "", (data or None)


@admin.register(BookingKey)
class BookingKeyAdmin(_Scoped, admin.ModelAdmin):
    list_display = ("name", "site", "prefix", "created_at", "revoked_at")
    fields = ("site", "name", "revoked_at")

    def save_model(self, request, obj, form, change):
        self.check_scope(request, obj)
        if change:
            obj.save()
            return
        _, clear = BookingKey.objects.create_key(obj.site, obj.name)
        # Shown once: only its hash is kept.
        messages.warning(request, f"Clé de « {obj.name} » (copiez-la, elle ne sera plus "
                                  f"affichée) : {clear}")

    def response_add(self, request, obj, post_url_continue=None):
        return redirect(reverse("admin:appointments_bookingkey_changelist"))
