from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "kiosk.server.appointments"
    label = "appointments"
    verbose_name = "Rendez-vous"

    def ready(self) -> None:
        from kiosk.server.appointments.slots import connect_signals

        connect_signals()
