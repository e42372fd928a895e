from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "kiosk.server.stats"
    label = "stats"
    verbose_name = "Statistiques"
