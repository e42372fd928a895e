from django import forms
from django.contrib import admin
from django.db import models

from kiosk.server.content.forms import SlugListField, TranslationsField
from kiosk.server.content.models import (
    InfoPage,
    NearbyPlace,
    Offer,
    Pole,
    Service,
    Site,
    Situation,
)

TRANSLATED = ("name", "summary", "place", "title", "link_label")


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
        ("Où aller", {"fields": ("place", "plan", "plan_x", "plan_y", "audio"),
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


@admin.register(InfoPage)
class InfoPageAdmin(admin.ModelAdmin):
    list_display = ("__str__", "site", "slug", "order")
    list_filter = ("site",)
    search_fields = ("slug", "title")
    formfield_for_dbfield = translated(textarea_fields=("summary",),
                                       optional=("summary", "link_label"))


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = ("__str__", "site", "source", "category", "starts", "ends", "published")
    list_filter = ("site", "source", "category", "published")
    search_fields = ("slug", "title", "where")
    date_hierarchy = "starts"
    formfield_for_dbfield = translated(textarea_fields=("summary",), optional=("summary",))
    fieldsets = (
        (None, {"fields": ("site", "slug", "source", "category", "published", "order",
                           "pictogram", "title", "summary")}),
        ("Quand", {"fields": ("starts", "ends", "weekdays", "time", "end_time"),
                   "description": "Sans date ni jour : une offre permanente. Jours : 0 = lundi."}),
        ("Où et pour qui", {"fields": ("where", "walking_minutes", "age_min", "age_max",
                                       "capacity", "link", "interests", "audio")}),
    )
