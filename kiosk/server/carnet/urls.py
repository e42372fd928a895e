"""The carnet's pages (included at the root by kiosk/server/urls.py). The console's paths
have two segments after the counter, so the console's /guichet/<id>/<action>/ never
swallows them."""

from django.urls import path

from kiosk.server.carnet import views

urlpatterns = [
    path("t/<str:token>/documents", views.phone_ticks, name="phone-documents"),
    path("t/<str:token>/garder-carnet", views.phone_keep, name="phone-keep-carnet"),
    path("c/<str:link>", views.carnet_page, name="carnet-page"),
    path("c/<str:link>/supprimer", views.carnet_erase, name="carnet-erase"),
    path("pictogramme/<str:slug>.png", views.pictogram, name="pictogram"),
    path("guichet/<int:counter_id>/carnet/panneau/", views.console_panel, name="carnet-panel"),
    path("guichet/<int:counter_id>/carnet/fiche/", views.console_fiche, name="carnet-fiche"),
    path("guichet/<int:counter_id>/carnet/voir/", views.console_lookup, name="carnet-lookup"),
]
