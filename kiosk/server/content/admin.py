"""The back-office of content: one admin per content kind, registered as KINDS declares
(kinds.py); what they share (site scoping, translated fields, writes through the actions)
is in admin_base.py."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied

from kiosk.server.accounts.models import Role
from kiosk.server.content import moderation  # noqa: F401 - registers the proposals to moderate
from kiosk.server.content.admin_base import ContentAdmin, SiteScopedAdmin
from kiosk.server.content.assets import AssetForm, store_blob
from kiosk.server.content.forms import InterestsField, SlugListField
from kiosk.server.content.kinds import KINDS
from kiosk.server.content.models import (
    Closure,
    NearbyPlace,
    Service,
    Site,
    Situation,
)
from kiosk.server.content.plans_admin import (
    check_service_plan,
    keep_legacy_plan_choice,
    plan_choice_field,
)
from kiosk.server.content.publishing import PublishableAdmin
from kiosk.server.content.weekly_grid import timetable_formfield


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


class PoleAdmin(PublishableAdmin, ContentAdmin):
    list_display = ("__str__", "site", "order", "color")
    list_filter = ("site",)


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
        keep_legacy_plan_choice(self)

    def clean(self):
        cleaned = super().clean()
        check_service_plan(self, cleaned)  # a floor plan of the service's own site
        return cleaned


class ServiceAdmin(PublishableAdmin, ContentAdmin):
    form = ServiceForm
    list_display = ("__str__", "pole", "prefix", "ticketing", "mean_service_minutes")
    list_filter = ("site", "pole", "ticketing")
    search_fields = ("slug", "name")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "plan":  # a select of the site's plans, and a click on the plan
            return plan_choice_field(self, db_field, request)
        # Opening hours and exceptions as a grid, never raw JSON (weekly_grid.py).
        return (timetable_formfield(Service, db_field)
                or super().formfield_for_dbfield(db_field, request, **kwargs))

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


class SituationAdmin(PublishableAdmin, ContentAdmin):
    form = SituationForm
    list_display = ("__str__", "site", "order", "pictogram", "service_list")
    list_filter = ("site",)
    search_fields = ("slug", "name")

    @admin.display(description="services")
    def service_list(self, obj):
        return ", ".join(obj.services)


class NearbyPlaceForm(forms.ModelForm):
    """A place's spot on the neighbourhood plan is chosen like a service's on its floor plan."""

    class Meta:
        model = NearbyPlace
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        check_service_plan(self, cleaned)  # a plan of the place's own site
        return cleaned


class NearbyPlaceAdmin(PublishableAdmin, ContentAdmin):
    form = NearbyPlaceForm
    list_display = ("__str__", "site", "kind", "walking_minutes", "order", "plan")
    list_filter = ("site", "kind")
    search_fields = ("slug", "name", "address")
    fieldsets = (
        (None, {"fields": ("site", "slug", "published", "order", "kind", "pictogram", "name",
                           "summary", "address", "walking_minutes")}),
        ("Sur le plan du quartier", {
            "fields": ("plan", "plan_x", "plan_y"),
            "description": "« Pendant l'attente » montre le plan du quartier avec chaque lieu en "
                           "point numéroté : choisissez le plan (« quartier »), puis cliquez "
                           "dessus pour placer le lieu."}),
    )

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "plan":
            return plan_choice_field(self, db_field, request)
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class InfoPageAdmin(PublishableAdmin, ContentAdmin):
    list_display = ("__str__", "site", "slug", "order")
    list_filter = ("site",)
    search_fields = ("slug", "title")


class OfferAdmin(PublishableAdmin, ContentAdmin):
    list_display = ("__str__", "site", "source", "category", "starts", "ends", "published")
    list_filter = ("site", "source", "category", "published")
    search_fields = ("slug", "title", "where")
    date_hierarchy = "starts"

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "interests":  # ticked among the kiosk's vocabulary
            return InterestsField(label="Envies")
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    fieldsets = (
        (None, {"fields": ("site", "slug", "source", "category", "published", "order",
                           "pictogram", "title", "summary")}),
        ("Quand", {"fields": ("starts", "ends", "weekdays", "time", "end_time"),
                   "description": "Sans date ni jour : une offre permanente. Jours : 0 = lundi."}),
        ("Où et pour qui", {"fields": ("where", "walking_minutes", "age_min", "age_max",
                                       "capacity", "link", "interests", "audio")}),
    )


class ClosureAdmin(PublishableAdmin, ContentAdmin):
    list_display = ("__str__", "site", "starts", "ends", "service_list")
    list_filter = ("site",)
    date_hierarchy = "starts"

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        return (timetable_formfield(Closure, db_field)  # the day's sessions as a grid
                or super().formfield_for_dbfield(db_field, request, **kwargs))

    @admin.display(description="services")
    def service_list(self, obj):
        return ", ".join(obj.services) or "toute la mairie"


class AnnouncementAdmin(PublishableAdmin, ContentAdmin):
    list_display = ("__str__", "site", "level", "starts_at", "ends_at")
    list_filter = ("site", "level")


class AssetAdmin(ContentAdmin):
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


def register_kinds(site: admin.AdminSite = admin.site) -> None:
    """Every content kind's admin, as KINDS declares it (kinds.py)."""
    for kind in KINDS:
        if not site.is_registered(kind.model):
            site.register(kind.model, kind.admin_class)


register_kinds()
