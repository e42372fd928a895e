from django import forms
from django.contrib import admin, messages

from kiosk.domain.updates import UPDATE_STATES
from kiosk.server.accounts.models import Role
from kiosk.server.api.auth import forget_tokens
from kiosk.server.content.admin_base import PlainSiteScopedAdmin
from kiosk.server.devices.models import Kiosk, Release, SiteRollout
from kiosk.server.devices.releases import ReleaseRejected, add_release


class FleetScoped(PlainSiteScopedAdmin):
    """A site's kiosks and its rollout are its site admins' (a superuser's everywhere)."""

    scope_roles = (Role.ADMIN,)


@admin.register(Kiosk)
class KioskAdmin(FleetScoped, admin.ModelAdmin):
    list_display = ("name", "site", "active", "token_hint", "last_seen_at", "last_heartbeat_at",
                    "version", "target_release", "update_label", "printer_state")
    list_filter = ("site", "active")
    # The heartbeat (POST /api/v1/heartbeat) is the kiosk's word: shown, never edited here.
    HEARTBEAT = ("last_heartbeat_at", "version", "content_cursor", "outbox_depth",
                 "printer_state", "printer_detail", "last_error", "last_error_at",
                 "long_poll_errors", "last_long_poll_error")
    UPDATE = ("update_state", "update_version", "update_detail", "update_state_at")
    readonly_fields = ("token_hint", "created_at", "last_seen_at", *HEARTBEAT, *UPDATE)
    fieldsets = (
        (None, {"fields": ("site", "name", "active", "token_hint", "created_at", "last_seen_at")}),
        ("Dernières nouvelles de la borne", {"fields": HEARTBEAT}),
        # A version for this kiosk alone wins over its site's rollout (docs/updates.md).
        ("Mise à jour", {"fields": ("target_release", *UPDATE)}),
    )

    @admin.display(description="mise à jour")
    def update_label(self, obj):
        label = UPDATE_STATES.get(obj.update_state, obj.update_state)
        return f"{label} ({obj.update_version})" if obj.update_version else label
    actions = ("rotate_token",)

    def save_model(self, request, obj, form, change):
        self.check_scope(request, obj)
        if not change:
            kiosk, token = Kiosk.objects.register(obj.site, obj.name)
            obj.pk = kiosk.pk
            messages.warning(request, f"Jeton de la borne « {obj.name} » (affiché une seule fois) : {token}")
            return
        super().save_model(request, obj, form, change)
        # Revoked or moved: this process's long-polls check the token again at once (the
        # others within LONG_POLL_TOKEN_SECONDS; every other call checks it each time).
        forget_tokens()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        forget_tokens()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        forget_tokens()

    @admin.action(description="Générer un nouveau jeton (l'ancien cesse de fonctionner)")
    def rotate_token(self, request, queryset):
        for kiosk in queryset:
            _, token = Kiosk.objects.register(kiosk.site, kiosk.name)
            messages.warning(request, f"Nouveau jeton de « {kiosk.name} » : {token}")
        forget_tokens()


class ReleaseUploadForm(forms.ModelForm):
    bundle = forms.FileField(label="Paquet signé (.tar)",
                             help_text="fait par « python -m kiosk.release build » (docs/updates.md)")

    class Meta:
        model = Release
        fields = ("notes",)

    def clean(self):
        data = super().clean()
        upload = data.get("bundle")
        if upload is not None and not self.errors:
            try:
                self.release = add_release(upload, notes=data.get("notes", ""))
            except ReleaseRejected as exc:
                raise forms.ValidationError(str(exc)) from None
        return data


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    """Releases are the city's: uploaded by its superusers (the signing key is theirs), seen
    by every site admin choosing one for their site's rollout."""

    list_display = ("version", "uploaded_at", "size", "sha256", "notes")
    readonly_fields = ("version", "sha256", "size", "uploaded_at")

    def has_module_permission(self, request):
        return FleetScoped().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return self.has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return self.has_add_permission(request)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ReleaseUploadForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        return ("bundle", "notes") if obj is None else ("version", "sha256", "size",
                                                        "uploaded_at", "notes")

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        obj.pk = form.release.pk  # stored by the form's clean (add_release)
        obj.version, obj.sha256, obj.size = (form.release.version, form.release.sha256,
                                             form.release.size)
        Release.objects.filter(pk=obj.pk).update(notes=form.cleaned_data.get("notes", ""))


@admin.register(SiteRollout)
class SiteRolloutAdmin(FleetScoped, admin.ModelAdmin):
    list_display = ("site", "release", "pilot", "pilot_confirmed_at", "previous", "changed_at")
    readonly_fields = ("previous", "pilot_confirmed_at", "changed_at")
    fields = ("site", "release", "pilot", "previous", "pilot_confirmed_at", "changed_at")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "pilot":
            ids = self.scope_site_ids(request)
            kiosks = Kiosk.objects.filter(active=True).select_related("site")
            kwargs["queryset"] = kiosks if ids is None else kiosks.filter(site_id__in=ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
