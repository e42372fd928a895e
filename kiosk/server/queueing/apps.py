from django.apps import AppConfig


class QueueingConfig(AppConfig):
    name = "kiosk.server.queueing"
    label = "queueing"
    verbose_name = "Files d'attente"
