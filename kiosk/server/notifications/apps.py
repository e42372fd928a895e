from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "kiosk.server.notifications"
    label = "notifications"
    verbose_name = "SMS"
