from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import models, router, transaction
from django.db.models.deletion import Collector

from kiosk.server.accounts.models import Role, sites_where
from kiosk.server.audit import services as audit
from kiosk.server.audit.services import site_id_of
from kiosk.server.content.assets import AssetForm, store_blob
from kiosk.server.content.forms import InterestsField, SlugListField, TranslationsField
from kiosk.server.content.models import (
    Announcement,
    Asset,
    Closure,
    FloorPlan,
    InfoPage,
    NearbyPlace,
    Offer,
    Pole,
    Service,
    Site,
    Situation,
)
from kiosk.server.content.publishing import PublishableAdmin

TRANSLATED = ("name", "summary", "place", "title", "link_label", "reason", "message")


def translated(textarea_fields=(), optional=()):
    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in TRANSLATED:
            return TranslationsField(
                textarea=db_field.name in textarea_fields,
                required_fr=db_field.name not in optional,
                label=db_field.verbose_name.capitalize(),
                help_text=db_field.help_text,
                required=db_field.name not in optional,
            )
        if isinstance(db_field, models.URLField):
            kwargs["assume_scheme"] = "https"  # links shown as QR codes are https only
        return super(type(self), self).formfield_for_dbfield(db_field, request, **kwargs)

    return formfield_for_dbfield


class SiteScopedAdmin:
    """Back-office access by site role: an editor of the 19e cannot touch the 20e.

    Every `has_*_permission` decides from the agent's roles (accounts.SiteMembership) only;
    Django's model permissions (auth Permission objects) are not used for content. A
    superuser may do everything; otherwise the agent edits the sites where they are editor
    or site admin (`sites_where(user, Role.EDITOR)`): they list, view, change and delete
    the objects of those sites, add objects when they edit at least one site, and only
    those sites (and their poles) are offered in the forms. `save_model` refuses, as a
    defence against a forged POST, to save an object into (or out of) another site.

    Every save and delete made here is written to the audit log (kiosk/server/audit): one
    AuditEntry per object, with {field: [old, new]} for a change and a snapshot for a
    creation or a deletion (objects deleted with it in cascade included).
    """

    scope_roles = (Role.EDITOR,)
    scope_lookup = "site_id__in"

    def scope_site_ids(self, request) -> set[int] | None:
        """The ids of the sites the agent may work on here; None: all (superuser)."""
        user = request.user
        if not user.is_active:
            return set()
        if user.is_superuser:
            return None
        cache = request.__dict__.setdefault("_carrefour_scope", {})
        if self.scope_roles not in cache:
            cache[self.scope_roles] = set(
                sites_where(user, *self.scope_roles).values_list("pk", flat=True))
        return cache[self.scope_roles]

    def in_scope(self, request, site_id) -> bool:
        ids = self.scope_site_ids(request)
        return ids is None or site_id in ids

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        ids = self.scope_site_ids(request)
        return qs if ids is None else qs.filter(**{self.scope_lookup: ids})

    def get_list_filter(self, request):
        # Filters offer only the sites and poles present in the agent's own objects.
        return [(name, admin.RelatedOnlyFieldListFilter) if name in ("site", "pole") else name
                for name in super().get_list_filter(request)]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        ids = self.scope_site_ids(request)
        if ids is not None and db_field.name == "site":
            kwargs["queryset"] = Site.objects.filter(pk__in=ids)
        elif ids is not None and db_field.name == "pole":
            kwargs["queryset"] = Pole.objects.filter(site_id__in=ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        ids = self.scope_site_ids(request)
        if ids is not None and len(ids) == 1 and "site" not in initial:
            initial["site"] = next(iter(ids))
        return initial

    def has_module_permission(self, request):
        return self.scope_site_ids(request) != set()

    def has_add_permission(self, request):
        return self.has_module_permission(request)

    def _may(self, request, obj) -> bool:
        if not self.has_module_permission(request):
            return False
        return obj is None or self.in_scope(request, site_id_of(obj))

    def has_view_permission(self, request, obj=None):
        return self._may(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._may(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may(request, obj)

    def save_model(self, request, obj, form, change):
        before = type(obj)._default_manager.filter(pk=obj.pk).first() if obj.pk else None
        if not self.in_scope(request, site_id_of(obj)) or (
                before is not None and not self.in_scope(request, site_id_of(before))):
            raise PermissionDenied("ce site n'est pas le vôtre")
        super().save_model(request, obj, form, change)
        if before is None:
            audit.record(request.user, obj, "created")
        else:
            changes = audit.diff(audit.snapshot(before), audit.snapshot(obj))
            if changes:
                audit.record(request.user, obj, "changed", changes)

    def delete_model(self, request, obj):
        self.delete_queryset(request, [obj])

    def delete_queryset(self, request, queryset):
        objs = list(queryset)
        if not all(self.in_scope(request, site_id_of(obj)) for obj in objs):
            raise PermissionDenied("ce site n'est pas le vôtre")
        with transaction.atomic():
            for obj in _with_cascade(objs):
                audit.record(request.user, obj, "deleted")
            for obj in objs:
                obj.delete()


def _with_cascade(objs):
    """The objects and the content deleted with them (a pole's services…), to log them all."""
    if not objs:
        return []
    collector = Collector(using=router.db_for_write(type(objs[0])))
    collector.collect(objs)
    seen = {(type(obj), obj.pk) for obj in objs}
    extra = [obj for model, instances in collector.data.items() if model in AUDITED
             for obj in instances if (model, obj.pk) not in seen]
    return [*objs, *extra]


AUDITED = (Site, Pole, Service, Situation, NearbyPlace, InfoPage, Offer, Asset, FloorPlan)


@admin.register(Site)
class SiteAdmin(SiteScopedAdmin, admin.ModelAdmin):
    """Superusers add and delete sites; a site admin views and changes their own site."""

    scope_roles = (Role.ADMIN,)
    scope_lookup = "pk__in"
    list_display = ("name", "slug", "address")
    prepopulated_fields = {"slug": ("name",)}

    def has_add_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser


@admin.register(Pole)
class PoleAdmin(PublishableAdmin, SiteScopedAdmin, admin.ModelAdmin):
    list_display = ("__str__", "site", "order", "color")
    list_filter = ("site",)
    formfield_for_dbfield = translated(textarea_fields=("summary",), optional=("summary",))


class ServiceForm(forms.ModelForm):
    class Meta:
        model = Service
        fields = "__all__"

    def _post_clean(self):
        # Service.clean() reads self.pole: without a valid pole (one of another site,
        # or none) the form is already invalid, and the model checks would crash.
        if "pole" in self._errors and not self.instance.pole_id:
            return
        super()._post_clean()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from kiosk.server.content.plans_admin import keep_legacy_plan_choice

        keep_legacy_plan_choice(self)

    def clean(self):
        cleaned = super().clean()
        from kiosk.server.content.plans_admin import check_service_plan

        check_service_plan(self, cleaned)  # a floor plan of the service's own site
        return cleaned


@admin.register(Service)
class ServiceAdmin(PublishableAdmin, SiteScopedAdmin, admin.ModelAdmin):
    form = ServiceForm
    list_display = ("__str__", "pole", "prefix", "ticketing", "mean_service_minutes")
    list_filter = ("site", "pole", "ticketing")
    search_fields = ("slug", "name")
    _formfield = translated(textarea_fields=("summary",), optional=("summary", "place"))

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "plan":  # a select of the site's plans, and a click on the plan
            from kiosk.server.content.plans_admin import plan_choice_field

            return plan_choice_field(self, db_field, request)
        return self._formfield(db_field, request, **kwargs)

    fieldsets = (
        (None, {"fields": ("site", "pole", "slug", "published", "order", "prefix", "pictogram",
                           "name", "summary", "hours", "exceptions", "documents", "ticketing",
                           "mean_service_minutes")}),
        ("Où aller", {"fields": ("place", "plan", "plan_x", "plan_y", "audio"),
                      "description": "Le lieu en toutes lettres, et le point sur le plan d'étage : "
                                     "cliquez sur le plan pour le placer (x et y de 0 à 1 depuis "
                                     "le coin haut gauche ; les deux, ou aucun sans plan)."}),
    )


class SituationForm(forms.ModelForm):
    services = SlugListField(
        required=False, label="Services",
        help_text="Identifiants des services, dans l'ordre, séparés par des virgules "
                  "(ex. « naissance, relais-familles »).")

    class Meta:
        model = Situation
        fields = "__all__"


@admin.register(Situation)
class SituationAdmin(PublishableAdmin, SiteScopedAdmin, admin.ModelAdmin):
    form = SituationForm
    list_display = ("__str__", "site", "order", "pictogram", "service_list")
    list_filter = ("site",)
    search_fields = ("slug", "name")
    formfield_for_dbfield = translated(textarea_fields=("summary",), optional=("summary",))

    @admin.display(description="services")
    def service_list(self, obj):
        return ", ".join(obj.services)


@admin.register(NearbyPlace)
class NearbyPlaceAdmin(PublishableAdmin, SiteScopedAdmin, admin.ModelAdmin):
    list_display = ("__str__", "site", "kind", "walking_minutes", "order")
    list_filter = ("site", "kind")
    search_fields = ("slug", "name", "address")
    formfield_for_dbfield = translated(textarea_fields=("summary",), optional=("summary",))


@admin.register(InfoPage)
class InfoPageAdmin(PublishableAdmin, SiteScopedAdmin, admin.ModelAdmin):
    list_display = ("__str__", "site", "slug", "order")
    list_filter = ("site",)
    search_fields = ("slug", "title")
    formfield_for_dbfield = translated(textarea_fields=("summary",),
                                       optional=("summary", "link_label"))


@admin.register(Offer)
class OfferAdmin(PublishableAdmin, SiteScopedAdmin, admin.ModelAdmin):
    list_display = ("__str__", "site", "source", "category", "starts", "ends", "published")
    list_filter = ("site", "source", "category", "published")
    search_fields = ("slug", "title", "where")
    date_hierarchy = "starts"
    _translated_fields = translated(textarea_fields=("summary",), optional=("summary",))

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "interests":  # ticked among the kiosk's vocabulary
            return InterestsField(label="Envies")
        return type(self)._translated_fields(self, db_field, request, **kwargs)

    fieldsets = (
        (None, {"fields": ("site", "slug", "source", "category", "published", "order",
                           "pictogram", "title", "summary")}),
        ("Quand", {"fields": ("starts", "ends", "weekdays", "time", "end_time"),
                   "description": "Sans date ni jour : une offre permanente. Jours : 0 = lundi."}),
        ("Où et pour qui", {"fields": ("where", "walking_minutes", "age_min", "age_max",
                                       "capacity", "link", "interests", "audio")}),
    )


@admin.register(Closure)
class ClosureAdmin(PublishableAdmin, SiteScopedAdmin, admin.ModelAdmin):
    list_display = ("__str__", "site", "starts", "ends", "service_list")
    list_filter = ("site",)
    date_hierarchy = "starts"
    formfield_for_dbfield = translated(optional=("reason",))

    @admin.display(description="services")
    def service_list(self, obj):
        return ", ".join(obj.services) or "toute la mairie"


@admin.register(Announcement)
class AnnouncementAdmin(PublishableAdmin, SiteScopedAdmin, admin.ModelAdmin):
    list_display = ("__str__", "site", "level", "starts_at", "ends_at")
    list_filter = ("site", "level")
    formfield_for_dbfield = translated(textarea_fields=("message",))


@admin.register(Asset)
class AssetAdmin(SiteScopedAdmin, admin.ModelAdmin):
    """Pictograms and recordings uploaded by agents, checked by kiosk/server/content/assets.py
    and synced to the kiosks by hash (docs/protocol.md, Assets)."""

    form = AssetForm
    list_display = ("slug", "site", "kind", "size", "content_type", "created_at")
    list_filter = ("site", "kind")
    search_fields = ("slug",)
    readonly_fields = ("sha256", "size", "content_type", "created_at")

    def save_model(self, request, obj, form, change):
        if form.unchanged():  # the same bytes again: nothing to store, no change for kiosks
            if not self.in_scope(request, obj.site_id):
                raise PermissionDenied("ce site n'est pas le vôtre")
            return
        if form.blob is not None:
            store_blob(*form.blob)
        super().save_model(request, obj, form, change)


from kiosk.server.content import moderation, plans_admin  # noqa: E402,F401
