"""Mounted at /stats/ by kiosk/server/urls.py."""

from django.urls import path

from kiosk.server.stats import views

urlpatterns = [
    path("<slug:site_slug>/", views.stats_page, name="stats"),
    path("<slug:site_slug>/export.csv", views.stats_csv, name="stats-csv"),
]
