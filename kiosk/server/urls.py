from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from kiosk.server.api.views import api
from kiosk.server.notifications.views import delivery_report
from kiosk.server.web import views as web

admin.site.site_header = "Carrefour — back-office"
admin.site.site_title = "Carrefour"

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("connexion/", auth_views.LoginView.as_view(), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("guichet/", web.console, name="console"),
    path("guichet/<int:counter_id>/", web.counter_view, name="counter"),
    path("guichet/<int:counter_id>/<str:action>/", web.counter_action, name="counter-action"),
    path("t/<str:token>", web.phone_ticket, name="phone-ticket"),
    path("sms/dlr/", delivery_report, name="sms-dlr"),
]
