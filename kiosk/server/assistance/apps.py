from django.apps import AppConfig


class AssistanceConfig(AppConfig):
    name = "kiosk.server.assistance"
    label = "assistance"
    verbose_name = "Appels d'un agent (borne)"
