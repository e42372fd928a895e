"""Back-office: a site's admin creates a one-time enrolment code for a new kiosk of their
site, sees it once (big letters and a QR code, with the one command to run on the machine),
and may revoke a code not yet used. Codes are never edited nor deleted (the audit log keeps
who created, used and revoked each)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils import timezone

from kiosk.server.accounts.models import sites_where
from kiosk.server.clean_forms import cleaning_form
from kiosk.server.content.models import Site
from kiosk.server.enrolment.models import EnrolmentCode
from kiosk.server.enrolment.services import (
    DEFAULT_VALID_HOURS,
    MAX_VALID_HOURS,
    create_code,
    revoke,
    server_url,
)
from kiosk.server.web.qr import qr_svg

STATES = {"valid": "valide", "used": "utilisé", "expired": "expiré", "revoked": "révoqué"}


class EnrolmentCodeForm(forms.ModelForm):
    hours = forms.IntegerField(
        label="Validité (heures)", min_value=1, max_value=MAX_VALID_HOURS,
        initial=DEFAULT_VALID_HOURS, help_text="le code ne sert qu'une fois, dans ce délai")

    class Meta:
        model = EnrolmentCode
        fields = ("site", "kiosk_name")


@admin.register(EnrolmentCode)
class EnrolmentCodeAdmin(admin.ModelAdmin):
    """Site admins (accounts Role.ADMIN) for their own sites; superusers for all."""

    form = EnrolmentCodeForm
    list_display = ("hint", "site", "kiosk_name", "state_label", "created_by", "created_at",
                    "expires_at", "kiosk")
    list_filter = (("site", admin.RelatedOnlyFieldListFilter),)
    readonly_fields = ("hint", "site", "kiosk_name", "state_label", "created_by", "created_at",
                       "expires_at", "used_at", "used_from", "hostname", "kiosk", "revoked_at")
    actions = ("revoke_codes",)

    def site_ids(self, request) -> set[int] | None:
        """The sites whose codes this agent manages; None: all (superuser)."""
        user = request.user
        if not user.is_active:
            return set()
        if user.is_superuser:
            return None
        if not hasattr(request, "_enrolment_site_ids"):
            request._enrolment_site_ids = set(sites_where(user).values_list("pk", flat=True))
        return request._enrolment_site_ids

    def in_scope(self, request, site_id) -> bool:
        ids = self.site_ids(request)
        return ids is None or site_id in ids

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("site", "created_by", "kiosk")
        ids = self.site_ids(request)
        return qs if ids is None else qs.filter(site_id__in=ids)

    def has_module_permission(self, request):
        return self.site_ids(request) != set()

    def has_add_permission(self, request):
        return self.has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request) and (
            obj is None or self.in_scope(request, obj.site_id))

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_fields(self, request, obj=None):
        return ("site", "kiosk_name", "hours") if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = cleaning_form(super().get_form(request, obj, change, **kwargs))
        ids = self.site_ids(request)
        if obj is None and ids is not None:
            form.base_fields["site"].queryset = Site.objects.filter(pk__in=ids)
            if len(ids) == 1:
                form.base_fields["site"].initial = next(iter(ids))
        return form

    def save_model(self, request, obj, form, change):
        if change or not self.in_scope(request, obj.site_id):  # a forged POST
            raise PermissionDenied("ce site n'est pas le vôtre")
        code, clear = create_code(obj.site, request.user, kiosk_name=obj.kiosk_name,
                                  hours=form.cleaned_data["hours"])
        obj.pk = code.pk
        request._enrolment_clear_code = clear

    def save_related(self, request, form, formsets, change):
        pass  # no relations to save; the code row is create_code()'s

    def response_add(self, request, obj, post_url_continue=None):
        """The code, once: big, as a QR code (a handheld scanner types it), with the command."""
        code = EnrolmentCode.objects.select_related("site").get(pk=obj.pk)
        clear = request._enrolment_clear_code
        base = server_url(request)
        context = {
            **self.admin_site.each_context(request),
            "title": "Code de provisionnement",
            "opts": self.model._meta,
            "code": code,
            "clear_code": clear,
            "qr": qr_svg(clear, title=f"code de provisionnement {clear}"),
            "command": f"deploy/kiosk/provision.sh --server {base} --code {clear}",
            "expires_local": timezone.localtime(code.expires_at),
        }
        response = TemplateResponse(request, "enrolment/code_created.html", context)
        response["Cache-Control"] = "no-store"  # the clear code must not stay in a cache
        return response

    @admin.display(description="code")
    def hint(self, obj):
        return f"{obj.code_hint}-…"

    @admin.display(description="état")
    def state_label(self, obj):
        return STATES[obj.state()]

    @admin.action(description="Révoquer les codes choisis (s'ils n'ont pas servi)")
    def revoke_codes(self, request, queryset):
        done = 0
        for code in queryset:
            if not self.in_scope(request, code.site_id):
                raise PermissionDenied("ce site n'est pas le vôtre")
            done += revoke(code, request.user)
        messages.info(request, f"{done} code(s) révoqué(s).")
