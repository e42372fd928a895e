from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "kiosk.server.devices"
    label = "devices"
    verbose_name = "Bornes"
