"""Appointments' pages outside the back-office: included at the site's root by
kiosk/server/urls.py."""

from django.urls import path

from kiosk.server.appointments import export

urlpatterns = [
    path("stats/<slug:site_slug>/rendez-vous.csv", export.appointments_csv,
         name="appointments-stats-csv"),
]
