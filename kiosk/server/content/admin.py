from django.contrib import admin

from kiosk.server.content.forms import TranslationsField
from kiosk.server.content.models import Pole, Service, Site


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
