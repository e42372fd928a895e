from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "kiosk.server.appointments"
    label = "appointments"
    verbose_name = "Rendez-vous"
