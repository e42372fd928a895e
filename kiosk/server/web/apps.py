from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "kiosk.server.web"
    label = "web"
    verbose_name = "Pages web"
