from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from kiosk.server.api.views import api
from kiosk.server.content.translations import review_view, translations_view
from kiosk.server.notifications.views import delivery_report
from kiosk.server.ratelimit import ratelimit
from kiosk.server.web import views as web
from kiosk.server.web.fleet import fleet, fleet_state_json
from kiosk.server.web.offer_page import carte_page, offer_page
from kiosk.server.web.propose import propose
from kiosk.server.web.service_page import service_page

admin.site.site_header = "Carrefour — back-office"
admin.site.site_title = "Carrefour"
admin.site.login = ratelimit("login")(admin.site.login)  # the back-office's login form too

# Every 404 outside the API: the visitor's page, in their language, with the switch.
handler404 = "kiosk.server.web.phone.page_not_found"

urlpatterns = [
    path("api/v1/", api.urls),
    # Before the admin's catch-all: how complete each language is, per site.
    path("admin/traductions/", translations_view, name="translations"),
    path("admin/traductions/relu", review_view, name="translation-review"),
    path("admin/", admin.site.urls),
    # Login attempts are limited per client IP (kiosk/server/ratelimit.py).
    path("connexion/", ratelimit("login")(auth_views.LoginView.as_view()), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    # Web pages (kiosk/server/web): counter console, display board, phone page.
    path("guichet/", web.console, name="console"),
    path("guichet/<int:counter_id>/", web.counter_view, name="counter"),
    path("guichet/<int:counter_id>/etat.json", web.counter_state_json, name="counter-state"),
    path("guichet/<int:counter_id>/ticket/", web.issue_ticket, name="counter-issue"),
    path("guichet/<int:counter_id>/<str:action>/", web.counter_action, name="counter-action"),
    path("ecran/<slug:site_slug>/", web.board, name="board"),
    path("ecran/<slug:site_slug>/etat.json", web.board_state_json, name="board-state"),
    path("flotte/<slug:site_slug>/", fleet, name="fleet"),
    path("flotte/<slug:site_slug>/etat.json", fleet_state_json, name="fleet-state"),
    path("t/<str:token>", web.phone_ticket, name="phone-ticket"),
    path("s/<slug:slug>", service_page, name="service-page"),
    path("o/<slug:slug>", offer_page, name="offer-page"),
    path("carte", carte_page, name="carte-page"),
    path("proposer", propose, name="propose"),
    path("t/<str:token>/etat.json", web.phone_state_json, name="phone-state"),
    path("t/<str:token>/partir", web.phone_leave, name="phone-leave"),
    path("t/<str:token>/plus-de-temps", web.phone_more_time, name="phone-more-time"),
    path("sms/dlr/", delivery_report, name="sms-dlr"),
    path("stats/", include("kiosk.server.stats.urls")),
    path("", include("kiosk.server.carnet.urls")),  # /c/<link>, the phone checklist, console
    path("", include("kiosk.server.voice.urls")),  # /avis/<site>/, /t/<token>/avis, satisfaction
    path("", include("kiosk.server.appointments.urls")),  # /stats/<site>/rendez-vous.csv
]
