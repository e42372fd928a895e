from django import forms
from django.contrib import admin

from kiosk.server.content.forms import SlugListField, TranslationsField
from kiosk.server.content.models import NearbyPlace, Pole, Service, Site, Situation


def translated(textarea_fields=(), optional=()):
    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in ("name", "summary", "place"):
            return TranslationsField(
                textarea=db_field.name in textarea_fields,
                required_fr=db_field.name not in optional,
                label=db_field.verbose_name.capitalize(),
                help_text=db_field.help_text,
                required=db_field.name not in optional,
            )
        return super(type(self), self).formfield_for_dbfield(db_field, request, **kwargs)

    return formfield_for_dbfield


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "address")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Pole)
class PoleAdmin(admin.ModelAdmin):
    list_display = ("__str__", "site", "order", "color")
    list_filter = ("site",)
    formfield_for_dbfield = translated(textarea_fields=("summary",), optional=("summary",))


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("__str__", "pole", "prefix", "ticketing", "mean_service_minutes")
    list_filter = ("site", "pole", "ticketing")
    search_fields = ("slug", "name")
    formfield_for_dbfield = translated(
        textarea_fields=("summary",), optional=("summary", "place")
    )
    fieldsets = (
        (None, {"fields": ("site", "pole", "slug", "order", "prefix", "pictogram", "name",
                           "summary", "hours", "documents", "ticketing",
                           "mean_service_minutes")}),
        ("Où aller", {"fields": ("place", "plan", "plan_x", "plan_y"),
                      "description": "Le lieu en toutes lettres, et le point sur le plan d'étage "
                                     "(x et y de 0 à 1 depuis le coin haut gauche ; les deux, "
                                     "ou aucun sans plan)."}),
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
class SituationAdmin(admin.ModelAdmin):
    form = SituationForm
    list_display = ("__str__", "site", "order", "pictogram", "service_list")
    list_filter = ("site",)
    search_fields = ("slug", "name")
    formfield_for_dbfield = translated(textarea_fields=("summary",), optional=("summary",))

    @admin.display(description="services")
    def service_list(self, obj):
        return ", ".join(obj.services)


@admin.register(NearbyPlace)
class NearbyPlaceAdmin(admin.ModelAdmin):
    list_display = ("__str__", "site", "kind", "walking_minutes", "order")
    list_filter = ("site", "kind")
    search_fields = ("slug", "name", "address")
    formfield_for_dbfield = translated(textarea_fields=("summary",), optional=("summary",))
