"""The visitor's voice: included at the site's root by kiosk/server/urls.py."""

from django.urls import path

from kiosk.server.voice import phone, stats, views

urlpatterns = [
    path("avis/<slug:site_slug>/", views.answers_page, name="voice-answers"),
    path("t/<str:token>/avis", phone.phone_feedback, name="voice-feedback"),
    path("t/<str:token>/question", phone.phone_question, name="voice-question"),
    path("stats/<slug:site_slug>/satisfaction/", stats.satisfaction_page,
         name="voice-stats"),
    path("stats/<slug:site_slug>/satisfaction.csv", stats.satisfaction_csv,
         name="voice-stats-csv"),
]
