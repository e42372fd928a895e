from django.contrib import admin

from kiosk.server.accounts.models import SiteMembership


@admin.register(SiteMembership)
class SiteMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "site", "role")
    list_filter = ("site", "role")
